/* From repetition/definition levels and decoded values to Arrow arrays: per leaf column, walk the levels
 * once (Dremel-style) to produce every layer's validity bitmap and list offsets, then build the field's
 * array tree, taking ownership of the decoded buffers instead of copying them where possible. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

typedef struct layer_out {
  int64_t length;
  int64_t null_count;
  uint8_t *validity; /* lp__arrow_buf; NULL when no element is null */
  int64_t *offsets;  /* list layers: length + 1 entries */
} layer_out;

typedef struct leaf_layers {
  layer_out l[LP__MAX_LAYERS];
  uint32_t n;
} leaf_layers;

static void layers_free(leaf_layers *ll) {
  for (uint32_t j = 0; j < ll->n; j++) {
    lp__arrow_buf_free(ll->l[j].validity);
    lp__arrow_buf_free(ll->l[j].offsets);
  }
}

static lp_status compute_layers(const lp__leafbuf *b, uint64_t n_rows, leaf_layers *ll, lp_error *err) {
  memset(ll, 0, sizeof *ll);
  ll->n = b->n_layers;
  uint32_t L = b->n_layers;
  uint64_t nl = b->n_levels;
  if (!b->has_rep && !b->has_def) {
    for (uint32_t j = 0; j < L; j++) ll->l[j].length = (int64_t)nl;
    return LP_OK;
  }
  int list_of_depth[LP__MAX_LAYERS + 1] = {0}; /* depth 1 = innermost list */
  uint32_t d = 0;
  for (uint32_t j = 0; j < L; j++) {
    if (b->layer_is_list[j]) list_of_depth[++d] = (int)j;
    ll->l[j].validity = lp__arrow_buf_alloc((nl + 7) / 8);
    if (b->layer_is_list[j]) ll->l[j].offsets = lp__arrow_buf_alloc((nl + 1) * 8);
    if (!ll->l[j].validity || (b->layer_is_list[j] && !ll->l[j].offsets)) {
      layers_free(ll);
      return lp_error_set(err, LP_ENOMEM, "levels: out of memory");
    }
    memset(ll->l[j].validity, 0, (nl + 7) / 8);
  }
  int64_t len[LP__MAX_LAYERS] = {0};
  for (uint64_t i = 0; i < nl; i++) {
    uint16_t code = b->has_def ? b->def[i] : 0;
    int null_layer = code ? (int)((code - 1) >> 1) : -1;
    bool empty = code && ((code - 1) & 1);
    int start = (int)L - 1;
    if (b->max_rep > 0) {
      uint16_t r = b->rep[i];
      if (r < b->max_rep) start = list_of_depth[r + 1] - 1;
      if (i == 0 && r != b->max_rep) {
        layers_free(ll);
        return lp_error_set(err, LP_ECORRUPT, "levels: first level does not start a row (rep %u)", r);
      }
    }
    bool is_null = false;
    for (int j = start; j >= 0; j--) {
      layer_out *lo = &ll->l[j];
      int64_t e = len[j]++;
      if (b->layer_is_list[j]) lo->offsets[e] = j > 0 ? len[j - 1] : 0;
      if (j == null_layer && !empty) is_null = true;
      if (!is_null) lp__bit_set(lo->validity, e);
      else lo->null_count++;
      if (b->layer_is_list[j] && (is_null || j == null_layer)) break;
      if (j == null_layer) is_null = true;
    }
  }
  for (uint32_t j = 0; j < L; j++) {
    ll->l[j].length = len[j];
    if (b->layer_is_list[j]) ll->l[j].offsets[len[j]] = j > 0 ? len[j - 1] : 0;
    if (ll->l[j].null_count == 0) {
      lp__arrow_buf_free(ll->l[j].validity);
      ll->l[j].validity = NULL;
    }
  }
  if (b->max_rep > 0 && (uint64_t)ll->l[L - 1].length != n_rows) {
    layers_free(ll);
    return lp_error_set(err, LP_ECORRUPT, "levels: %lld rows, expected %llu", (long long)ll->l[L - 1].length,
                        (unsigned long long)n_rows);
  }
  if ((uint64_t)ll->l[0].length != b->n_values) {
    layers_free(ll);
    return lp_error_set(err, LP_ECORRUPT, "levels: %lld value slots but %llu values decoded",
                        (long long)ll->l[0].length, (unsigned long long)b->n_values);
  }
  return LP_OK;
}

static uint8_t *take_validity(layer_out *lo, int64_t *null_count) {
  uint8_t *v = lo->validity;
  *null_count = lo->null_count;
  lo->validity = NULL;
  return v;
}

static int elem_bits(lp__type t) {
  switch (t) {
    case LP__TYPE_INT8: case LP__TYPE_UINT8: return 8;
    case LP__TYPE_INT16: case LP__TYPE_UINT16: case LP__TYPE_FLOAT16: return 16;
    case LP__TYPE_INT32: case LP__TYPE_UINT32: case LP__TYPE_FLOAT32: case LP__TYPE_DATE32: return 32;
    default: return 64;
  }
}

static lp_status take_values(lp__leafbuf *b, void **out) {
  if (b->vals == NULL) b->vals = lp__arrow_buf_calloc(8);
  *out = b->vals;
  b->vals = NULL;
  b->vals_cap = 0;
  return *out ? LP_OK : LP_ENOMEM;
}

static lp_status build_leaf(const lp__field *f, lp__leafbuf *b, layer_out *lo, struct ArrowArray *out, lp_error *err) {
  int64_t n = lo->length, nulls = 0;
  void *bufs[3] = {NULL, NULL, NULL};
  if (take_values(b, &bufs[1]) != LP_OK) return lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
  bufs[0] = take_validity(lo, &nulls);
  switch (f->type) {
    case LP__TYPE_UTF8: case LP__TYPE_BINARY: case LP__TYPE_LARGE_UTF8: case LP__TYPE_LARGE_BINARY: {
      bool large = f->type == LP__TYPE_LARGE_UTF8 || f->type == LP__TYPE_LARGE_BINARY;
      bufs[2] = bufs[1];
      if (b->offs == NULL) {
        b->offs = lp__arrow_buf_calloc(16);
        if (b->offs == NULL) goto oom;
      }
      if (large) {
        bufs[1] = b->offs;
        b->offs = NULL;
        b->offs_cap = 0;
      } else {
        if (b->offs[n] > INT32_MAX) {
          for (int i = 0; i < 3; i++) lp__arrow_buf_free(bufs[i]);
          return lp_error_set(err, LP_EUNSUPPORTED, "field %s: %lld bytes of strings overflow 32-bit offsets", f->name,
                              (long long)b->offs[n]);
        }
        int32_t *o32 = lp__arrow_buf_alloc((size_t)(n + 1) * 4);
        if (o32 == NULL) goto oom;
        for (int64_t i = 0; i <= n; i++) o32[i] = (int32_t)b->offs[i];
        bufs[1] = o32;
      }
      return lp__arrow_array_make(out, n, nulls, 3, bufs, NULL, 0, err);
    }
    case LP__TYPE_FIXED_SIZE_LIST: {
      struct ArrowArray child;
      void *cb[2] = {b->item_valid, bufs[1]};
      int64_t items = n * f->list_size;
      int64_t cn = b->item_valid ? lp__arrow_count_nulls(b->item_valid, 0, items) : 0;
      if (cn == 0) {
        lp__arrow_buf_free(b->item_valid);
        cb[0] = NULL;
      }
      b->item_valid = NULL;
      b->item_valid_cap = 0;
      lp_status rc = lp__arrow_array_make(&child, items, cn, 2, cb, NULL, 0, err);
      if (rc != LP_OK) {
        lp__arrow_buf_free(bufs[0]);
        return rc;
      }
      struct ArrowArray *cp[1] = {&child};
      return lp__arrow_array_make(out, n, nulls, 1, bufs, cp, 1, err);
    }
    case LP__TYPE_STRUCT: { /* packed: split each row into its children */
      size_t nc = f->n_children;
      struct ArrowArray *kids = calloc(nc + 1, sizeof *kids);
      if (kids == NULL) goto oom;
      uint64_t row_bytes = b->value_bits / 8, at = 0;
      lp_status rc = LP_OK;
      size_t made = 0;
      for (; made < nc && rc == LP_OK; made++) {
        uint64_t w = (uint64_t)elem_bits(f->children[made].type) / 8;
        uint8_t *v = lp__arrow_buf_alloc((size_t)n * w);
        if (v == NULL) {
          rc = lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
          break;
        }
        for (int64_t i = 0; i < n; i++) memcpy(v + i * w, (uint8_t *)bufs[1] + i * row_bytes + at, w);
        at += w;
        void *kb[2] = {NULL, v};
        rc = lp__arrow_array_make(&kids[made], n, 0, 2, kb, NULL, 0, err);
      }
      lp__arrow_buf_free(bufs[1]);
      if (rc != LP_OK) {
        for (size_t i = 0; i < made; i++) lp__arrow_release(&kids[i]);
        free(kids);
        lp__arrow_buf_free(bufs[0]);
        return rc;
      }
      rc = lp__arrow_struct_make(out, kids, nc, n, bufs[0], nulls, err);
      free(kids);
      return rc;
    }
    default:
      return lp__arrow_array_make(out, n, nulls, 2, bufs, NULL, 0, err);
  }
oom:
  for (int i = 0; i < 3; i++) lp__arrow_buf_free(bufs[i]);
  return lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
}

static lp_status build_node(const lp__field *f, uint32_t depth, lp__leafbuf *leaves, leaf_layers *lls, size_t n_leaves,
                            size_t *cursor, struct ArrowArray *out, lp_error *err) {
  if (*cursor >= n_leaves) return lp_error_set(err, LP_EINVAL, "field %s: more fields than leaves", f->name);
  size_t first = *cursor;
  leaf_layers *ll = &lls[first];
  if (depth >= ll->n) return lp_error_set(err, LP_EINVAL, "field %s: deeper than its leaf's layers", f->name);
  layer_out *lo = &ll->l[ll->n - 1 - depth];
  bool packed = lp__field_is_packed(f);
  if (f->type == LP__TYPE_STRUCT && !packed) {
    struct ArrowArray *kids = calloc(f->n_children + 1, sizeof *kids);
    if (kids == NULL) return lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
    int64_t length = lo->length, nulls = 0;
    uint8_t *validity = take_validity(lo, &nulls);
    lp_status rc = LP_OK;
    size_t made = 0;
    for (; made < f->n_children && rc == LP_OK; made++) {
      rc = build_node(&f->children[made], depth + 1, leaves, lls, n_leaves, cursor, &kids[made], err);
      if (rc != LP_OK) break;
      if (kids[made].length != length)
        rc = lp_error_set(err, LP_ECORRUPT, "struct %s: child %s has %lld rows, the struct %lld", f->name,
                          f->children[made].name, (long long)kids[made].length, (long long)length);
    }
    if (rc != LP_OK) {
      for (size_t i = 0; i <= made && i < f->n_children; i++) lp__arrow_release(&kids[i]);
      free(kids);
      lp__arrow_buf_free(validity);
      return rc;
    }
    rc = lp__arrow_struct_make(out, kids, f->n_children, length, validity, nulls, err);
    free(kids);
    return rc;
  }
  if (f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST) {
    if (lo->offsets == NULL) return lp_error_set(err, LP_ECORRUPT, "list %s: no list layer", f->name);
    struct ArrowArray child;
    LP_TRY(build_node(&f->children[0], depth + 1, leaves, lls, n_leaves, cursor, &child, err));
    int64_t n = lo->length, nulls = 0;
    void *bufs[2];
    if (f->type == LP__TYPE_LARGE_LIST) {
      bufs[1] = lo->offsets;
      lo->offsets = NULL;
    } else {
      if (lo->offsets[n] > INT32_MAX) {
        lp__arrow_release(&child);
        return lp_error_set(err, LP_EUNSUPPORTED, "list %s: %lld items overflow 32-bit offsets", f->name,
                            (long long)lo->offsets[n]);
      }
      int32_t *o32 = lp__arrow_buf_alloc((size_t)(n + 1) * 4);
      if (o32 == NULL) {
        lp__arrow_release(&child);
        return lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
      }
      for (int64_t i = 0; i <= n; i++) o32[i] = (int32_t)lo->offsets[i];
      bufs[1] = o32;
    }
    bufs[0] = take_validity(lo, &nulls);
    struct ArrowArray *cp[1] = {&child};
    return lp__arrow_array_make(out, n, nulls, 2, bufs, cp, 1, err);
  }
  if (depth != ll->n - 1) return lp_error_set(err, LP_EINVAL, "field %s: leaf at the wrong depth", f->name);
  (*cursor)++;
  return build_leaf(f, &leaves[first], lo, out, err);
}

lp_status lp__levels_to_arrow(const lp__field *field, lp__leafbuf *leaves, size_t n_leaves, uint64_t n_rows,
                              struct ArrowArray *out, lp_error *err) {
  leaf_layers *lls = calloc(n_leaves + 1, sizeof *lls);
  if (lls == NULL) return lp_error_set(err, LP_ENOMEM, "arrow: out of memory");
  lp_status rc = LP_OK;
  size_t done = 0;
  for (; done < n_leaves && rc == LP_OK; done++) {
    rc = compute_layers(&leaves[done], n_rows, &lls[done], err);
    if (rc != LP_OK) break;
  }
  size_t cursor = 0;
  if (rc == LP_OK) rc = build_node(field, 0, leaves, lls, n_leaves, &cursor, out, err);
  if (rc == LP_OK && (uint64_t)out->length != n_rows) {
    lp__arrow_release(out);
    rc = lp_error_set(err, LP_ECORRUPT, "field %s: %lld rows assembled, expected %llu", field->name,
                      (long long)out->length, (unsigned long long)n_rows);
  }
  for (size_t i = 0; i < done; i++) layers_free(&lls[i]);
  free(lls);
  return rc;
}
