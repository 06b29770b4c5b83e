/* Fuzz target: the InvertedIndexDetails bytes of an FTS index's metadata (as stored in a manifest) ->
 * tokenizer settings -> a tokenizer -> a short text tokenised with them. Failures are crashes, sanitizer
 * reports and leaks; any status is a fine answer for bad bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/fts_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__fts_params p;
  lp_error err;
  if (lp__fts_params_from_details(data, size, &p, &err) != LP_OK) return 0;
  if (p.min_ngram_length > 8) p.min_ngram_length = 8; /* keep ngram runs small; lengths are checked anyway */
  if (p.max_ngram_length > 8) p.max_ngram_length = 8;
  lp__fts_tokenizer *tk;
  if (lp__fts_tokenizer_new(&p, &tk, &err) != LP_OK) return 0;
  static const char text[] = "The Quick brown Foxes were RUNNING \xc3\xa9t\xc3\xa9 \xd0\x9c\xd0\xb8\xd1\x80 x86_64";
  lp__fts_terms t = {0};
  if (lp__fts_tokenize(tk, text, sizeof text - 1, &t, &err) == LP_OK && t.n > 0 && t.n_bytes == 0) abort();
  lp__fts_terms_reset(&t);
  lp__fts_tokenizer_free(tk);
  return 0;
}
