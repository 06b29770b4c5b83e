/* Fuzz target: the FTS tokenizer over any bytes (invalid UTF-8, long tokens, big inputs). The first byte
 * picks the settings (base tokenizer, filters on or off, a small or no length limit, ngram lengths), the
 * rest is the text. Failures are crashes, sanitizer reports, leaks, and terms that break the contract
 * (out of bounds, empty, or longer than the limit allows). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/fts_tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint8_t sel = data[0];
  lp__fts_params p;
  lp__fts_params_default(&p);
  p.base = (lp__fts_base)(sel & 3);
  p.lower_case = (sel & 4) == 0;
  p.stem = (sel & 8) == 0;
  p.remove_stop_words = (sel & 16) == 0;
  p.ascii_folding = (sel & 32) == 0;
  p.max_token_length = (sel & 64) ? 0 : 40;
  p.min_ngram_length = 1 + (sel >> 7);
  p.max_ngram_length = 3;
  lp__fts_tokenizer *tk;
  lp_error err;
  if (lp__fts_tokenizer_new(&p, &tk, &err) != LP_OK) abort();
  lp__fts_terms t = {0};
  if (lp__fts_tokenize(tk, (const char *)data + 1, size - 1, &t, &err) == LP_OK) {
    for (size_t i = 0; i < t.n; i++) {
      if ((size_t)t.off[i] + t.len[i] > t.n_bytes) abort();
      /* Folding may grow a term (one character to several letters), so the bound is generous. */
      if (p.max_token_length && t.len[i] > 18u * p.max_token_length) abort();
    }
  }
  lp__fts_terms_reset(&t);
  lp__fts_tokenizer_free(tk);
  return 0;
}
