/* Decoded rows of one leaf column (lp__leafbuf): growable level and value buffers, page-layer to canonical
 * definition-code mapping, and row slicing by repetition levels. See datafile_int.h. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

void lp__leafbuf_init(lp__leafbuf *b, lp__vkind kind, uint32_t value_bits, uint32_t fsl_dim) {
  memset(b, 0, sizeof *b);
  b->kind = kind;
  b->value_bits = value_bits;
  b->fsl_dim = fsl_dim;
}

void lp__leafbuf_reset(lp__leafbuf *b) {
  free(b->rep);
  free(b->def);
  lp__arrow_buf_free(b->vals);
  lp__arrow_buf_free(b->offs);
  lp__arrow_buf_free(b->item_valid);
  b->rep = b->def = NULL;
  b->vals = NULL;
  b->offs = NULL;
  b->item_valid = NULL;
  b->cap_levels = b->vals_cap = b->offs_cap = b->item_valid_cap = 0;
  lp__leafbuf_clear(b);
}

void lp__leafbuf_clear(lp__leafbuf *b) {
  b->n_levels = 0;
  b->has_def = false;
  b->n_values = 0;
  b->vals_len = 0;
  if (b->offs != NULL) b->offs[0] = 0;
  if (b->item_valid != NULL) {
    lp__arrow_buf_free(b->item_valid);
    b->item_valid = NULL;
    b->item_valid_cap = 0;
  }
}

static uint64_t grow(uint64_t cap, uint64_t need) {
  uint64_t n = cap ? cap : 64;
  while (n < need) n *= 2;
  return n;
}

lp_status lp__leafbuf_reserve_levels(lp__leafbuf *b, uint64_t n, lp_error *err) {
  uint64_t need = b->n_levels + n;
  if (need > (UINT64_C(1) << 40)) return lp_error_set(err, LP_ECORRUPT, "levels: %llu levels is too many",
                                                      (unsigned long long)need);
  if (need <= b->cap_levels) return LP_OK;
  uint64_t cap = grow(b->cap_levels, need);
  if (b->has_rep || b->rep != NULL) {
    uint16_t *r = realloc(b->rep, cap * 2);
    if (r == NULL) return lp_error_set(err, LP_ENOMEM, "levels: out of memory");
    b->rep = r;
  }
  if (b->has_def || b->def != NULL) {
    uint16_t *d = realloc(b->def, cap * 2);
    if (d == NULL) return lp_error_set(err, LP_ENOMEM, "levels: out of memory");
    b->def = d;
  }
  b->cap_levels = cap;
  return LP_OK;
}

lp_status lp__leafbuf_enable_def(lp__leafbuf *b, lp_error *err) {
  if (b->has_def) return LP_OK;
  if (b->cap_levels == 0) LP_TRY(lp__leafbuf_reserve_levels(b, 1, err));
  uint16_t *d = realloc(b->def, b->cap_levels * 2);
  if (d == NULL) return lp_error_set(err, LP_ENOMEM, "levels: out of memory");
  b->def = d;
  memset(b->def, 0, b->n_levels * 2);
  b->has_def = true;
  return LP_OK;
}

lp_status lp__leafbuf_reserve_values(lp__leafbuf *b, uint64_t n_values, uint64_t var_bytes, lp_error *err) {
  uint64_t need;
  if (b->kind == LP__V_FIXED) {
    need = ((b->n_values + n_values) * b->value_bits + 7) / 8;
  } else {
    need = b->vals_len + var_bytes;
    uint64_t oneed = b->n_values + n_values + 1;
    if (oneed > b->offs_cap) {
      uint64_t cap = grow(b->offs_cap, oneed);
      int64_t *o = lp__arrow_buf_realloc(b->offs, b->offs_cap * 8, cap * 8);
      if (o == NULL) return lp_error_set(err, LP_ENOMEM, "values: out of memory");
      if (b->offs == NULL) o[0] = 0;
      b->offs = o;
      b->offs_cap = cap;
    }
  }
  if (need > LP__MAX_DECODED_BYTES) return lp_error_set(err, LP_ECORRUPT, "values: %llu bytes is too many",
                                                        (unsigned long long)need);
  if (need > b->vals_cap || b->vals == NULL) { /* always a buffer, even for no bytes */
    uint64_t cap = grow(b->vals_cap, need);
    uint8_t *v = lp__arrow_buf_realloc(b->vals, b->vals_cap, cap);
    if (v == NULL) return lp_error_set(err, LP_ENOMEM, "values: out of memory for %llu bytes",
                                       (unsigned long long)cap);
    b->vals = v;
    b->vals_cap = cap;
  }
  if (b->item_valid != NULL) {
    uint64_t ineed = ((b->n_values + n_values) * b->fsl_dim + 7) / 8;
    if (ineed > b->item_valid_cap) {
      uint64_t cap = grow(b->item_valid_cap, ineed);
      uint8_t *v = lp__arrow_buf_realloc(b->item_valid, b->item_valid_cap, cap);
      if (v == NULL) return lp_error_set(err, LP_ENOMEM, "values: out of memory");
      b->item_valid = v;
      b->item_valid_cap = cap;
    }
  }
  return LP_OK;
}

lp_status lp__leafbuf_enable_item_valid(lp__leafbuf *b, lp_error *err) {
  if (b->item_valid != NULL) return LP_OK;
  uint64_t bits = (b->n_values + 1) * (b->fsl_dim ? b->fsl_dim : 1);
  uint64_t cap = grow(0, (bits + 7) / 8);
  b->item_valid = lp__arrow_buf_alloc(cap);
  if (b->item_valid == NULL) return lp_error_set(err, LP_ENOMEM, "values: out of memory");
  memset(b->item_valid, 0xff, cap);
  b->item_valid_cap = cap;
  return LP_OK;
}

lp_status lp__leafbuf_push_fixed(lp__leafbuf *b, const uint8_t *src, uint64_t src_bit_off, uint64_t n,
                                 lp_error *err) {
  LP_TRY(lp__leafbuf_reserve_values(b, n, 0, err));
  if (b->value_bits == 1) {
    lp__bits_copy(b->vals, (int64_t)b->n_values, src, (int64_t)src_bit_off, (int64_t)n);
  } else {
    uint64_t w = b->value_bits / 8;
    if (n > 0) memcpy(b->vals + b->n_values * w, src, n * w);
  }
  b->n_values += n;
  b->vals_len = (b->n_values * b->value_bits + 7) / 8;
  return LP_OK;
}

lp_status lp__leafbuf_push_var(lp__leafbuf *b, const uint8_t *bytes, uint64_t len, lp_error *err) {
  LP_TRY(lp__leafbuf_reserve_values(b, 1, len, err));
  if (len > 0) memcpy(b->vals + b->vals_len, bytes, len);
  b->vals_len += len;
  b->n_values++;
  b->offs[b->n_values] = (int64_t)b->vals_len;
  return LP_OK;
}

bool lp__leafbuf_code_visible(const lp__leafbuf *b, uint16_t c) {
  if (c == 0) return true;
  uint32_t layer = (uint32_t)(c - 1) >> 1;
  for (uint32_t j = 0; j <= layer && j < b->n_layers; j++)
    if (b->layer_is_list[j]) return false;
  return true;
}

lp_status lp__defmap_build(const lp__leafbuf *b, const Lance__Encodings21__RepDefLayer *layers, size_t n_layers,
                           lp__defmap *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (n_layers != b->n_layers)
    return lp_error_set(err, LP_ECORRUPT, "page has %zu rep/def layers, the field has %u", n_layers, b->n_layers);
  uint32_t d = 0;
  bool seen_list = false;
  for (uint32_t j = 0; j < n_layers; j++) {
    uint16_t null_code = (uint16_t)(1 + (j << 1)), empty_code = (uint16_t)(2 + (j << 1));
    bool is_list;
    switch (layers[j]) {
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_ITEM: is_list = false; break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM:
        is_list = false;
        out->code[++d] = null_code;
        break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST: is_list = true; break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_LIST:
        is_list = true;
        out->code[++d] = null_code;
        break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST:
        is_list = true;
        out->code[++d] = empty_code;
        break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST:
        is_list = true;
        out->code[++d] = null_code;
        out->code[++d] = empty_code;
        break;
      default:
        return lp_error_set(err, LP_ECORRUPT, "page layer %u has unknown kind %d", j, (int)layers[j]);
    }
    if (is_list != b->layer_is_list[j])
      return lp_error_set(err, LP_ECORRUPT, "page layer %u is %s but the field's layer is %s", j,
                          is_list ? "a list" : "an item", b->layer_is_list[j] ? "a list" : "an item");
    if (is_list) out->max_rep++;
    if (!is_list && !seen_list) out->max_visible_def = d;
    if (is_list) seen_list = true;
  }
  out->max_def = d;
  return LP_OK;
}

uint64_t lp__leafbuf_count_rows(const lp__leafbuf *b) {
  if (b->max_rep == 0) return b->n_levels;
  uint64_t n = 0;
  for (uint64_t i = 0; i < b->n_levels; i++) n += b->rep[i] == b->max_rep;
  return n;
}

/* Level index where row `row` starts (n_levels when row == number of rows). */
static uint64_t row_level(const lp__leafbuf *b, uint64_t row, uint64_t from_level, uint64_t from_row) {
  if (b->max_rep == 0) return row;
  uint64_t r = from_row;
  uint64_t i = from_level;
  for (; i < b->n_levels; i++) {
    if (b->rep[i] == b->max_rep) {
      if (r == row) return i;
      r++;
    }
  }
  return b->n_levels;
}

static uint64_t count_visible(const lp__leafbuf *b, uint64_t lo, uint64_t hi) {
  if (!b->has_def) return hi - lo;
  uint64_t n = 0;
  bool any_list = false;
  for (uint32_t j = 0; j < b->n_layers; j++) any_list |= b->layer_is_list[j];
  if (!any_list) return hi - lo;
  for (uint64_t i = lo; i < hi; i++) n += lp__leafbuf_code_visible(b, b->def[i]);
  return n;
}

lp_status lp__leafbuf_append_rows(lp__leafbuf *dst, const lp__leafbuf *src, uint64_t row_lo, uint64_t row_hi,
                                  lp_error *err) {
  if (row_hi <= row_lo) return LP_OK;
  uint64_t l0 = row_level(src, row_lo, 0, 0);
  uint64_t l1 = row_level(src, row_hi, l0, row_lo);
  if (src->max_rep == 0 && row_hi > src->n_levels)
    return lp_error_set(err, LP_ECORRUPT, "rows [%llu, %llu) beyond the %llu decoded", (unsigned long long)row_lo,
                        (unsigned long long)row_hi, (unsigned long long)src->n_levels);
  uint64_t v0 = count_visible(src, 0, l0);
  uint64_t nv = count_visible(src, l0, l1);
  uint64_t nl = l1 - l0;
  if (src->has_def) LP_TRY(lp__leafbuf_enable_def(dst, err));
  LP_TRY(lp__leafbuf_reserve_levels(dst, nl, err));
  /* (no copy of zero levels: the buffers may be NULL then, and memcpy must not see NULL) */
  if (dst->has_rep && nl > 0) memcpy(dst->rep + dst->n_levels, src->rep + l0, nl * 2);
  if (dst->has_def && nl > 0) {
    if (src->has_def) memcpy(dst->def + dst->n_levels, src->def + l0, nl * 2);
    else memset(dst->def + dst->n_levels, 0, nl * 2);
  }
  dst->n_levels += nl;
  if (src->item_valid != NULL) LP_TRY(lp__leafbuf_enable_item_valid(dst, err));
  uint64_t dst_v0 = dst->n_values;
  if (nv == 0) {
    /* nothing to copy */
  } else if (src->kind == LP__V_FIXED) {
    if (src->value_bits == 1) {
      LP_TRY(lp__leafbuf_push_fixed(dst, src->vals, v0, nv, err));
    } else {
      LP_TRY(lp__leafbuf_push_fixed(dst, src->vals + v0 * (src->value_bits / 8), 0, nv, err));
    }
  } else {
    int64_t b0 = src->offs[v0], b1 = src->offs[v0 + nv];
    LP_TRY(lp__leafbuf_reserve_values(dst, nv, (uint64_t)(b1 - b0), err));
    if (b1 > b0) memcpy(dst->vals + dst->vals_len, src->vals + b0, (size_t)(b1 - b0)); /* all-empty: vals NULL */
    for (uint64_t i = 1; i <= nv; i++)
      dst->offs[dst->n_values + i] = (int64_t)dst->vals_len + src->offs[v0 + i] - b0;
    dst->vals_len += (uint64_t)(b1 - b0);
    dst->n_values += nv;
  }
  if (dst->item_valid != NULL) {
    uint64_t dim = dst->fsl_dim ? dst->fsl_dim : 1;
    if (src->item_valid != NULL) {
      lp__bits_copy(dst->item_valid, (int64_t)(dst_v0 * dim), src->item_valid, (int64_t)(v0 * dim),
                    (int64_t)(nv * dim));
    } else {
      for (uint64_t i = dst_v0 * dim; i < (dst_v0 + nv) * dim; i++) lp__bit_set(dst->item_valid, (int64_t)i);
    }
  }
  return LP_OK;
}
