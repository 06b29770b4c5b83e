/* The text analysis of LanceDB's full-text search (lance's inverted index, built on tantivy's
 * analysers), so lancepool splits documents and queries into the same terms LanceDB indexes. Internal.
 *
 * The pipeline, in LanceDB's order: a base tokenizer (simple: maximal runs of Unicode letters and
 * digits; whitespace: runs between ASCII whitespace; raw: the whole text; ngram: every run of min..max
 * characters), then dropping tokens of max_token_length bytes or more (measured before any other
 * change), lower-casing (per character, full mapping, no final-sigma rule), Snowball stemming
 * (libstemmer), stop-word removal (compared with the stemmed token) and ASCII folding.
 *
 * A tokenizer holds a stemmer, which is not thread-safe: one lp__fts_tokenizer per thread. */
#ifndef LP_QUERY_FTS_TOKENIZE_H
#define LP_QUERY_FTS_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef enum lp__fts_base {
  LP_FTS_BASE_SIMPLE,
  LP_FTS_BASE_WHITESPACE,
  LP_FTS_BASE_RAW,
  LP_FTS_BASE_NGRAM,
} lp__fts_base;

/* The tokenizer settings an FTS index records. lp__fts_params_default fills LanceDB 0.31.0's defaults
 * for Index.fts(): simple, English, no positions, max_token_length 40, lower_case, stem,
 * remove_stop_words and ascii_folding on, ngram 3..3, not prefix-only. */
typedef struct lp__fts_params {
  lp__fts_base base;
  char language[24];         /* tantivy's language name, e.g. "English", "French" */
  bool with_position;        /* the index keeps positions (phrase queries need them) */
  uint32_t max_token_length; /* 0 = no limit */
  bool lower_case, stem, remove_stop_words, ascii_folding;
  uint32_t min_ngram_length, max_ngram_length;
  bool prefix_only;
} lp__fts_params;

void lp__fts_params_default(lp__fts_params *p);

/* Parse "simple" | "whitespace" | "raw" | "ngram". */
LP_MUST_CHECK lp_status lp__fts_base_parse(const char *name, lp__fts_base *out, lp_error *err);

/* The terms of one text, appended in order: term i is bytes[off[i], off[i] + len[i]) (UTF-8, not
 * NUL-terminated), at token position pos[i] (the base tokenizer's count; removed tokens leave gaps). */
typedef struct lp__fts_terms {
  char *bytes;
  size_t n_bytes, cap_bytes;
  uint32_t *off, *len, *pos;
  size_t n, cap;
} lp__fts_terms;

void lp__fts_terms_clear(lp__fts_terms *t); /* forget the terms, keep the memory */
void lp__fts_terms_reset(lp__fts_terms *t); /* free; accepts NULL */

typedef struct lp__fts_tokenizer lp__fts_tokenizer;

/* Check p (unknown language for stemming or stop words, ngram lengths) and build a tokenizer.
 * Caller owns *out; free with lp__fts_tokenizer_free. */
LP_MUST_CHECK lp_status lp__fts_tokenizer_new(const lp__fts_params *p, lp__fts_tokenizer **out, lp_error *err);
void lp__fts_tokenizer_free(lp__fts_tokenizer *tk);

/* Split text (n bytes; invalid UTF-8 sequences read as U+FFFD, a separator) and append its terms to
 * out. Any length of text is accepted; LP_ENOMEM is the only failure. */
LP_MUST_CHECK lp_status lp__fts_tokenize(lp__fts_tokenizer *tk, const char *text, size_t n, lp__fts_terms *out,
                                         lp_error *err);

#endif
