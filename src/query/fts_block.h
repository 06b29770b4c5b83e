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
  /* derived (lp__fts_block_totals), not saved: rows with a text, and the terms of all rows */
  uint64_t n_non_null, total_len;
} lp__fts_block;

/* Fill b's derived totals. */
void lp__fts_block_totals(lp__fts_block *b);

/* The block of the fragment r reads, for text field f (utf8/large_utf8), from the session cache, else
 * (use_saved) from its saved file, else tokenised now with tk (whose settings `sig` names, for the cache
 * key and the file name) and then (use_saved) saved, so that the next process loads it. A saved file that
 * does not load is ignored (the block is built again): it is a cache of immutable data. New reference in
 * *out. */
lp_status lp__fts_block_get(lp_table *t, lp__frag_reader *r, const lp__field *f, lp__fts_tokenizer *tk,
                            const char *sig, bool use_saved, lp__fts_block **out, lp_error *err);

/* ---- Saved blocks: lancepool's own persisted full-text index (fts_saved.c) ----------------------------
 * `create-index --type fts` records the index as table config entry "lancepool.fts.<field id>" =
 * "<name> <InvertedIndexDetails bytes in hex>" (committed as an UpdateConfig version) and saves each
 * fragment's block as <table>/_lancepool/fts/<data file>.<field id>.<settings hash>.blk. A data file never
 * changes, so a saved block stays true for every version that has the file; deletions apply at query time.
 * File: "LPFTSB01", u64 rows, u32 terms, u32 hash slots, u64 dictionary bytes, u64 postings, then the
 * arrays of lp__fts_block in field order (little-endian), then a checksum of all before it (FNV-1a over 8-byte words, fts_saved.c). */
#define LP__FTS_CONFIG_PREFIX "lancepool.fts."
#define LP__FTS_NAME_MAX 128

/* The checksum a saved block ends with, over its first n bytes. */
uint64_t lp__fts_block_checksum(const uint8_t *p, size_t n);
lp_status lp__fts_block_encode(const lp__fts_block *b, uint8_t **out, size_t *out_len, lp_error *err);
/* Checks every count, range and ordering the search relies on: LP_ECORRUPT otherwise. */
lp_status lp__fts_block_decode(const uint8_t *bytes, size_t n, lp__fts_block **out, lp_error *err);
/* Write b as the saved block of fragment frag's text field f (local tables only). */
lp_status lp__fts_block_save(lp_table *t, const lp__fragment *frag, const lp__field *f, const char *sig,
                             const lp__fts_block *b, lp_error *err);

lp_status lp__fts_params_to_details(const lp__fts_params *p, uint8_t **out, size_t *out_len, lp_error *err);
void lp__fts_config_key(int32_t field_id, char *out, size_t cap);
/* "<name> <hex>" for the config entry; name: 1..127 of A-Z a-z 0-9 _ - . (LP_EINVAL otherwise). */
lp_status lp__fts_config_value(const char *name, const lp__fts_params *p, char **out, lp_error *err);
lp_status lp__fts_config_parse(const char *value, char *name, size_t name_cap, lp__fts_params *p, lp_error *err);

/* lancepool's own full-text index of field_id in version m: *found, and its name and settings. */
lp_status lp__fts_own_index(const lp__manifest *m, int32_t field_id, char *name, size_t name_cap, lp__fts_params *p,
                            bool *found, lp_error *err);

/* Tokenise every fragment of t's field f with settings p and save the blocks (create-index). */
lp_status lp__fts_save_all_blocks(lp_table *t, const lp__field *f, const lp__fts_params *p, lp_error *err);

void lp__fts_block_unref(lp__fts_block *b); /* accepts NULL */

/* Test hook: blocks tokenised from the rows so far (not those found in the cache or loaded from a saved
 * file), process-wide. */
extern atomic_uint_fast64_t lp__fts_blocks_tokenised;

/* Term id of the n bytes at s, or -1 when the fragment has no such term. */
int64_t lp__fts_block_find(const lp__fts_block *b, const char *s, size_t n);

/* The tokenizer settings an FTS index records (the InvertedIndexDetails message of its IndexMetadata;
 * language is stored as a JSON string). LP_ECORRUPT when the bytes do not decode, LP_EUNSUPPORTED for a
 * base tokenizer lancepool does not implement. */
lp_status lp__fts_params_from_details(const uint8_t *bytes, size_t n, lp__fts_params *p, lp_error *err);

#endif
