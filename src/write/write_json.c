/* JSON rows to Arrow batches (see write_json.h). */
#include "write/write_json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/write_schema.h"

typedef struct jctx {
  const size_t *lines;
  lp_error *err;
} jctx;

static lp_status bad(jctx *c, size_t row, const char *path, const char *what, const json_t *v) {
  const char *found = v == NULL ? "nothing" : json_is_object(v) ? "an object" : json_is_array(v) ? "an array"
                    : json_is_string(v) ? "a string" : json_is_integer(v) ? "an integer" : json_is_real(v) ? "a number"
                    : json_is_boolean(v) ? "a boolean" : "null";
  return lp_error_set(c->err, LP_EINVAL, "line %zu: field \"%s\": expected %s, found %s", c->lines[row], path, what, found);
}

static int b64v(int ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

/* Decode base64 into out (capacity >= 3*len/4+3); -1 on bad input. */
static long b64_decode(const char *s, size_t len, uint8_t *out) {
  while (len && s[len - 1] == '=') len--;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64v((unsigned char)s[i]);
    if (v < 0) return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  if (bits >= 6) return -1;
  return (long)o;
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = sign | (uint32_t)e << 10 | mant >> 13, rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)h;
}

/* A JSON float value: number or one of the special strings. */
static bool json_float(const json_t *v, double *out) {
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return true;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (strcmp(s, "NaN") == 0) *out = NAN;
    else if (strcmp(s, "Infinity") == 0) *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
    else return false;
    return true;
  }
  return false;
}

/* Store the JSON value v of fixed-width type t at p. */
static lp_status put_fixed(jctx *c, size_t row, const char *path, lp__type t, const json_t *v, uint8_t *p) {
  json_int_t iv;
  double dv;
  switch (t) {
    case LP__TYPE_INT8: case LP__TYPE_INT16: case LP__TYPE_INT32: case LP__TYPE_INT64: case LP__TYPE_DATE32:
    case LP__TYPE_TIMESTAMP: {
      if (!json_is_integer(v)) return bad(c, row, path, "an integer", v);
      iv = json_integer_value(v);
      int64_t lo = t == LP__TYPE_INT8 ? INT8_MIN : t == LP__TYPE_INT16 ? INT16_MIN : (t == LP__TYPE_INT32 || t == LP__TYPE_DATE32) ? INT32_MIN : INT64_MIN;
      int64_t hi = t == LP__TYPE_INT8 ? INT8_MAX : t == LP__TYPE_INT16 ? INT16_MAX : (t == LP__TYPE_INT32 || t == LP__TYPE_DATE32) ? INT32_MAX : INT64_MAX;
      if (iv < lo || iv > hi) return bad(c, row, path, "an integer in range", v);
      int64_t x = iv;
      memcpy(p, &x, lp__wtype_width(t)); /* little-endian: the low bytes */
      return LP_OK;
    }
    case LP__TYPE_UINT8: case LP__TYPE_UINT16: case LP__TYPE_UINT32: case LP__TYPE_UINT64: {
      uint64_t x;
      if (json_is_integer(v) && json_integer_value(v) >= 0) {
        x = (uint64_t)json_integer_value(v);
      } else if (t == LP__TYPE_UINT64 && json_is_real(v) && json_real_value(v) >= 9.2e18 && json_real_value(v) < 1.8446744073709552e19) {
        x = (uint64_t)json_real_value(v); /* jansson reads integers above INT64_MAX as reals */
      } else if (t == LP__TYPE_UINT64 && json_is_string(v)) {
        char *end;
        x = strtoull(json_string_value(v), &end, 10);
        if (*end || !json_string_length(v)) return bad(c, row, path, "an unsigned integer", v);
      } else {
        return bad(c, row, path, "an unsigned integer", v);
      }
      uint64_t hi = t == LP__TYPE_UINT8 ? UINT8_MAX : t == LP__TYPE_UINT16 ? UINT16_MAX : t == LP__TYPE_UINT32 ? UINT32_MAX : UINT64_MAX;
      if (x > hi) return bad(c, row, path, "an unsigned integer in range", v);
      memcpy(p, &x, lp__wtype_width(t));
      return LP_OK;
    }
    case LP__TYPE_FLOAT16: case LP__TYPE_FLOAT32: case LP__TYPE_FLOAT64:
      if (!json_float(v, &dv)) return bad(c, row, path, "a number", v);
      if (t == LP__TYPE_FLOAT64) {
        memcpy(p, &dv, 8);
      } else if (t == LP__TYPE_FLOAT32) {
        float f = (float)dv;
        memcpy(p, &f, 4);
      } else {
        uint16_t h = float_to_half((float)dv);
        memcpy(p, &h, 2);
      }
      return LP_OK;
    default:
      return lp_error_set(c->err, LP_EUNSUPPORTED, "field \"%s\": type not supported in JSON input", path);
  }
}

static lp_status build(jctx *c, const lp__field *f, const char *path, json_t *const *vals, const size_t *rows, size_t n,
                       struct ArrowArray *out);

static lp_status build_validity(jctx *c, const lp__field *f, const char *path, json_t *const *vals, const size_t *rows,
                                size_t n, uint8_t **out_bits, int64_t *out_nulls) {
  *out_bits = NULL;
  *out_nulls = 0;
  for (size_t i = 0; i < n; i++)
    if (vals[i] == NULL || json_is_null(vals[i])) {
      if (!f->nullable) return lp_error_set(c->err, LP_EINVAL, "line %zu: field \"%s\": missing value for a non-null field", c->lines[rows[i]], path);
      (*out_nulls)++;
    }
  if (*out_nulls == 0) return LP_OK;
  *out_bits = lp__arrow_buf_calloc((n + 7) / 8);
  if (*out_bits == NULL) return lp_error_set(c->err, LP_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    if (!(vals[i] == NULL || json_is_null(vals[i]))) lp__bit_set(*out_bits, (int64_t)i);
  return LP_OK;
}

static bool is_null_v(const json_t *v) { return v == NULL || json_is_null(v); }

static lp_status build(jctx *c, const lp__field *f, const char *path, json_t *const *vals, const size_t *rows, size_t n,
                       struct ArrowArray *out) {
  uint8_t *validity;
  int64_t nulls;
  LP_TRY(build_validity(c, f, path, vals, rows, n, &validity, &nulls));
  lp_status rc = LP_OK;
  if (f->type == LP__TYPE_BOOL) {
    uint8_t *bits = lp__arrow_buf_calloc((n + 7) / 8 + 1);
    if (bits == NULL) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
    for (size_t i = 0; rc == LP_OK && i < n; i++) {
      if (is_null_v(vals[i])) continue;
      if (!json_is_boolean(vals[i])) rc = bad(c, rows[i], path, "true or false", vals[i]);
      else if (json_is_true(vals[i])) lp__bit_set(bits, (int64_t)i);
    }
    if (rc != LP_OK) {
      free(bits);
      free(validity);
      return rc;
    }
    void *bufs[2] = {validity, bits};
    return lp__arrow_array_make(out, (int64_t)n, nulls, 2, bufs, NULL, 0, c->err);
  }
  if (lp__wtype_is_varwidth(f->type)) {
    bool large = f->type == LP__TYPE_LARGE_UTF8 || f->type == LP__TYPE_LARGE_BINARY;
    bool bin = f->type == LP__TYPE_BINARY || f->type == LP__TYPE_LARGE_BINARY;
    size_t total = 0;
    for (size_t i = 0; i < n && rc == LP_OK; i++) {
      if (is_null_v(vals[i])) continue;
      if (!json_is_string(vals[i])) rc = bad(c, rows[i], path, bin ? "a base64 string" : "a string", vals[i]);
      else total += json_string_length(vals[i]);
    }
    if (rc == LP_OK && !large && total > INT32_MAX) rc = lp_error_set(c->err, LP_EINVAL, "field \"%s\": more than 2 GiB of text in one batch", path);
    uint8_t *offs = rc == LP_OK ? lp__arrow_buf_alloc((n + 1) * (large ? 8 : 4)) : NULL;
    uint8_t *data = rc == LP_OK ? lp__arrow_buf_alloc(total + 4) : NULL;
    if (rc == LP_OK && (offs == NULL || data == NULL)) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; rc == LP_OK && i <= n; i++) {
      if (large) ((int64_t *)offs)[i] = (int64_t)at;
      else ((int32_t *)offs)[i] = (int32_t)at;
      if (i == n || is_null_v(vals[i])) continue;
      const char *s = json_string_value(vals[i]);
      size_t len = json_string_length(vals[i]);
      if (bin) {
        long k = b64_decode(s, len, data + at);
        if (k < 0) rc = bad(c, rows[i], path, "valid base64", vals[i]);
        else at += (size_t)k;
      } else {
        memcpy(data + at, s, len);
        at += len;
      }
    }
    if (rc != LP_OK) {
      free(offs);
      free(data);
      free(validity);
      return rc;
    }
    void *bufs[3] = {validity, offs, data};
    return lp__arrow_array_make(out, (int64_t)n, nulls, 3, bufs, NULL, 0, c->err);
  }
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    size_t dim = (size_t)f->list_size, ew = lp__wtype_width(f->elem_type);
    uint8_t *vb = lp__arrow_buf_calloc(n * dim * ew + 1), *item_valid = NULL;
    size_t n_item_nulls = 0;
    if (vb == NULL) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
    char what[64];
    snprintf(what, sizeof what, "an array of %zu numbers", dim);
    for (size_t i = 0; rc == LP_OK && i < n; i++) {
      if (is_null_v(vals[i])) continue;
      if (!json_is_array(vals[i]) || json_array_size(vals[i]) != dim) {
        rc = json_is_array(vals[i]) ? lp_error_set(c->err, LP_EINVAL, "line %zu: field \"%s\": expected %zu values, found %zu",
                                                   c->lines[rows[i]], path, dim, json_array_size(vals[i]))
                                    : bad(c, rows[i], path, what, vals[i]);
        break;
      }
      for (size_t k = 0; rc == LP_OK && k < dim; k++) {
        json_t *item = json_array_get(vals[i], k);
        size_t at = i * dim + k;
        if (json_is_null(item)) { /* a null item: the child gets a validity bitmap */
          if (item_valid == NULL && (item_valid = lp__arrow_buf_calloc((n * dim + 7) / 8)) == NULL) {
            rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
            break;
          }
          if (n_item_nulls == 0) memset(item_valid, 0xff, (n * dim + 7) / 8);
          item_valid[at >> 3] &= (uint8_t)~(1u << (at & 7));
          n_item_nulls++;
          continue;
        }
        rc = put_fixed(c, rows[i], path, f->elem_type, item, vb + at * ew);
      }
    }
    if (rc != LP_OK) {
      free(vb);
      free(item_valid);
      free(validity);
      return rc;
    }
    struct ArrowArray child;
    void *cb[2] = {item_valid, vb};
    rc = lp__arrow_array_make(&child, (int64_t)(n * dim), (int64_t)n_item_nulls, 2, cb, NULL, 0, c->err);
    if (rc != LP_OK) {
      free(validity);
      return rc;
    }
    struct ArrowArray *chp = &child;
    void *bufs[1] = {validity};
    return lp__arrow_array_make(out, (int64_t)n, nulls, 1, bufs, &chp, 1, c->err);
  }
  if (f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST) {
    bool large = f->type == LP__TYPE_LARGE_LIST;
    size_t total = 0;
    for (size_t i = 0; i < n && rc == LP_OK; i++) {
      if (is_null_v(vals[i])) continue;
      if (!json_is_array(vals[i])) rc = bad(c, rows[i], path, "an array", vals[i]);
      else total += json_array_size(vals[i]);
    }
    json_t **items = rc == LP_OK ? malloc((total + 1) * sizeof *items) : NULL;
    size_t *irows = rc == LP_OK ? malloc((total + 1) * sizeof *irows) : NULL;
    uint8_t *offs = rc == LP_OK ? lp__arrow_buf_alloc((n + 1) * (large ? 8 : 4)) : NULL;
    if (rc == LP_OK && (!items || !irows || !offs)) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; rc == LP_OK && i <= n; i++) {
      if (large) ((int64_t *)offs)[i] = (int64_t)at;
      else ((int32_t *)offs)[i] = (int32_t)at;
      if (i == n || is_null_v(vals[i])) continue;
      for (size_t k = 0; k < json_array_size(vals[i]); k++) {
        items[at] = json_array_get(vals[i], k);
        irows[at++] = rows[i];
      }
    }
    struct ArrowArray child;
    char sub[512];
    snprintf(sub, sizeof sub, "%s[]", path);
    if (rc == LP_OK) rc = build(c, &f->children[0], sub, items, irows, total, &child);
    free(items);
    free(irows);
    if (rc != LP_OK) {
      free(offs);
      free(validity);
      return rc;
    }
    struct ArrowArray *chp = &child;
    void *bufs[2] = {validity, offs};
    return lp__arrow_array_make(out, (int64_t)n, nulls, 2, bufs, &chp, 1, c->err);
  }
  if (f->type == LP__TYPE_STRUCT) {
    json_t **sub = malloc((n + 1) * sizeof *sub);
    struct ArrowArray *kids = calloc(f->n_children, sizeof *kids);
    if (sub == NULL || kids == NULL) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
    for (size_t i = 0; rc == LP_OK && i < n; i++) {
      if (!is_null_v(vals[i]) && !json_is_object(vals[i])) {
        rc = bad(c, rows[i], path, "an object", vals[i]);
        break;
      }
      if (is_null_v(vals[i])) continue;
      const char *key;
      json_t *v;
      json_object_foreach(vals[i], key, v) {
        bool known = false;
        for (size_t k = 0; k < f->n_children; k++) known |= strcmp(key, f->children[k].name) == 0;
        if (!known) {
          rc = lp_error_set(c->err, LP_EINVAL, "line %zu: field \"%s\": unknown member \"%s\"", c->lines[rows[i]], path, key);
          break;
        }
      }
    }
    size_t built = 0;
    for (size_t k = 0; rc == LP_OK && k < f->n_children; k++) {
      for (size_t i = 0; i < n; i++) {
        /* a null struct gives its members nulls (allowed even for non-null members) */
        sub[i] = is_null_v(vals[i]) ? NULL : json_object_get(vals[i], f->children[k].name);
      }
      char sp[512];
      snprintf(sp, sizeof sp, "%s.%s", path, f->children[k].name);
      lp__field tmp = f->children[k];
      bool any_null_parent = false;
      for (size_t i = 0; i < n; i++) any_null_parent |= is_null_v(vals[i]);
      if (any_null_parent && !tmp.nullable) {
        for (size_t i = 0; rc == LP_OK && i < n; i++)
          if (!is_null_v(vals[i]) && is_null_v(sub[i]))
            rc = lp_error_set(c->err, LP_EINVAL, "line %zu: field \"%s\": missing value for a non-null field", c->lines[rows[i]], sp);
        tmp.nullable = true;
      }
      if (rc == LP_OK) rc = build(c, &tmp, sp, sub, rows, n, &kids[k]);
      if (rc == LP_OK) built++;
    }
    free(sub);
    if (rc != LP_OK) {
      for (size_t k = 0; k < built; k++) lp__arrow_release(&kids[k]);
      free(kids);
      free(validity);
      return rc;
    }
    rc = lp__arrow_struct_make(out, kids, f->n_children, (int64_t)n, validity, nulls, c->err);
    free(kids);
    return rc;
  }
  /* fixed-width primitive */
  size_t w = lp__wtype_width(f->type);
  uint8_t *vb = lp__arrow_buf_calloc(n * w + 1);
  if (vb == NULL) rc = lp_error_set(c->err, LP_ENOMEM, "out of memory");
  for (size_t i = 0; rc == LP_OK && i < n; i++)
    if (!is_null_v(vals[i])) rc = put_fixed(c, rows[i], path, f->type, vals[i], vb + i * w);
  if (rc != LP_OK) {
    free(vb);
    free(validity);
    return rc;
  }
  void *bufs[2] = {validity, vb};
  return lp__arrow_array_make(out, (int64_t)n, nulls, 2, bufs, NULL, 0, c->err);
}

lp_status lp__json_rows_to_batch(const lp__schema *schema, json_t *const *rows, const size_t *lines, size_t n,
                                 struct ArrowArray *out, lp_error *err) {
  jctx c = {lines, err};
  size_t *idx = malloc((n + 1) * sizeof *idx);
  json_t **col = malloc((n + 1) * sizeof *col);
  struct ArrowArray *kids = calloc(schema->n_fields ? schema->n_fields : 1, sizeof *kids);
  lp_status rc = (idx && col && kids) ? LP_OK : lp_error_set(err, LP_ENOMEM, "out of memory");
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    idx[i] = i;
    if (!json_is_object(rows[i])) {
      rc = lp_error_set(err, LP_EINVAL, "line %zu: expected a JSON object", lines[i]);
      break;
    }
    const char *key;
    json_t *v;
    json_object_foreach(rows[i], key, v) {
      if (lp__schema_find(schema, key) == NULL) {
        rc = lp_error_set(err, LP_EINVAL, "line %zu: field \"%s\": no such column", lines[i], key);
        break;
      }
    }
  }
  size_t built = 0;
  for (size_t k = 0; rc == LP_OK && k < schema->n_fields; k++) {
    for (size_t i = 0; i < n; i++) col[i] = json_object_get(rows[i], schema->fields[k].name);
    rc = build(&c, &schema->fields[k], schema->fields[k].name, col, idx, n, &kids[k]);
    if (rc == LP_OK) built++;
  }
  free(idx);
  free(col);
  if (rc != LP_OK) {
    for (size_t k = 0; k < built; k++) lp__arrow_release(&kids[k]);
    free(kids);
    return rc;
  }
  rc = lp__arrow_struct_make(out, kids, schema->n_fields, (int64_t)n, NULL, 0, err);
  free(kids);
  return rc;
}

/* ---- a stream over prepared batches ----------------------------------------------------------------- */

typedef struct bstream {
  lp__schema schema;
  struct ArrowArray *batches;
  size_t n, next;
} bstream;

static int bs_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  bstream *b = s->private_data;
  return lp__wschema_to_arrow(&b->schema, out, NULL) == LP_OK ? 0 : 12;
}

static int bs_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  bstream *b = s->private_data;
  memset(out, 0, sizeof *out);
  if (b->next < b->n) lp__arrow_move(&b->batches[b->next++], out);
  return 0;
}

static const char *bs_last_error(struct ArrowArrayStream *s) {
  (void)s;
  return "out of memory";
}

static void bs_release(struct ArrowArrayStream *s) {
  bstream *b = s->private_data;
  if (b) {
    for (size_t i = b->next; i < b->n; i++) lp__arrow_release(&b->batches[i]);
    free(b->batches);
    lp__wschema_reset(&b->schema);
    free(b);
  }
  s->release = NULL;
}

lp_status lp__batches_stream(const lp__schema *schema, struct ArrowArray *batches, size_t n,
                             struct ArrowArrayStream *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  bstream *b = calloc(1, sizeof *b);
  lp_status rc = b ? lp__wschema_copy(schema, &b->schema, err) : lp_error_set(err, LP_ENOMEM, "out of memory");
  if (rc != LP_OK) {
    free(b);
    for (size_t i = 0; i < n; i++) lp__arrow_release(&batches[i]);
    free(batches);
    return rc;
  }
  b->batches = batches;
  b->n = n;
  out->private_data = b;
  out->get_schema = bs_get_schema;
  out->get_next = bs_get_next;
  out->get_last_error = bs_last_error;
  out->release = bs_release;
  return LP_OK;
}
