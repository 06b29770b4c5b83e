/* Test helper: a 64-bit hash of one row of an Arrow array, from its logical value (validity, then the
 * value's bytes; strings and lists through their offsets; children recursively), so results of different
 * batch shapes, slices (offset != 0) and takes can be compared row by row. Header-only, for tests. Knows
 * the formats the engine produces; any other format fails the test. */
#ifndef LP_TEST_ARROW_ROWHASH_H
#define LP_TEST_ARROW_ROWHASH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/arrow_c.h"
#include "lp_test.h"

static inline uint64_t rh_mix(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static inline bool rh_valid(const struct ArrowArray *a, int64_t i) {
  if (a->n_buffers == 0 || a->buffers[0] == NULL) return true;
  int64_t k = a->offset + i;
  return (((const uint8_t *)a->buffers[0])[k >> 3] >> (k & 7)) & 1;
}

/* Bytes per value of a fixed-width format, 0 for anything else. */
static inline size_t rh_width(const char *f) {
  switch (f[0]) {
    case 'c': case 'C': return 1;
    case 's': case 'S': case 'e': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'l': case 'L': case 'g': return 8;
    case 't':
      if (f[1] == 'd') return f[2] == 'D' ? 4 : 8;
      if (f[1] == 's') return 8;
      return 0;
    default: return 0;
  }
}

static inline uint64_t rh_row(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i, uint64_t h) {
  const char *f = s->format;
  uint8_t v = rh_valid(a, i);
  h = rh_mix(h, &v, 1);
  if (!v || strcmp(f, "n") == 0) return h;
  int64_t k = a->offset + i;
  size_t w = rh_width(f);
  if (w) return rh_mix(h, (const uint8_t *)a->buffers[1] + (size_t)k * w, w);
  if (strcmp(f, "b") == 0) {
    uint8_t bit = (((const uint8_t *)a->buffers[1])[k >> 3] >> (k & 7)) & 1;
    return rh_mix(h, &bit, 1);
  }
  if (strcmp(f, "u") == 0 || strcmp(f, "z") == 0) {
    const int32_t *o = a->buffers[1];
    return rh_mix(h, (const uint8_t *)a->buffers[2] + o[k], (size_t)(o[k + 1] - o[k]));
  }
  if (strcmp(f, "U") == 0 || strcmp(f, "Z") == 0) {
    const int64_t *o = a->buffers[1];
    return rh_mix(h, (const uint8_t *)a->buffers[2] + o[k], (size_t)(o[k + 1] - o[k]));
  }
  if (strcmp(f, "+s") == 0) {
    for (int64_t c = 0; c < a->n_children; c++) h = rh_row(s->children[c], a->children[c], k, h);
    return h;
  }
  int64_t lo, hi;
  if (strcmp(f, "+l") == 0) {
    const int32_t *o = a->buffers[1];
    lo = o[k];
    hi = o[k + 1];
  } else if (strcmp(f, "+L") == 0) {
    const int64_t *o = a->buffers[1];
    lo = o[k];
    hi = o[k + 1];
  } else if (strncmp(f, "+w:", 3) == 0) {
    int64_t n = atoll(f + 3);
    lo = k * n;
    hi = lo + n;
  } else {
    LP_FAIL("rowhash: format \"%s\" not handled", f);
  }
  uint64_t len = (uint64_t)(hi - lo);
  h = rh_mix(h, &len, sizeof len);
  for (int64_t j = lo; j < hi; j++) h = rh_row(s->children[0], a->children[0], j, h);
  return h;
}

/* Hash of row i of a struct array (a batch): every column's value. */
static inline uint64_t rh_batch_row(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i) {
  return rh_row(s, a, i, 0xcbf29ce484222325ull);
}

#endif
