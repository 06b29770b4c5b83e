/* JSON Lines rendering of Arrow record batches for `lancepool dump` (see json_out.h for the mapping).
 * Hand-written because it is output only and no Debian library prints shortest round-trip float32 and
 * float16 text: the float search below uses the C library's correctly rounded printf/strtod. */
#include "cli/json_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MIN_CAP 4096
#define SMALL_MAX 64 /* the most bytes one number or token needs */

/* ---- Buffered writer ------------------------------------------------------------------------------ */

lp_status lp__json_out_init(lp__json_out *o, FILE *fp, size_t cap_bytes, lp_error *err) {
  memset(o, 0, sizeof *o);
  if (cap_bytes < OUT_MIN_CAP) cap_bytes = OUT_MIN_CAP;
  o->buf = malloc(cap_bytes);
  if (o->buf == NULL) return lp_error_set(err, LP_ENOMEM, "json output: out of memory (%zu bytes)", cap_bytes);
  o->fp = fp;
  o->cap = cap_bytes;
  return LP_OK;
}

static void drain(lp__json_out *o) {
  if (o->len > 0 && !o->failed && fwrite(o->buf, 1, o->len, o->fp) != o->len) o->failed = true;
  o->len = 0;
}

lp_status lp__json_out_flush(lp__json_out *o, lp_error *err) {
  drain(o);
  if (!o->failed && fflush(o->fp) != 0) o->failed = true;
  if (o->failed) return lp_error_set_errno(err, LP_EIO, errno, "writing output failed");
  return LP_OK;
}

void lp__json_out_reset(lp__json_out *o) {
  free(o->buf);
  o->buf = NULL;
  o->len = o->cap = 0;
}

/* Room for n <= cap bytes at the end of the buffer. */
static inline char *reserve(lp__json_out *o, size_t n) {
  if (o->cap - o->len < n) drain(o);
  return o->buf + o->len;
}

static inline void put(lp__json_out *o, const char *s, size_t n) {
  if (n > o->cap - o->len) {
    drain(o);
    if (n > o->cap) {
      if (!o->failed && fwrite(s, 1, n, o->fp) != n) o->failed = true;
      return;
    }
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static inline void put_char(lp__json_out *o, char c) {
  if (o->len == o->cap) drain(o);
  o->buf[o->len++] = c;
}

/* ---- Numbers ------------------------------------------------------------------------------------- */

static size_t fmt_u64(uint64_t v, char *out) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

static size_t fmt_i64(int64_t v, char *out) {
  if (v >= 0) return fmt_u64((uint64_t)v, out);
  out[0] = '-';
  return 1 + fmt_u64((uint64_t)0 - (uint64_t)v, out + 1); /* exact for INT64_MIN too */
}

static inline void put_i64(lp__json_out *o, int64_t v) {
  char *p = reserve(o, SMALL_MAX);
  o->len += fmt_i64(v, p);
}

static inline void put_u64(lp__json_out *o, uint64_t v) {
  char *p = reserve(o, SMALL_MAX);
  o->len += fmt_u64(v, p);
}

typedef enum { FLOAT_64, FLOAT_32, FLOAT_16 } float_width;

static bool reads_back(const char *text, double v, float_width w) {
  switch (w) {
  case FLOAT_64: return strtod(text, NULL) == v;
  case FLOAT_32: return strtof(text, NULL) == (float)v;
  case FLOAT_16: return lp__half_from_double(strtod(text, NULL)) == lp__half_from_double(v);
  }
  return false;
}

/* Decimal digits and exponent of a candidate: value = 0.DIGITS * 10^point. */
typedef struct {
  char digits[24];
  int n_digits;
  int point;
} decimal;

/* Parse printf's "%.*e" text ("d.ddde+XX") into a decimal. */
static void parse_e(const char *text, decimal *d) {
  d->n_digits = 0;
  const char *p = text;
  for (; *p != 'e'; p++)
    if (*p != '.') d->digits[d->n_digits++] = *p;
  d->point = atoi(p + 1) + 1;
}

static void decimal_text(const decimal *d, char *out) {
  snprintf(out, 48, "%c.%.*se%d", d->digits[0], d->n_digits - 1, d->digits + 1, d->point - 1);
}

/* Is there a p-digit decimal that reads back as v (v > 0, finite)? The correctly rounded one is the
 * closest, so it is the answer unless v is a power of two: there the interval below v is half as wide
 * as the one above, and the next p-digit decimal above may read back when the closest (below) does not. */
static bool try_precision(double v, int p, float_width w, decimal *out) {
  char text[48];
  snprintf(text, sizeof text, "%.*e", p - 1, v);
  if (reads_back(text, v, w)) {
    parse_e(text, out);
    return true;
  }
  int e;
  if (frexp(v, &e) != 0.5 || strtod(text, NULL) >= v) return false;
  decimal up;
  parse_e(text, &up);
  int i = up.n_digits - 1;
  while (i >= 0 && up.digits[i] == '9') up.digits[i--] = '0';
  if (i < 0) { /* 99.9 -> 100: one digit longer, shifted */
    memmove(up.digits + 1, up.digits, (size_t)up.n_digits);
    up.digits[0] = '1';
    up.point++;
  } else {
    up.digits[i]++;
  }
  decimal_text(&up, text);
  if (!reads_back(text, v, w)) return false;
  *out = up;
  return true;
}

/* ECMAScript Number::toString layout of a decimal with n_digits significant digits. */
static size_t layout(const decimal *d, bool negative, char *out) {
  size_t n = 0;
  int k = d->n_digits, pt = d->point;
  while (k > 1 && d->digits[k - 1] == '0') k--;
  if (negative) out[n++] = '-';
  if (k <= pt && pt <= 21) {
    memcpy(out + n, d->digits, (size_t)k);
    n += (size_t)k;
    for (int i = k; i < pt; i++) out[n++] = '0';
  } else if (0 < pt && pt <= 21) {
    memcpy(out + n, d->digits, (size_t)pt);
    n += (size_t)pt;
    out[n++] = '.';
    memcpy(out + n, d->digits + pt, (size_t)(k - pt));
    n += (size_t)(k - pt);
  } else if (-6 < pt && pt <= 0) {
    out[n++] = '0';
    out[n++] = '.';
    for (int i = pt; i < 0; i++) out[n++] = '0';
    memcpy(out + n, d->digits, (size_t)k);
    n += (size_t)k;
  } else {
    out[n++] = d->digits[0];
    if (k > 1) {
      out[n++] = '.';
      memcpy(out + n, d->digits + 1, (size_t)(k - 1));
      n += (size_t)(k - 1);
    }
    int e = pt - 1;
    n += (size_t)snprintf(out + n, 8, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
  }
  out[n] = '\0';
  return n;
}

/* Shortest decimal that reads back as v at width w; among those of that length, the closest. Having a
 * p-digit decimal in the round-trip interval implies having a (p+1)-digit one, so a binary search over
 * p finds the least. */
static size_t format_float(double v, float_width w, char *out) {
  if (isnan(v)) return (size_t)snprintf(out, LP__JSON_NUM_MAX, "NaN");
  if (isinf(v)) return (size_t)snprintf(out, LP__JSON_NUM_MAX, v < 0 ? "-Infinity" : "Infinity");
  if (v == 0) return (size_t)snprintf(out, LP__JSON_NUM_MAX, signbit(v) ? "-0" : "0");
  bool negative = v < 0;
  double a = fabs(v);
  int lo = 1, hi = w == FLOAT_64 ? 17 : w == FLOAT_32 ? 9 : 5;
  decimal best, d;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (try_precision(a, mid, w, &d)) hi = mid;
    else lo = mid + 1;
  }
  if (!try_precision(a, lo, w, &best)) { /* cannot happen: hi always reads back; stay safe */
    char text[48];
    snprintf(text, sizeof text, "%.*e", hi + 2, a);
    parse_e(text, &best);
  }
  return layout(&best, negative, out);
}

size_t lp__json_format_f64(double v, char *out) { return format_float(v, FLOAT_64, out); }
size_t lp__json_format_f32(float v, char *out) { return format_float((double)v, FLOAT_32, out); }
size_t lp__json_format_f16(uint16_t bits, char *out) {
  return format_float((double)lp__half_to_float(bits), FLOAT_16, out);
}

/* Floats that are not numbers in JSON become strings. */
static void put_float(lp__json_out *o, double v, float_width w) {
  char *p = reserve(o, SMALL_MAX);
  if (isfinite(v)) {
    o->len += format_float(v, w, p);
  } else {
    p[0] = '"';
    size_t n = format_float(v, w, p + 1);
    p[n + 1] = '"';
    o->len += n + 2;
  }
}

/* ---- Strings and bytes ---------------------------------------------------------------------------- */

/* Escape like JSON.stringify: quote, backslash and control bytes; everything else (UTF-8) passes. */
static void put_string(lp__json_out *o, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  put_char(o, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    put(o, (const char *)s + run, i - run);
    run = i + 1;
    char *p = reserve(o, 6);
    p[0] = '\\';
    switch (c) {
    case '"': p[1] = '"'; o->len += 2; break;
    case '\\': p[1] = '\\'; o->len += 2; break;
    case '\b': p[1] = 'b'; o->len += 2; break;
    case '\f': p[1] = 'f'; o->len += 2; break;
    case '\n': p[1] = 'n'; o->len += 2; break;
    case '\r': p[1] = 'r'; o->len += 2; break;
    case '\t': p[1] = 't'; o->len += 2; break;
    default:
      memcpy(p + 1, "u00", 3);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      o->len += 6;
    }
  }
  put(o, (const char *)s + run, n - run);
  put_char(o, '"');
}

static void put_base64(lp__json_out *o, const uint8_t *s, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  put_char(o, '"');
  size_t i = 0;
  while (i + 3 <= n) {
    size_t chunk = (n - i) / 3;
    if (chunk > 256) chunk = 256;
    char *p = reserve(o, chunk * 4);
    for (size_t k = 0; k < chunk; k++, i += 3) {
      uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
      *p++ = tab[v >> 18];
      *p++ = tab[(v >> 12) & 63];
      *p++ = tab[(v >> 6) & 63];
      *p++ = tab[v & 63];
    }
    o->len += chunk * 4;
  }
  if (i < n) {
    uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
    char *p = reserve(o, 4);
    p[0] = tab[v >> 18];
    p[1] = tab[(v >> 12) & 63];
    p[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    p[3] = '=';
    o->len += 4;
  }
  put_char(o, '"');
}

/* ---- Plans --------------------------------------------------------------------------------------- */

typedef enum {
  K_NULL, K_BOOL, K_I8, K_I16, K_I32, K_I64, K_U8, K_U16, K_U32, K_U64, K_F16, K_F32, K_F64,
  K_UTF8, K_LARGE_UTF8, K_BINARY, K_LARGE_BINARY, K_LIST, K_LARGE_LIST, K_FIXED_LIST, K_STRUCT,
} kind;

typedef struct node node;
struct node {
  kind k;
  int64_t list_size; /* K_FIXED_LIST */
  char *key;         /* ',"name":' (no comma for the first member), pre-escaped; struct members only */
  size_t key_len;
  node *children;
  size_t n_children;
};

struct lp__json_plan {
  node root;
};

#define MAX_DEPTH 64

static void node_reset(node *n) {
  for (size_t i = 0; i < n->n_children; i++) node_reset(&n->children[i]);
  free(n->children);
  free(n->key);
}

/* Pre-render a member key: an optional comma, the escaped name and a colon. */
static lp_status make_key(node *n, const char *name, bool first, lp_error *err) {
  FILE *mem;
  char *text = NULL;
  size_t len = 0;
  if ((mem = open_memstream(&text, &len)) == NULL) return lp_error_set(err, LP_ENOMEM, "json plan: out of memory");
  lp__json_out o;
  lp_status rc = lp__json_out_init(&o, mem, OUT_MIN_CAP, err);
  if (rc == LP_OK) {
    if (!first) put_char(&o, ',');
    put_string(&o, (const uint8_t *)(name ? name : ""), name ? strlen(name) : 0);
    put_char(&o, ':');
    rc = lp__json_out_flush(&o, err);
    lp__json_out_reset(&o);
  }
  fclose(mem);
  if (rc != LP_OK) {
    free(text);
    return rc;
  }
  n->key = text;
  n->key_len = len;
  return LP_OK;
}

static lp_status plan_node(const struct ArrowSchema *s, node *n, int depth, lp_error *err) {
  static const struct { const char *format; kind k; } simple[] = {
      {"n", K_NULL}, {"b", K_BOOL}, {"c", K_I8}, {"s", K_I16}, {"i", K_I32}, {"l", K_I64},
      {"C", K_U8}, {"S", K_U16}, {"I", K_U32}, {"L", K_U64}, {"e", K_F16}, {"f", K_F32}, {"g", K_F64},
      {"u", K_UTF8}, {"U", K_LARGE_UTF8}, {"z", K_BINARY}, {"Z", K_LARGE_BINARY},
      {"tdD", K_I32}, {"tdm", K_I64}, {"+l", K_LIST}, {"+L", K_LARGE_LIST}, {"+s", K_STRUCT},
  };
  const char *f = s->format ? s->format : "";
  if (depth > MAX_DEPTH) return lp_error_set(err, LP_EUNSUPPORTED, "column nesting deeper than %d", MAX_DEPTH);
  bool found = false;
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(f, simple[i].format) == 0) {
      n->k = simple[i].k;
      found = true;
    }
  if (!found && strncmp(f, "ts", 2) == 0 && strchr("smun", f[2]) && f[2] != '\0' && f[3] == ':') {
    n->k = K_I64;
    found = true;
  }
  if (!found && strncmp(f, "+w:", 3) == 0) {
    char *end;
    long long size = strtoll(f + 3, &end, 10);
    if (*end != '\0' || size < 0) return lp_error_set(err, LP_ECORRUPT, "bad fixed-size list format '%s'", f);
    n->k = K_FIXED_LIST;
    n->list_size = size;
    found = true;
  }
  if (!found)
    return lp_error_set(err, LP_EUNSUPPORTED, "column '%s': cannot render Arrow type '%s' as JSON",
                        s->name ? s->name : "", f);
  bool nested = n->k == K_LIST || n->k == K_LARGE_LIST || n->k == K_FIXED_LIST || n->k == K_STRUCT;
  if (!nested) return LP_OK;
  if (n->k != K_STRUCT && s->n_children != 1)
    return lp_error_set(err, LP_ECORRUPT, "list type '%s' has %lld children, expected 1", f, (long long)s->n_children);
  if (s->n_children < 0) return lp_error_set(err, LP_ECORRUPT, "negative child count");
  n->children = calloc((size_t)s->n_children + 1, sizeof *n->children);
  if (n->children == NULL) return lp_error_set(err, LP_ENOMEM, "json plan: out of memory");
  n->n_children = (size_t)s->n_children;
  for (size_t i = 0; i < n->n_children; i++) {
    if (n->k == K_STRUCT) LP_TRY(make_key(&n->children[i], s->children[i]->name, i == 0, err));
    LP_TRY(plan_node(s->children[i], &n->children[i], depth + 1, err));
  }
  return LP_OK;
}

lp_status lp__json_plan_create(const struct ArrowSchema *schema, lp__json_plan **out, lp_error *err) {
  *out = NULL;
  if (schema == NULL || schema->format == NULL || strcmp(schema->format, "+s") != 0)
    return lp_error_set(err, LP_EINVAL, "json plan: expected a struct schema (\"+s\")");
  lp__json_plan *p = calloc(1, sizeof *p);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "json plan: out of memory");
  lp_status rc = plan_node(schema, &p->root, 0, err);
  if (rc != LP_OK) {
    lp__json_plan_free(p);
    return rc;
  }
  *out = p;
  return LP_OK;
}

void lp__json_plan_free(lp__json_plan *plan) {
  if (plan == NULL) return;
  node_reset(&plan->root);
  free(plan);
}

/* ---- Rendering ----------------------------------------------------------------------------------- */

static int n_buffers_of(kind k) {
  switch (k) {
  case K_NULL: return 0;
  case K_UTF8: case K_LARGE_UTF8: case K_BINARY: case K_LARGE_BINARY: return 3;
  case K_FIXED_LIST: case K_STRUCT: return 1;
  default: return 2;
  }
}

/* Check an array's shape against its plan node before touching its buffers. */
static lp_status check_shape(const node *n, const struct ArrowArray *a, lp_error *err) {
  if (a == NULL || a->release == NULL) return lp_error_set(err, LP_ECORRUPT, "released or missing array");
  if (a->length < 0 || a->offset < 0 || a->null_count < -1)
    return lp_error_set(err, LP_ECORRUPT, "array with negative length, offset or null count");
  int want = n_buffers_of(n->k);
  if (a->n_buffers != want && !(n->k == K_NULL && a->n_buffers == 1))
    return lp_error_set(err, LP_ECORRUPT, "array has %lld buffers, expected %d", (long long)a->n_buffers, want);
  if ((int64_t)n->n_children != a->n_children)
    return lp_error_set(err, LP_ECORRUPT, "array has %lld children, expected %zu", (long long)a->n_children,
                        n->n_children);
  if (a->length > 0)
    for (int i = 1; i < want; i++)
      if (a->buffers[i] == NULL) return lp_error_set(err, LP_ECORRUPT, "array buffer %d is missing", i);
  for (size_t i = 0; i < n->n_children; i++) LP_TRY(check_shape(&n->children[i], a->children[i], err));
  if (n->k == K_STRUCT)
    for (size_t i = 0; i < n->n_children; i++)
      if (a->children[i]->length < a->offset + a->length)
        return lp_error_set(err, LP_ECORRUPT, "struct member %zu shorter than its parent", i);
  if (n->k == K_FIXED_LIST && a->children[0]->length < (a->offset + a->length) * n->list_size)
    return lp_error_set(err, LP_ECORRUPT, "fixed-size list values shorter than length x size");
  return LP_OK;
}

static inline bool is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *bits = a->buffers[0];
  return a->null_count == 0 || bits == NULL || (bits[i >> 3] >> (i & 7)) & 1;
}

static lp_status write_value(lp__json_out *o, const node *n, const struct ArrowArray *a, int64_t i, lp_error *err);

static lp_status write_members(lp__json_out *o, const node *n, const struct ArrowArray *a, int64_t i,
                               lp_error *err) {
  put_char(o, '{');
  for (size_t c = 0; c < n->n_children; c++) {
    put(o, n->children[c].key, n->children[c].key_len);
    LP_TRY(write_value(o, &n->children[c], a->children[c], a->children[c]->offset + i, err));
  }
  put_char(o, '}');
  return LP_OK;
}

static lp_status write_items(lp__json_out *o, const node *item, const struct ArrowArray *child, int64_t start,
                             int64_t end, lp_error *err) {
  if (start < 0 || end < start || end > child->length)
    return lp_error_set(err, LP_ECORRUPT, "list offsets %lld..%lld outside the %lld values", (long long)start,
                        (long long)end, (long long)child->length);
  put_char(o, '[');
  for (int64_t j = start; j < end; j++) {
    if (j > start) put_char(o, ',');
    LP_TRY(write_value(o, item, child, child->offset + j, err));
  }
  put_char(o, ']');
  return LP_OK;
}

/* Write the value at physical index i (the array's own offset already added). */
static lp_status write_value(lp__json_out *o, const node *n, const struct ArrowArray *a, int64_t i, lp_error *err) {
  if (n->k == K_NULL || !is_valid(a, i)) {
    put(o, "null", 4);
    return LP_OK;
  }
  const void *v = a->buffers[1];
  switch (n->k) {
  case K_BOOL:
    if ((((const uint8_t *)v)[i >> 3] >> (i & 7)) & 1) put(o, "true", 4);
    else put(o, "false", 5);
    break;
  case K_I8: put_i64(o, ((const int8_t *)v)[i]); break;
  case K_I16: put_i64(o, ((const int16_t *)v)[i]); break;
  case K_I32: put_i64(o, ((const int32_t *)v)[i]); break;
  case K_I64: put_i64(o, ((const int64_t *)v)[i]); break;
  case K_U8: put_u64(o, ((const uint8_t *)v)[i]); break;
  case K_U16: put_u64(o, ((const uint16_t *)v)[i]); break;
  case K_U32: put_u64(o, ((const uint32_t *)v)[i]); break;
  case K_U64: put_u64(o, ((const uint64_t *)v)[i]); break;
  case K_F16: put_float(o, (double)lp__half_to_float(((const uint16_t *)v)[i]), FLOAT_16); break;
  case K_F32: put_float(o, (double)((const float *)v)[i], FLOAT_32); break;
  case K_F64: put_float(o, ((const double *)v)[i], FLOAT_64); break;
  case K_UTF8:
  case K_BINARY: {
    const int32_t *off = v;
    if (off[i] < 0 || off[i + 1] < off[i]) return lp_error_set(err, LP_ECORRUPT, "bad string offsets at %lld", (long long)i);
    const uint8_t *data = (const uint8_t *)a->buffers[2] + off[i];
    size_t len = (size_t)(off[i + 1] - off[i]);
    if (n->k == K_UTF8) put_string(o, data, len);
    else put_base64(o, data, len);
    break;
  }
  case K_LARGE_UTF8:
  case K_LARGE_BINARY: {
    const int64_t *off = v;
    if (off[i] < 0 || off[i + 1] < off[i]) return lp_error_set(err, LP_ECORRUPT, "bad string offsets at %lld", (long long)i);
    const uint8_t *data = (const uint8_t *)a->buffers[2] + off[i];
    size_t len = (size_t)(off[i + 1] - off[i]);
    if (n->k == K_LARGE_UTF8) put_string(o, data, len);
    else put_base64(o, data, len);
    break;
  }
  case K_LIST: {
    const int32_t *off = v;
    return write_items(o, &n->children[0], a->children[0], off[i], off[i + 1], err);
  }
  case K_LARGE_LIST: {
    const int64_t *off = v;
    return write_items(o, &n->children[0], a->children[0], off[i], off[i + 1], err);
  }
  case K_FIXED_LIST:
    return write_items(o, &n->children[0], a->children[0], i * n->list_size, (i + 1) * n->list_size, err);
  case K_STRUCT: return write_members(o, n, a, i, err);
  case K_NULL: break;
  }
  return LP_OK;
}

lp_status lp__json_write_rows(lp__json_out *o, const lp__json_plan *plan, const struct ArrowArray *batch,
                              lp_error *err) {
  LP_TRY(check_shape(&plan->root, batch, err));
  for (int64_t r = 0; r < batch->length; r++) {
    LP_TRY(write_members(o, &plan->root, batch, batch->offset + r, err));
    put_char(o, '\n');
  }
  return LP_OK;
}
