/* Growable byte buffer (see buf.h). */
#include "io/buf.h"

#include <stdlib.h>
#include <string.h>

void lp__buf_init(lp__buf *b) { memset(b, 0, sizeof *b); }

void lp__buf_reset(lp__buf *b) {
  if (b == NULL) return;
  free(b->data);
  memset(b, 0, sizeof *b);
}

static bool reserve(lp__buf *b, size_t extra) {
  if (b->failed) return false;
  if (extra > SIZE_MAX - b->len) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + extra;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = realloc(b->data, cap);
  if (p == NULL) {
    b->failed = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

void lp__buf_put(lp__buf *b, const void *p, size_t n) {
  if (n == 0 || !reserve(b, n)) return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

void lp__buf_fill(lp__buf *b, uint8_t byte, size_t n) {
  if (n == 0 || !reserve(b, n)) return;
  memset(b->data + b->len, byte, n);
  b->len += n;
}

void lp__buf_u16le(lp__buf *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  lp__buf_put(b, x, 2);
}

void lp__buf_u32le(lp__buf *b, uint32_t v) {
  uint8_t x[4];
  for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
  lp__buf_put(b, x, 4);
}

void lp__buf_u64le(lp__buf *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
  lp__buf_put(b, x, 8);
}

void lp__buf_align(lp__buf *b, size_t align, uint8_t byte) {
  size_t rem = b->len % align;
  if (rem) lp__buf_fill(b, byte, align - rem);
}

lp_status lp__buf_status(const lp__buf *b, const char *what, lp_error *err) {
  if (b->failed) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  return LP_OK;
}
