/* A hash set of keys given as bytes (borrowed), for matching rows by key: upsert and merge. Internal. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/write_schema.h"
#include "write/write_int.h"

uint64_t lp__key_hash(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h ? h : 1;
}

bool lp__key_set_init(lp__key_set *s, size_t n) {
  memset(s, 0, sizeof *s);
  s->cap = 16;
  while (s->cap < n * 2 + 16) s->cap *= 2;
  s->hash = calloc(s->cap, sizeof *s->hash);
  s->ptr = calloc(s->cap, sizeof *s->ptr);
  s->len = calloc(s->cap, sizeof *s->len);
  s->matched = calloc(s->cap, 1);
  s->value = calloc(s->cap, sizeof *s->value);
  return s->hash && s->ptr && s->len && s->matched && s->value;
}

void lp__key_set_free(lp__key_set *s) {
  free(s->hash);
  free(s->ptr);
  free(s->len);
  free(s->matched);
  free(s->value);
  memset(s, 0, sizeof *s);
}

size_t lp__key_set_find(const lp__key_set *s, const uint8_t *p, size_t n, uint64_t h) {
  size_t i = h & (s->cap - 1);
  while (s->hash[i] && !(s->hash[i] == h && s->len[i] == n && memcmp(s->ptr[i], p, n) == 0)) i = (i + 1) & (s->cap - 1);
  return i;
}

bool lp__key_bytes(const struct ArrowArray *a, lp__type t, int64_t j, const uint8_t **p, size_t *n) {
  int64_t i = a->offset + j;
  if (a->null_count && a->buffers[0] && !lp__bit_get(a->buffers[0], i)) return false;
  if (lp__wtype_is_varwidth(t)) {
    bool large = t == LP__TYPE_LARGE_UTF8 || t == LP__TYPE_LARGE_BINARY;
    int64_t s = large ? ((const int64_t *)a->buffers[1])[i] : ((const int32_t *)a->buffers[1])[i];
    int64_t e = large ? ((const int64_t *)a->buffers[1])[i + 1] : ((const int32_t *)a->buffers[1])[i + 1];
    *p = (const uint8_t *)a->buffers[2] + s;
    *n = (size_t)(e - s);
  } else {
    size_t w = lp__wtype_width(t);
    *p = (const uint8_t *)a->buffers[1] + (size_t)i * w;
    *n = w;
  }
  return true;
}

lp_status lp__key_column_check(const lp__field *kf, const char *key, lp_error *err) {
  if (kf == NULL) return lp_error_set(err, LP_EINVAL, "no key column \"%s\"", key);
  if (kf->n_children || kf->type == LP__TYPE_FIXED_SIZE_LIST || kf->type == LP__TYPE_BOOL ||
      kf->type == LP__TYPE_FLOAT16 || kf->type == LP__TYPE_FLOAT32 || kf->type == LP__TYPE_FLOAT64)
    return lp_error_set(err, LP_EINVAL, "key column \"%s\" must be an integer, date, timestamp, string or binary", key);
  return LP_OK;
}
