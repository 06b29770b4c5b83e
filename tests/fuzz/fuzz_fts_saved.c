/* Fuzz target: the files of lancepool's own full-text index. The bytes are read as a saved block (the
 * decoder must refuse anything inconsistent; an accepted block is then searched for every term it holds
 * and its postings walked, as the scorer does) and, as text, as the table config entry that defines the
 * index. Failures are crashes, sanitizer reports and leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/fts_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const lp__fts_block *b) {
  uint64_t sum = 0;
  for (uint32_t t = 0; t < b->n_terms; t++) {
    if (lp__fts_block_find(b, b->bytes + b->off[t], b->len[t]) < 0) abort(); /* every term is findable */
    for (uint64_t j = b->start[t]; j < b->start[t + 1]; j++) sum += b->doc_len[b->occ[j].row] + b->is_null[b->occ[j].row];
  }
  (void)lp__fts_block_find(b, "zz", 2);
  if (sum == UINT64_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp_error err;
  lp__fts_block *b = NULL;
  if (lp__fts_block_decode(data, size, &b, &err) == LP_OK) {
    walk(b);
    uint8_t *again = NULL;
    size_t n = 0;
    if (lp__fts_block_encode(b, &again, &n, &err) == LP_OK && (n != size || memcmp(again, data, n) != 0)) abort();
    free(again);
    lp__fts_block_unref(b);
  }
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char name[LP__FTS_NAME_MAX];
  lp__fts_params p;
  (void)lp__fts_config_parse(text, name, sizeof name, &p, &err);
  free(text);
  return 0;
}
