/* Fuzz target: the files of lancepool's own full-text index. The bytes are read as a saved block (the
 * decoder must refuse anything inconsistent; an accepted block is then searched for every term it holds
 * and its postings walked, as the scorer does, then saved and loaded again) and, as text, as the table config entry that defines the
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

/* Decode the bytes as they are, then with their checksum made right, so that mutations reach the
 * structural checks behind it. */
static void try_block(const uint8_t *data, size_t size) {
  lp_error err;
  lp__fts_block *b = NULL;
  if (lp__fts_block_decode(data, size, &b, &err) == LP_OK) {
    walk(b);
    uint8_t *again = NULL;
    size_t n = 0;
    lp__fts_block *b2 = NULL; /* what is accepted saves again into bytes that are accepted */
    if (lp__fts_block_encode(b, &again, &n, &err) == LP_OK && lp__fts_block_decode(again, n, &b2, &err) != LP_OK) abort();
    lp__fts_block_unref(b2);
    free(again);
    lp__fts_block_unref(b);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_block(data, size);
  if (size >= 16) {
    uint8_t *fixed = malloc(size);
    if (fixed == NULL) return 0;
    memcpy(fixed, data, size);
    uint64_t sum = lp__fts_block_checksum(fixed, size - 8);
    memcpy(fixed + size - 8, &sum, 8);
    try_block(fixed, size);
    free(fixed);
  }
  lp_error err;
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
