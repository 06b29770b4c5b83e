/* Arrow C Data Interface arrays that own their buffers: allocation, release, struct assembly, null arrays,
 * slicing and concatenation. See arrow_util.h. */
#include "format/arrow_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct arrow_priv {
  void *bufs[LP__ARROW_MAX_BUFFERS];          /* owned, from lp__arrow_buf_alloc */
  const void *buf_ptrs[LP__ARROW_MAX_BUFFERS];
  struct ArrowArray *child_store;             /* owned children */
  struct ArrowArray **child_ptrs;
  int n_children;
} arrow_priv;

static size_t round_up64(size_t n) {
  return (n + (LP__ARROW_ALIGN - 1)) & ~(size_t)(LP__ARROW_ALIGN - 1);
}

void *lp__arrow_buf_alloc(size_t size_bytes) {
  size_t n = round_up64(size_bytes == 0 ? 1 : size_bytes);
  if (n < size_bytes) return NULL;
  uint8_t *p = aligned_alloc(LP__ARROW_ALIGN, n);
  if (p != NULL && n > size_bytes) memset(p + size_bytes, 0, n - size_bytes);
  return p;
}

void *lp__arrow_buf_calloc(size_t size_bytes) {
  size_t n = round_up64(size_bytes == 0 ? 1 : size_bytes);
  if (n < size_bytes) return NULL;
  void *p = aligned_alloc(LP__ARROW_ALIGN, n);
  if (p != NULL) memset(p, 0, n);
  return p;
}

void *lp__arrow_buf_realloc(void *buf, size_t old_size, size_t new_size) {
  void *p = lp__arrow_buf_alloc(new_size);
  if (p == NULL) return NULL;
  if (buf != NULL) {
    memcpy(p, buf, old_size < new_size ? old_size : new_size);
    free(buf);
  }
  return p;
}

void lp__arrow_buf_free(void *buf) {
  free(buf);
}

static void priv_release(struct ArrowArray *a) {
  if (a == NULL || a->release == NULL) return;
  arrow_priv *p = a->private_data;
  if (p != NULL) {
    for (int i = 0; i < LP__ARROW_MAX_BUFFERS; i++) free(p->bufs[i]);
    for (int i = 0; i < p->n_children; i++) lp__arrow_release(&p->child_store[i]);
    free(p->child_store);
    free(p->child_ptrs);
    free(p);
  }
  if (a->dictionary != NULL) {
    lp__arrow_release(a->dictionary);
    free(a->dictionary);
  }
  a->release = NULL;
}

void lp__arrow_release(struct ArrowArray *a) {
  if (a != NULL && a->release != NULL) a->release(a);
}

void lp__arrow_move(struct ArrowArray *src, struct ArrowArray *dst) {
  *dst = *src;
  src->release = NULL;
}

lp_status lp__arrow_array_make(struct ArrowArray *out, int64_t length, int64_t null_count, int n_buffers,
                               void *const *buffers, struct ArrowArray **children, int n_children,
                               lp_error *err) {
  memset(out, 0, sizeof *out);
  arrow_priv *p = calloc(1, sizeof *p);
  if (p != NULL && n_children > 0) {
    p->child_store = calloc((size_t)n_children, sizeof *p->child_store);
    p->child_ptrs = calloc((size_t)n_children, sizeof *p->child_ptrs);
  }
  if (p == NULL || (n_children > 0 && (p->child_store == NULL || p->child_ptrs == NULL)) ||
      n_buffers > LP__ARROW_MAX_BUFFERS) {
    for (int i = 0; i < n_buffers && i < LP__ARROW_MAX_BUFFERS; i++) free(buffers[i]);
    for (int i = 0; i < n_children; i++) lp__arrow_release(children[i]);
    if (p != NULL) {
      free(p->child_store);
      free(p->child_ptrs);
      free(p);
    }
    if (n_buffers > LP__ARROW_MAX_BUFFERS)
      return lp_error_set(err, LP_EINVAL, "arrow array: %d buffers, at most %d", n_buffers,
                          LP__ARROW_MAX_BUFFERS);
    return lp_error_set(err, LP_ENOMEM, "arrow array: out of memory");
  }
  for (int i = 0; i < n_buffers; i++) {
    p->bufs[i] = buffers[i];
    p->buf_ptrs[i] = buffers[i];
  }
  for (int i = 0; i < n_children; i++) {
    lp__arrow_move(children[i], &p->child_store[i]);
    p->child_ptrs[i] = &p->child_store[i];
  }
  p->n_children = n_children;
  out->length = length;
  out->null_count = null_count;
  out->offset = 0;
  out->n_buffers = n_buffers;
  out->n_children = n_children;
  out->buffers = p->buf_ptrs;
  out->children = n_children > 0 ? p->child_ptrs : NULL;
  out->dictionary = NULL;
  out->release = priv_release;
  out->private_data = p;
  return LP_OK;
}

lp_status lp__arrow_struct_make(struct ArrowArray *out, struct ArrowArray *children, size_t n_children,
                                int64_t length, void *validity, int64_t null_count, lp_error *err) {
  struct ArrowArray **ptrs = NULL;
  if (n_children > 0) {
    ptrs = malloc(n_children * sizeof *ptrs);
    if (ptrs == NULL) {
      for (size_t i = 0; i < n_children; i++) lp__arrow_release(&children[i]);
      free(validity);
      return lp_error_set(err, LP_ENOMEM, "struct array: out of memory");
    }
  }
  for (size_t i = 0; i < n_children; i++) {
    if (children[i].length < length) {
      for (size_t j = 0; j < n_children; j++) lp__arrow_release(&children[j]);
      free(validity);
      free(ptrs);
      return lp_error_set(err, LP_EINVAL, "struct array: child %zu has %lld rows, expected %lld", i,
                          (long long)children[i].length, (long long)length);
    }
    ptrs[i] = &children[i];
  }
  void *bufs[1] = {validity};
  lp_status rc = lp__arrow_array_make(out, length, validity ? null_count : 0, 1, bufs, ptrs, (int)n_children,
                                      err);
  free(ptrs);
  return rc;
}

int lp__arrow_format_bit_width(const char *f) {
  if (f == NULL) return 0;
  if (f[1] == '\0') {
    switch (f[0]) {
      case 'b': return 1;
      case 'c': case 'C': return 8;
      case 's': case 'S': case 'e': return 16;
      case 'i': case 'I': case 'f': return 32;
      case 'l': case 'L': case 'g': return 64;
      default: return 0;
    }
  }
  if (f[0] == 't') {
    if (f[1] == 'd') return f[2] == 'D' ? 32 : 64;
    if (f[1] == 't') return (f[2] == 's' || f[2] == 'm') ? 32 : 64;
    if (f[1] == 's' || f[1] == 'D') return 64;
    return 0;
  }
  if (f[0] == 'w' && f[1] == ':') {
    long n = strtol(f + 2, NULL, 10);
    return (n > 0 && n < (1 << 24)) ? (int)(n * 8) : 0;
  }
  return 0;
}

int64_t lp__arrow_count_nulls(const uint8_t *validity, int64_t offset, int64_t length) {
  if (validity == NULL) return 0;
  int64_t set = 0, i = offset, end = offset + length;
  for (; i < end && (i & 7); i++) set += lp__bit_get(validity, i);
  for (; i + 64 <= end; i += 64) {
    uint64_t w;
    memcpy(&w, validity + (i >> 3), 8);
    set += __builtin_popcountll(w);
  }
  for (; i < end; i++) set += lp__bit_get(validity, i);
  return length - set;
}

void lp__bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n) {
  if (n <= 0) return;
  if ((dst_off & 7) == 0 && (src_off & 7) == 0) {
    int64_t whole = n >> 3;
    if (whole > 0) memcpy(dst + (dst_off >> 3), src + (src_off >> 3), (size_t)whole);
    for (int64_t i = whole * 8; i < n; i++) {
      if (lp__bit_get(src, src_off + i)) lp__bit_set(dst, dst_off + i);
      else lp__bit_clear(dst, dst_off + i);
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (lp__bit_get(src, src_off + i)) lp__bit_set(dst, dst_off + i);
    else lp__bit_clear(dst, dst_off + i);
  }
}

/* ---- type classification from the format string ---- */

typedef enum kind {
  K_NULL, K_FIXED, K_BINARY32, K_BINARY64, K_FSL, K_LIST32, K_LIST64, K_STRUCT, K_UNKNOWN
} kind;

static kind format_kind(const char *f, int *bits, int64_t *fsl_size) {
  *bits = lp__arrow_format_bit_width(f);
  if (*bits > 0) return K_FIXED;
  if (strcmp(f, "n") == 0) return K_NULL;
  if (strcmp(f, "u") == 0 || strcmp(f, "z") == 0) return K_BINARY32;
  if (strcmp(f, "U") == 0 || strcmp(f, "Z") == 0) return K_BINARY64;
  if (strcmp(f, "+l") == 0) return K_LIST32;
  if (strcmp(f, "+L") == 0) return K_LIST64;
  if (strcmp(f, "+s") == 0) return K_STRUCT;
  if (strncmp(f, "+w:", 3) == 0) {
    long n = strtol(f + 3, NULL, 10);
    if (n <= 0) return K_UNKNOWN;
    *fsl_size = n;
    return K_FSL;
  }
  return K_UNKNOWN;
}

static int64_t list_off(const void *offs, bool large, int64_t i) {
  return large ? ((const int64_t *)offs)[i] : (int64_t)((const int32_t *)offs)[i];
}

lp_status lp__arrow_make_nulls(struct ArrowArray *out, const struct ArrowSchema *schema, int64_t length,
                               lp_error *err) {
  int bits = 0;
  int64_t fsl = 0;
  kind k = format_kind(schema->format, &bits, &fsl);
  size_t vbytes = (size_t)(length + 7) / 8;
  void *bufs[3] = {NULL, NULL, NULL};
  struct ArrowArray child;
  struct ArrowArray *cp[1] = {&child};
  switch (k) {
    case K_NULL:
      return lp__arrow_array_make(out, length, length, 0, bufs, NULL, 0, err);
    case K_FIXED:
      bufs[0] = lp__arrow_buf_calloc(vbytes);
      bufs[1] = lp__arrow_buf_calloc(((size_t)length * (size_t)bits + 7) / 8);
      if (!bufs[0] || !bufs[1]) goto oom;
      return lp__arrow_array_make(out, length, length, 2, bufs, NULL, 0, err);
    case K_BINARY32:
    case K_BINARY64:
    case K_LIST32:
    case K_LIST64: {
      bool large = (k == K_BINARY64 || k == K_LIST64);
      bufs[0] = lp__arrow_buf_calloc(vbytes);
      bufs[1] = lp__arrow_buf_calloc((size_t)(length + 1) * (large ? 8 : 4));
      if (!bufs[0] || !bufs[1]) goto oom;
      if (k == K_BINARY32 || k == K_BINARY64) {
        bufs[2] = lp__arrow_buf_calloc(0);
        if (!bufs[2]) goto oom;
        return lp__arrow_array_make(out, length, length, 3, bufs, NULL, 0, err);
      }
      if (schema->n_children != 1) goto bad;
      lp_status rc = lp__arrow_make_nulls(&child, schema->children[0], 0, err);
      if (rc != LP_OK) {
        free(bufs[0]);
        free(bufs[1]);
        return rc;
      }
      return lp__arrow_array_make(out, length, length, 2, bufs, cp, 1, err);
    }
    case K_FSL: {
      if (schema->n_children != 1) goto bad;
      bufs[0] = lp__arrow_buf_calloc(vbytes);
      if (!bufs[0]) goto oom;
      lp_status rc = lp__arrow_make_nulls(&child, schema->children[0], length * fsl, err);
      if (rc != LP_OK) {
        free(bufs[0]);
        return rc;
      }
      /* the child values are nulls too; a consumer only looks at them through the parent's validity */
      return lp__arrow_array_make(out, length, length, 1, bufs, cp, 1, err);
    }
    case K_STRUCT: {
      struct ArrowArray *kids = calloc((size_t)schema->n_children + 1, sizeof *kids);
      if (kids == NULL) goto oom;
      for (int64_t i = 0; i < schema->n_children; i++) {
        lp_status rc = lp__arrow_make_nulls(&kids[i], schema->children[i], length, err);
        if (rc != LP_OK) {
          for (int64_t j = 0; j < i; j++) lp__arrow_release(&kids[j]);
          free(kids);
          return rc;
        }
      }
      void *v = lp__arrow_buf_calloc(vbytes);
      if (v == NULL) {
        for (int64_t j = 0; j < schema->n_children; j++) lp__arrow_release(&kids[j]);
        free(kids);
        goto oom;
      }
      lp_status rc = lp__arrow_struct_make(out, kids, (size_t)schema->n_children, length, v, length, err);
      free(kids);
      return rc;
    }
    default:
      goto bad;
  }
oom:
  for (int i = 0; i < 3; i++) free(bufs[i]);
  return lp_error_set(err, LP_ENOMEM, "null array: out of memory");
bad:
  for (int i = 0; i < 3; i++) free(bufs[i]);
  return lp_error_set(err, LP_EUNSUPPORTED, "null array: unsupported Arrow format \"%s\"", schema->format);
}

/* ---- concatenation ---- */

/* Appends validity of n arrays (each from its own offset) into one bitmap; NULL when no input has nulls. */
static lp_status concat_validity(const struct ArrowArray *const *arrs, size_t n, int64_t total, void **out,
                                 int64_t *out_nulls, lp_error *err) {
  int64_t nulls = 0;
  for (size_t i = 0; i < n; i++) nulls += arrs[i]->null_count;
  *out = NULL;
  *out_nulls = nulls;
  if (nulls == 0) return LP_OK;
  uint8_t *v = lp__arrow_buf_alloc((size_t)(total + 7) / 8);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "concat: out of memory");
  int64_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *src = arrs[i]->n_buffers > 0 ? arrs[i]->buffers[0] : NULL;
    if (src != NULL && arrs[i]->null_count != 0) {
      lp__bits_copy(v, pos, src, arrs[i]->offset, arrs[i]->length);
    } else {
      for (int64_t j = 0; j < arrs[i]->length; j++) lp__bit_set(v, pos + j);
    }
    pos += arrs[i]->length;
  }
  *out = v;
  return LP_OK;
}

static lp_status concat_views(const struct ArrowArray *const *arrs, size_t n, const struct ArrowSchema *schema,
                              struct ArrowArray *out, lp_error *err);

/* Child views of a nested array: a shallow "sub-array" description (offset/length window) on the child. */
typedef struct view {
  struct ArrowArray a; /* a copy of the child struct with offset/length adjusted; never released */
} view;

static lp_status concat_children(const struct ArrowArray *const *arrs, size_t n, const struct ArrowSchema *cs,
                                 int child_idx, const int64_t *starts, const int64_t *lens,
                                 struct ArrowArray *out, lp_error *err) {
  view *vs = calloc(n + 1, sizeof *vs);
  const struct ArrowArray **ptrs = calloc(n + 1, sizeof *ptrs);
  if (vs == NULL || ptrs == NULL) {
    free(vs);
    free(ptrs);
    return lp_error_set(err, LP_ENOMEM, "concat: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    vs[i].a = *arrs[i]->children[child_idx];
    vs[i].a.offset = arrs[i]->children[child_idx]->offset + starts[i];
    vs[i].a.length = lens[i];
    /* null counts of a window are recomputed from the bitmap */
    const uint8_t *vb = vs[i].a.n_buffers > 0 ? vs[i].a.buffers[0] : NULL;
    if (vs[i].a.null_count != 0 && vb != NULL)
      vs[i].a.null_count = lp__arrow_count_nulls(vb, vs[i].a.offset, lens[i]);
    else if (vs[i].a.null_count != 0 && strcmp(cs->format, "n") != 0)
      vs[i].a.null_count = 0;
    else if (strcmp(cs->format, "n") == 0)
      vs[i].a.null_count = lens[i];
    ptrs[i] = &vs[i].a;
  }
  lp_status rc = concat_views(ptrs, n, cs, out, err);
  free(vs);
  free(ptrs);
  return rc;
}

static lp_status concat_views(const struct ArrowArray *const *arrs, size_t n, const struct ArrowSchema *schema,
                              struct ArrowArray *out, lp_error *err) {
  int bits = 0;
  int64_t fsl = 0;
  kind k = format_kind(schema->format, &bits, &fsl);
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) total += arrs[i]->length;
  void *bufs[3] = {NULL, NULL, NULL};
  int64_t nulls = 0;
  lp_status rc;
  if (k == K_UNKNOWN)
    return lp_error_set(err, LP_EUNSUPPORTED, "concat: unsupported Arrow format \"%s\"", schema->format);
  if (k == K_NULL) return lp__arrow_array_make(out, total, total, 0, bufs, NULL, 0, err);
  rc = concat_validity(arrs, n, total, &bufs[0], &nulls, err);
  if (rc != LP_OK) return rc;
  switch (k) {
    case K_FIXED: {
      bufs[1] = lp__arrow_buf_alloc(((size_t)total * (size_t)bits + 7) / 8);
      if (bufs[1] == NULL) goto oom;
      int64_t pos = 0;
      for (size_t i = 0; i < n; i++) {
        const uint8_t *src = arrs[i]->buffers[1];
        if (bits == 1) {
          lp__bits_copy(bufs[1], pos, src, arrs[i]->offset, arrs[i]->length);
        } else {
          size_t w = (size_t)bits / 8;
          if (arrs[i]->length > 0)
            memcpy((uint8_t *)bufs[1] + (size_t)pos * w, src + (size_t)arrs[i]->offset * w,
                   (size_t)arrs[i]->length * w);
        }
        pos += arrs[i]->length;
      }
      return lp__arrow_array_make(out, total, nulls, 2, bufs, NULL, 0, err);
    }
    case K_BINARY32:
    case K_BINARY64:
    case K_LIST32:
    case K_LIST64: {
      bool large = (k == K_BINARY64 || k == K_LIST64);
      bool binary = (k == K_BINARY32 || k == K_BINARY64);
      bufs[1] = lp__arrow_buf_alloc((size_t)(total + 1) * (large ? 8 : 4));
      if (bufs[1] == NULL) goto oom;
      int64_t *starts = calloc(n + 1, sizeof *starts), *lens = calloc(n + 1, sizeof *lens);
      if (starts == NULL || lens == NULL) {
        free(starts);
        free(lens);
        goto oom;
      }
      int64_t pos = 0, acc = 0;
      for (size_t i = 0; i < n; i++) {
        const void *o = arrs[i]->buffers[1];
        int64_t base = arrs[i]->length > 0 || o ? list_off(o, large, arrs[i]->offset) : 0;
        starts[i] = base;
        for (int64_t j = 0; j < arrs[i]->length; j++) {
          int64_t v = acc + list_off(o, large, arrs[i]->offset + j) - base;
          if (large) ((int64_t *)bufs[1])[pos + j] = v;
          else ((int32_t *)bufs[1])[pos + j] = (int32_t)v;
        }
        lens[i] = arrs[i]->length > 0 ? list_off(o, large, arrs[i]->offset + arrs[i]->length) - base : 0;
        acc += lens[i];
        pos += arrs[i]->length;
      }
      if (!large && acc > INT32_MAX) {
        free(starts);
        free(lens);
        for (int i = 0; i < 3; i++) free(bufs[i]);
        return lp_error_set(err, LP_EINVAL, "concat: %lld bytes/items overflow 32-bit offsets", (long long)acc);
      }
      if (large) ((int64_t *)bufs[1])[total] = acc;
      else ((int32_t *)bufs[1])[total] = (int32_t)acc;
      if (binary) {
        bufs[2] = lp__arrow_buf_alloc((size_t)acc);
        if (bufs[2] == NULL) {
          free(starts);
          free(lens);
          goto oom;
        }
        int64_t at = 0;
        for (size_t i = 0; i < n; i++) {
          if (lens[i] > 0) memcpy((uint8_t *)bufs[2] + at, (const uint8_t *)arrs[i]->buffers[2] + starts[i],
                                  (size_t)lens[i]);
          at += lens[i];
        }
        free(starts);
        free(lens);
        return lp__arrow_array_make(out, total, nulls, 3, bufs, NULL, 0, err);
      }
      struct ArrowArray child;
      struct ArrowArray *cp[1] = {&child};
      if (schema->n_children != 1) {
        free(starts);
        free(lens);
        for (int i = 0; i < 3; i++) free(bufs[i]);
        return lp_error_set(err, LP_EINVAL, "concat: list schema has %lld children", (long long)schema->n_children);
      }
      rc = concat_children(arrs, n, schema->children[0], 0, starts, lens, &child, err);
      free(starts);
      free(lens);
      if (rc != LP_OK) {
        for (int i = 0; i < 3; i++) free(bufs[i]);
        return rc;
      }
      return lp__arrow_array_make(out, total, nulls, 2, bufs, cp, 1, err);
    }
    case K_FSL:
    case K_STRUCT: {
      int nk = (int)schema->n_children;
      if ((k == K_FSL && nk != 1) || nk < 0) {
        free(bufs[0]);
        return lp_error_set(err, LP_EINVAL, "concat: bad child count %d", nk);
      }
      int64_t *starts = calloc(n + 1, sizeof *starts), *lens = calloc(n + 1, sizeof *lens);
      struct ArrowArray *kids = calloc((size_t)nk + 1, sizeof *kids);
      struct ArrowArray **kp = calloc((size_t)nk + 1, sizeof *kp);
      if (!starts || !lens || !kids || !kp) {
        free(starts);
        free(lens);
        free(kids);
        free(kp);
        goto oom;
      }
      int64_t mul = k == K_FSL ? fsl : 1;
      for (size_t i = 0; i < n; i++) {
        starts[i] = arrs[i]->offset * mul;
        lens[i] = arrs[i]->length * mul;
      }
      for (int c = 0; c < nk; c++) {
        rc = concat_children(arrs, n, schema->children[c], c, starts, lens, &kids[c], err);
        if (rc != LP_OK) {
          for (int j = 0; j < c; j++) lp__arrow_release(&kids[j]);
          free(starts);
          free(lens);
          free(kids);
          free(kp);
          free(bufs[0]);
          return rc;
        }
        kp[c] = &kids[c];
      }
      free(starts);
      free(lens);
      rc = lp__arrow_array_make(out, total, nulls, 1, bufs, kp, nk, err);
      free(kids);
      free(kp);
      return rc;
    }
    default:
      break;
  }
oom:
  for (int i = 0; i < 3; i++) free(bufs[i]);
  return lp_error_set(err, LP_ENOMEM, "concat: out of memory");
}

lp_status lp__arrow_concat(struct ArrowArray *arrays, size_t n, const struct ArrowSchema *schema,
                           struct ArrowArray *out, lp_error *err) {
  if (n == 1 && arrays[0].offset == 0) {
    lp__arrow_move(&arrays[0], out);
    return LP_OK;
  }
  const struct ArrowArray **ptrs = calloc(n + 1, sizeof *ptrs);
  lp_status rc;
  if (ptrs == NULL) {
    rc = lp_error_set(err, LP_ENOMEM, "concat: out of memory");
  } else {
    for (size_t i = 0; i < n; i++) ptrs[i] = &arrays[i];
    rc = concat_views(ptrs, n, schema, out, err);
  }
  free(ptrs);
  for (size_t i = 0; i < n; i++) lp__arrow_release(&arrays[i]);
  return rc;
}

lp_status lp__arrow_slice_copy(const struct ArrowArray *src, const struct ArrowSchema *schema, int64_t offset,
                               int64_t length, struct ArrowArray *out, lp_error *err) {
  if (offset < 0 || length < 0 || offset + length > src->length)
    return lp_error_set(err, LP_EINVAL, "slice: rows [%lld, %lld) outside an array of %lld rows",
                        (long long)offset, (long long)(offset + length), (long long)src->length);
  struct ArrowArray v = *src;
  v.offset = src->offset + offset;
  v.length = length;
  const uint8_t *vb = v.n_buffers > 0 ? v.buffers[0] : NULL;
  if (strcmp(schema->format, "n") == 0) v.null_count = length;
  else if (v.null_count != 0 && vb != NULL) v.null_count = lp__arrow_count_nulls(vb, v.offset, length);
  else v.null_count = 0;
  const struct ArrowArray *ptrs[1] = {&v};
  return concat_views(ptrs, 1, schema, out, err);
}
