/* One fragment's text column, tokenised: the per-fragment inverted index full-text search runs over.
 * Internal to src/query (fts_block.c builds it, fts_search.c queries it).
 *
 * Built once per (data file, column, tokenizer settings) over all physical rows of the fragment (deleted
 * rows too: the deletion vector is applied at query time, so a later delete does not re-tokenise), and
 * kept in the session's vector cache. Immutable once built; reference counted. */
#ifndef LP_QUERY_FTS_BLOCK_H
#define LP_QUERY_FTS_BLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/fts_tokenize.h"
#include "table/table.h"

/* One occurrence of a term: the row (physical, inside the fragment) and the token position. */
typedef struct lp__fts_posting {
  uint32_t row;
  uint32_t pos;
} lp__fts_posting;

typedef struct lp__fts_block {
  atomic_int refs;
  uint64_t n_rows;             /* physical rows */
  uint32_t *doc_len;           /* terms per row (0 for null and empty texts) */
  uint8_t *is_null;            /* 1 per null row */
  /* the dictionary: term i is bytes[off[i], off[i] + len[i]) */
  char *bytes;
  uint32_t *off, *len;
  uint32_t n_terms;
  uint32_t *slots;             /* open-addressing hash table of term ids + 1 (0 = empty), n_slots a power of 2 */
  uint32_t n_slots;
  /* postings of term i: occ[start[i], start[i + 1]), by row then position */
  uint64_t *start;
  lp__fts_posting *occ;
  size_t size_bytes;
} lp__fts_block;

/* The block of the fragment r reads, for text field f (utf8/large_utf8), from the session cache or
 * tokenised now with tk (whose settings `sig` names, for the cache key). New reference in *out. */
lp_status lp__fts_block_get(lp_table *t, lp__frag_reader *r, const lp__field *f, lp__fts_tokenizer *tk,
                            const char *sig, lp__fts_block **out, lp_error *err);

void lp__fts_block_unref(lp__fts_block *b); /* accepts NULL */

/* Term id of the n bytes at s, or -1 when the fragment has no such term. */
int64_t lp__fts_block_find(const lp__fts_block *b, const char *s, size_t n);

/* The tokenizer settings an FTS index records (the InvertedIndexDetails message of its IndexMetadata;
 * language is stored as a JSON string). LP_ECORRUPT when the bytes do not decode, LP_EUNSUPPORTED for a
 * base tokenizer lancepool does not implement. */
lp_status lp__fts_params_from_details(const uint8_t *bytes, size_t n, lp__fts_params *p, lp_error *err);

#endif
