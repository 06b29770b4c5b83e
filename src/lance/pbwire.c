/* Protobuf wire helpers for the write path (see pbwire.h for why these exist next to protobuf-c). */
#include "lance/pbwire.h"

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

void lp__pb_varint(lp__buf *b, uint64_t v) {
  uint8_t x[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    x[n++] = v ? (byte | 0x80) : byte;
  } while (v);
  lp__buf_put(b, x, n);
}

void lp__pb_tag(lp__buf *b, uint32_t field, uint32_t wire_type) { lp__pb_varint(b, (uint64_t)field << 3 | wire_type); }

void lp__pb_u64(lp__buf *b, uint32_t field, uint64_t v) {
  lp__pb_tag(b, field, 0);
  lp__pb_varint(b, v);
}

void lp__pb_u64_nz(lp__buf *b, uint32_t field, uint64_t v) {
  if (v) lp__pb_u64(b, field, v);
}

void lp__pb_i32(lp__buf *b, uint32_t field, int32_t v) {
  lp__pb_tag(b, field, 0);
  lp__pb_varint(b, (uint64_t)(int64_t)v); /* sign-extended: -1 is ten bytes */
}

void lp__pb_bytes(lp__buf *b, uint32_t field, const void *p, size_t n) {
  lp__pb_tag(b, field, 2);
  lp__pb_varint(b, n);
  lp__buf_put(b, p, n);
}

void lp__pb_str(lp__buf *b, uint32_t field, const char *s) { lp__pb_bytes(b, field, s, strlen(s)); }

void lp__pb_packed_u64(lp__buf *b, uint32_t field, const uint64_t *v, size_t n) {
  if (n == 0) return;
  lp__buf tmp;
  lp__buf_init(&tmp);
  for (size_t i = 0; i < n; i++) lp__pb_varint(&tmp, v[i]);
  if (tmp.failed) b->failed = true;
  lp__pb_bytes(b, field, tmp.data, tmp.len);
  lp__buf_reset(&tmp);
}

void lp__pb_packed_i32(lp__buf *b, uint32_t field, const int32_t *v, size_t n) {
  if (n == 0) return;
  lp__buf tmp;
  lp__buf_init(&tmp);
  for (size_t i = 0; i < n; i++) lp__pb_varint(&tmp, (uint64_t)(int64_t)v[i]);
  if (tmp.failed) b->failed = true;
  lp__pb_bytes(b, field, tmp.data, tmp.len);
  lp__buf_reset(&tmp);
}

void lp__pb_msg(lp__buf *b, uint32_t field, const lp__buf *msg) {
  if (msg->failed) b->failed = true;
  lp__pb_bytes(b, field, msg->data, msg->len);
}

lp_status lp__pb_read_varint(lp__pb_reader *r, uint64_t *out, const char *what, lp_error *err) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->left == 0) return lp_error_set(err, LP_ECORRUPT, "%s: truncated varint", what);
    uint8_t byte = *r->p++;
    r->left--;
    if (shift == 63 && (byte & 0x7e)) return lp_error_set(err, LP_ECORRUPT, "%s: varint overflows 64 bits", what);
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return LP_OK;
    }
  }
  return lp_error_set(err, LP_ECORRUPT, "%s: varint longer than 10 bytes", what);
}

lp_status lp__pb_next(lp__pb_reader *r, lp__pb_field *f, bool *out_done, const char *what, lp_error *err) {
  memset(f, 0, sizeof *f);
  if (r->left == 0) {
    *out_done = true;
    return LP_OK;
  }
  *out_done = false;
  const uint8_t *start = r->p;
  uint64_t key;
  LP_TRY(lp__pb_read_varint(r, &key, what, err));
  f->number = (uint32_t)(key >> 3);
  f->wire_type = (uint32_t)(key & 7);
  if (f->number == 0 || key >> 32)
    return lp_error_set(err, LP_ECORRUPT, "%s: invalid field number %llu", what, (unsigned long long)(key >> 3));
  switch (f->wire_type) {
    case 0:
      LP_TRY(lp__pb_read_varint(r, &f->varint, what, err));
      break;
    case 1:
    case 5: {
      size_t n = f->wire_type == 1 ? 8 : 4;
      if (r->left < n) return lp_error_set(err, LP_ECORRUPT, "%s: field %u truncated", what, f->number);
      f->data = r->p;
      f->len = n;
      r->p += n;
      r->left -= n;
      break;
    }
    case 2: {
      uint64_t n;
      LP_TRY(lp__pb_read_varint(r, &n, what, err));
      if (n > r->left)
        return lp_error_set(err, LP_ECORRUPT, "%s: field %u: length %llu exceeds the %zu bytes left", what,
                            f->number, (unsigned long long)n, r->left);
      f->data = r->p;
      f->len = (size_t)n;
      r->p += n;
      r->left -= (size_t)n;
      break;
    }
    default:
      return lp_error_set(err, LP_ECORRUPT, "%s: field %u: unsupported wire type %u", what, f->number,
                          f->wire_type);
  }
  f->raw = start;
  f->raw_len = (size_t)(r->p - start);
  return LP_OK;
}
