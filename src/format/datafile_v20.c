/* Format 2.0 data files (footer version 0.3), which LanceDB 0.31.0 still writes when a table is created
 * with storage option new_table_data_storage_version = "2.0". Every field owns a column (structs and lists
 * too) and pages hold Arrow-like buffers described by a lance.encodings.ArrayEncoding tree: Nullable
 * (validity bitmap), Flat, Binary (u64 end offsets + bytes, nulls shifted by null_adjustment),
 * FixedSizeList, List (u64 end offsets into the item column, nulls shifted by null_offset_adjustment) and
 * SimpleStruct. See file-format-2.1.md section 13. Other 2.0 encodings are rejected with a message. */
#include <stdlib.h>
#include <string.h>

#include "encodings20.pb-c.h"
#include "format/arrow_util.h"
#include "format/datafile_int.h"

typedef Lance__Encodings__ArrayEncoding aenc;
#define A_(x) LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_##x
#define MAX_V20_ROWS (UINT64_C(1) << 28) /* rows (or list items) of one column decoded by one call */

typedef struct colbuild {
  uint8_t *valid;      /* one bit per row (lp__arrow_buf) */
  int64_t n, nulls, cap;
  lp__leafbuf vals;    /* FIXED values, or VAR bytes+offsets */
  int64_t *items;      /* lists: n + 1 item offsets (global item index) */
} colbuild;

static lp_status cb_reserve(colbuild *b, int64_t more, bool list, lp_error *err) {
  if (b->n + more <= b->cap) return LP_OK;
  int64_t cap = b->cap ? b->cap : 64;
  while (cap < b->n + more) cap *= 2;
  uint8_t *v = lp__arrow_buf_realloc(b->valid, (size_t)(b->cap + 7) / 8, (size_t)(cap + 7) / 8);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
  b->valid = v;
  if (list) {
    int64_t *it = lp__arrow_buf_realloc(b->items, (size_t)(b->cap + 1) * 8, (size_t)(cap + 1) * 8);
    if (it == NULL) return lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
    if (b->items == NULL) it[0] = 0;
    b->items = it;
  }
  b->cap = cap;
  return LP_OK;
}

static void cb_set_valid(colbuild *b, int64_t i, bool v) {
  if (v) lp__bit_set(b->valid, i);
  else {
    lp__bit_clear(b->valid, i);
    b->nulls++;
  }
}

static lp_status page_buf(const lp__page *p, uint32_t idx, lp_error *err) {
  if (idx >= p->n_bufs) return lp_error_set(err, LP_ECORRUPT, "2.0 page: buffer %u of %zu", idx, p->n_bufs);
  return LP_OK;
}

/* Read values [a, b) of a Flat encoding of `bits` per value from page p. */
static lp_status flat_read(const lp__datafile_src *src, const lp__page *p, const aenc *e, uint64_t bits, uint64_t a,
                           uint64_t b, uint8_t *dst_bytes, lp__leafbuf *dst, lp_error *err) {
  if (e == NULL || e->array_encoding_case != A_(FLAT) || e->flat->buffer == NULL)
    return lp_error_set(err, LP_EUNSUPPORTED, "2.0: values are not a plain flat buffer (encoding %d)",
                        e ? (int)e->array_encoding_case : -1);
  const Lance__Encodings__Flat *f = e->flat;
  if (f->compression != NULL) return lp_error_set(err, LP_EUNSUPPORTED, "2.0: compressed flat buffers");
  if (f->bits_per_value != bits)
    return lp_error_set(err, LP_ECORRUPT, "2.0: flat of %llu bits, expected %llu", (unsigned long long)f->bits_per_value,
                        (unsigned long long)bits);
  if (f->buffer->buffer_type != 0) return lp_error_set(err, LP_EUNSUPPORTED, "2.0: column or file buffers");
  LP_TRY(page_buf(p, f->buffer->buffer_index, err));
  uint64_t bsize = p->buf_size[f->buffer->buffer_index], boff = p->buf_off[f->buffer->buffer_index];
  if (bits == 1) {
    uint64_t byte0 = a / 8, byte1 = (b + 7) / 8;
    if (byte1 > bsize) return lp_error_set(err, LP_ECORRUPT, "2.0: bitmap of %llu bytes for %llu values",
                                           (unsigned long long)bsize, (unsigned long long)b);
    uint8_t *tmp = malloc(byte1 - byte0 + 1);
    if (tmp == NULL) return lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
    lp_status rc = lp__src_read(src, boff + byte0, byte1 - byte0, tmp, err);
    if (rc == LP_OK) {
      if (dst) rc = lp__leafbuf_push_fixed(dst, tmp, a % 8, b - a, err);
      else memcpy(dst_bytes, tmp, byte1 - byte0);
    }
    free(tmp);
    return rc;
  }
  uint64_t w = bits / 8;
  if (bits % 8 || b * w > bsize)
    return lp_error_set(err, LP_ECORRUPT, "2.0: flat buffer of %llu bytes for %llu values of %llu bits",
                        (unsigned long long)bsize, (unsigned long long)b, (unsigned long long)bits);
  if (dst == NULL) return lp__src_read(src, boff + a * w, (b - a) * w, dst_bytes, err);
  LP_TRY(lp__leafbuf_reserve_values(dst, b - a, 0, err));
  LP_TRY(lp__src_read(src, boff + a * w, (b - a) * w, dst->vals + dst->n_values * w, err));
  dst->n_values += b - a;
  dst->vals_len = dst->n_values * w;
  return LP_OK;
}

/* Does the flat buffer under `e` (through a Nullable wrapper, if any) hold `count` values of `bits`? Checked
 * before anything is allocated for them. */
static lp_status flat_fits(const lp__page *p, const aenc *e, uint64_t bits, uint64_t count, lp_error *err) {
  if (e != NULL && e->array_encoding_case == A_(NULLABLE)) {
    const Lance__Encodings__Nullable *nl = e->nullable;
    if (nl->nullability_case == LANCE__ENCODINGS__NULLABLE__NULLABILITY_ALL_NULLS) return LP_OK;
    if (nl->nullability_case == LANCE__ENCODINGS__NULLABLE__NULLABILITY_SOME_NULLS) {
      LP_TRY(flat_fits(p, nl->some_nulls->validity, 1, count, err));
      e = nl->some_nulls->values;
    } else if (nl->nullability_case == LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS) {
      e = nl->no_nulls->values;
    }
  }
  if (e == NULL || e->array_encoding_case != A_(FLAT) || e->flat->buffer == NULL)
    return lp_error_set(err, LP_EUNSUPPORTED, "2.0: values are not a plain flat buffer");
  LP_TRY(page_buf(p, e->flat->buffer->buffer_index, err));
  uint64_t size = p->buf_size[e->flat->buffer->buffer_index];
  if (e->flat->bits_per_value != bits || count > size * 8 / (bits ? bits : 1))
    return lp_error_set(err, LP_ECORRUPT, "2.0: flat buffer of %llu bytes cannot hold %llu values of %llu bits",
                        (unsigned long long)size, (unsigned long long)count, (unsigned long long)bits);
  return LP_OK;
}

/* Nullable wrapper: validity into cb for rows [a, b); returns the inner values encoding (NULL: all null). */
static lp_status nullable_read(const lp__datafile_src *src, const lp__page *p, const aenc *e, uint64_t a, uint64_t b,
                               colbuild *cb, const aenc **inner, lp_error *err) {
  LP_TRY(cb_reserve(cb, (int64_t)(b - a), false, err));
  if (e == NULL || e->array_encoding_case != A_(NULLABLE))
    return lp_error_set(err, LP_EUNSUPPORTED, "2.0: expected a nullable encoding, found %d", e ? (int)e->array_encoding_case : -1);
  const Lance__Encodings__Nullable *nl = e->nullable;
  switch (nl->nullability_case) {
    case LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS:
      for (uint64_t i = 0; i < b - a; i++) cb_set_valid(cb, cb->n + (int64_t)i, true);
      *inner = nl->no_nulls->values;
      break;
    case LANCE__ENCODINGS__NULLABLE__NULLABILITY_ALL_NULLS:
      for (uint64_t i = 0; i < b - a; i++) cb_set_valid(cb, cb->n + (int64_t)i, false);
      *inner = NULL;
      break;
    case LANCE__ENCODINGS__NULLABLE__NULLABILITY_SOME_NULLS: {
      lp__leafbuf bits;
      lp__leafbuf_init(&bits, LP__V_FIXED, 1, 0);
      lp_status rc = flat_read(src, p, nl->some_nulls->validity, 1, a, b, NULL, &bits, err);
      for (uint64_t i = 0; rc == LP_OK && i < b - a; i++) cb_set_valid(cb, cb->n + (int64_t)i, lp__bit_get(bits.vals, (int64_t)i));
      lp__leafbuf_reset(&bits);
      LP_TRY(rc);
      *inner = nl->some_nulls->values;
      break;
    }
    default: return lp_error_set(err, LP_ECORRUPT, "2.0: nullable encoding without a case");
  }
  return LP_OK;
}

static lp_status binary_read(const lp__datafile_src *src, const lp__page *p, const aenc *e, uint64_t a, uint64_t b,
                             colbuild *cb, lp_error *err);

/* Dictionary{indices: Nullable(Flat 8|16|32), items: Binary, num_dictionary_items}: index 0 is a null,
 * index k > 0 is item k - 1 (seen in LanceDB 0.31.0's 2.0 files). */
static lp_status dict_read(const lp__datafile_src *src, const lp__page *p, const aenc *e, uint64_t a, uint64_t b,
                           colbuild *cb, lp_error *err) {
  const Lance__Encodings__Dictionary *d = e->dictionary;
  if (d->items == NULL || d->items->array_encoding_case != A_(BINARY))
    return lp_error_set(err, LP_EUNSUPPORTED, "2.0: dictionary items are not binary");
  LP_TRY(flat_fits(p, d->items->binary->indices, 64, d->num_dictionary_items, err));
  colbuild items = {0}, iv = {0};
  lp__leafbuf_init(&items.vals, LP__V_VAR, 0, 0);
  lp_status rc = binary_read(src, p, d->items, 0, d->num_dictionary_items, &items, err);
  const aenc *ie = NULL;
  if (rc == LP_OK) rc = nullable_read(src, p, d->indices, a, b, &iv, &ie, err);
  uint64_t bits = ie && ie->array_encoding_case == A_(FLAT) ? ie->flat->bits_per_value : 0;
  if (rc == LP_OK && bits != 8 && bits != 16 && bits != 32)
    rc = lp_error_set(err, LP_EUNSUPPORTED, "2.0: dictionary indices of %llu bits", (unsigned long long)bits);
  uint8_t *ix = rc == LP_OK ? malloc((b - a) * (bits / 8) + 1) : NULL;
  if (rc == LP_OK && ix == NULL) rc = lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
  if (rc == LP_OK) rc = flat_read(src, p, ie, bits, a, b, ix, NULL, err);
  if (rc == LP_OK) rc = cb_reserve(cb, (int64_t)(b - a), false, err);
  for (uint64_t i = 0; rc == LP_OK && i < b - a; i++) {
    uint32_t k = 0;
    memcpy(&k, ix + i * (bits / 8), bits / 8);
    bool valid = k != 0 && lp__bit_get(iv.valid, (int64_t)i);
    if (k > items.vals.n_values) {
      rc = lp_error_set(err, LP_ECORRUPT, "2.0: dictionary index %u of %llu items", k, (unsigned long long)items.vals.n_values);
      break;
    }
    cb_set_valid(cb, cb->n + (int64_t)i, valid);
    if (valid) rc = lp__leafbuf_push_var(&cb->vals, items.vals.vals + items.vals.offs[k - 1],
                                         (uint64_t)(items.vals.offs[k] - items.vals.offs[k - 1]), err);
    else rc = lp__leafbuf_push_var(&cb->vals, NULL, 0, err);
  }
  free(ix);
  lp__arrow_buf_free(iv.valid);
  lp__arrow_buf_free(items.valid);
  lp__leafbuf_reset(&items.vals);
  return rc;
}

/* Variable-width values: Binary{indices: Nullable(Flat 64) end offsets, bytes: Flat 8, null_adjustment}. */
static lp_status binary_read(const lp__datafile_src *src, const lp__page *p, const aenc *e, uint64_t a, uint64_t b,
                             colbuild *cb, lp_error *err) {
  if (e->array_encoding_case == A_(DICTIONARY)) return dict_read(src, p, e, a, b, cb, err);
  if (e->array_encoding_case != A_(BINARY)) return lp_error_set(err, LP_EUNSUPPORTED, "2.0: string encoding %d", (int)e->array_encoding_case);
  const Lance__Encodings__Binary *bi = e->binary;
  LP_TRY(flat_fits(p, bi->indices, 64, b, err));
  colbuild idx_valid = {0};
  const aenc *ie = NULL;
  uint64_t lo = a > 0 ? a - 1 : 0;
  lp_status rc = nullable_read(src, p, bi->indices, lo, b, &idx_valid, &ie, err);
  uint64_t *ends = malloc((b - lo + 1) * 8);
  if (rc == LP_OK && ends == NULL) rc = lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
  if (rc == LP_OK && ie == NULL) rc = lp_error_set(err, LP_ECORRUPT, "2.0: string offsets are all null");
  if (rc == LP_OK) rc = flat_read(src, p, ie, 64, lo, b, (uint8_t *)ends, NULL, err);
  lp__arrow_buf_free(idx_valid.valid);
  uint64_t adj = bi->null_adjustment;
  uint64_t start = 0;
  if (rc == LP_OK && a > 0) start = ends[0] >= adj && adj ? ends[0] - adj : ends[0];
  const uint64_t *e2 = ends + (a > 0);
  uint64_t end = start;
  if (rc == LP_OK && b > a) {
    uint64_t last = e2[b - a - 1];
    end = last >= adj && adj ? last - adj : last;
  }
  if (rc == LP_OK && end < start) rc = lp_error_set(err, LP_ECORRUPT, "2.0: string offsets decrease");
  if (rc == LP_OK) rc = flat_fits(p, bi->bytes, 8, end, err);
  uint8_t *bytes = NULL;
  if (rc == LP_OK) {
    bytes = malloc(end - start + 1);
    if (bytes == NULL) rc = lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
  }
  if (rc == LP_OK) rc = flat_read(src, p, bi->bytes, 8, start, end, bytes, NULL, err);
  if (rc == LP_OK) rc = cb_reserve(cb, (int64_t)(b - a), false, err);
  uint64_t prev = start;
  for (uint64_t i = 0; rc == LP_OK && i < b - a; i++) {
    uint64_t v = e2[i];
    bool is_null = adj && v >= adj;
    if (is_null) v -= adj;
    if (v < prev || v > end) {
      rc = lp_error_set(err, LP_ECORRUPT, "2.0: string offset %llu out of order", (unsigned long long)v);
      break;
    }
    cb_set_valid(cb, cb->n + (int64_t)i, !is_null);
    rc = lp__leafbuf_push_var(&cb->vals, bytes + (prev - start), v - prev, err);
    prev = v;
  }
  free(bytes);
  free(ends);
  return rc;
}

static lp_status node_read(const lp__datafile_src *src, const lp__field *f, uint32_t *col, uint64_t lo, uint64_t hi,
                           struct ArrowArray *out, lp_error *err);

static int prim_bits(lp__type t) {
  switch (t) {
    case LP__TYPE_BOOL: return 1;
    case LP__TYPE_INT8: case LP__TYPE_UINT8: return 8;
    case LP__TYPE_INT16: case LP__TYPE_UINT16: case LP__TYPE_FLOAT16: return 16;
    case LP__TYPE_INT32: case LP__TYPE_UINT32: case LP__TYPE_FLOAT32: case LP__TYPE_DATE32: return 32;
    case LP__TYPE_INT64: case LP__TYPE_UINT64: case LP__TYPE_FLOAT64: case LP__TYPE_TIMESTAMP: return 64;
    default: return 0;
  }
}

/* Decode rows [a, b) of one page of column c into cb. */
static lp_status page_rows(const lp__datafile_src *src, const lp__field *f, const lp__page *p, uint64_t a, uint64_t b,
                           uint64_t item_base, colbuild *cb, lp_error *err) {
  const aenc *e = p->enc20;
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "2.0: page without an encoding");
  switch (f->type) {
    case LP__TYPE_UTF8: case LP__TYPE_LARGE_UTF8: case LP__TYPE_BINARY: case LP__TYPE_LARGE_BINARY:
      return binary_read(src, p, e, a, b, cb, err);
    case LP__TYPE_STRUCT:
      LP_TRY(cb_reserve(cb, (int64_t)(b - a), false, err));
      for (uint64_t i = 0; i < b - a; i++) cb_set_valid(cb, cb->n + (int64_t)i, true);
      return LP_OK;
    case LP__TYPE_LIST: case LP__TYPE_LARGE_LIST: {
      if (e->array_encoding_case != A_(LIST)) return lp_error_set(err, LP_EUNSUPPORTED, "2.0: list encoding %d", (int)e->array_encoding_case);
      const Lance__Encodings__List *l = e->list;
      colbuild ov = {0};
      const aenc *ie = NULL;
      uint64_t lo = a > 0 ? a - 1 : 0;
      LP_TRY(flat_fits(p, l->offsets, 64, b, err));
      LP_TRY(cb_reserve(cb, (int64_t)(b - a), true, err));
      lp_status rc = nullable_read(src, p, l->offsets, lo, b, &ov, &ie, err);
      uint64_t *ends = malloc((b - lo + 1) * 8);
      if (rc == LP_OK && (ends == NULL || ie == NULL)) rc = lp_error_set(err, LP_ECORRUPT, "2.0: list offsets missing");
      if (rc == LP_OK) rc = flat_read(src, p, ie, 64, lo, b, (uint8_t *)ends, NULL, err);
      lp__arrow_buf_free(ov.valid);
      uint64_t adj = l->null_offset_adjustment;
      uint64_t prev = a > 0 && rc == LP_OK ? (adj && ends[0] >= adj ? ends[0] - adj : ends[0]) : 0;
      const uint64_t *e2 = ends + (a > 0);
      if (rc == LP_OK && cb->n == 0) cb->items[0] = (int64_t)(item_base + prev);
      for (uint64_t i = 0; rc == LP_OK && i < b - a; i++) {
        uint64_t v = e2[i];
        bool is_null = adj && v >= adj;
        if (is_null) v -= adj;
        if (v < prev || v > l->num_items) {
          rc = lp_error_set(err, LP_ECORRUPT, "2.0: list offset %llu out of order", (unsigned long long)v);
          break;
        }
        cb_set_valid(cb, cb->n + (int64_t)i, !is_null);
        cb->items[cb->n + (int64_t)i + 1] = (int64_t)(item_base + v);
        prev = v;
      }
      free(ends);
      return rc;
    }
    case LP__TYPE_FIXED_SIZE_LIST: {
      const aenc *inner = NULL;
      LP_TRY(nullable_read(src, p, e, a, b, cb, &inner, err));
      int eb = prim_bits(f->elem_type);
      if (inner == NULL) {
        LP_TRY(lp__leafbuf_reserve_values(&cb->vals, b - a, 0, err));
        memset(cb->vals.vals + cb->vals.vals_len, 0, (b - a) * cb->vals.value_bits / 8);
        for (uint64_t i = 0; cb->vals.item_valid && i < (b - a) * (uint64_t)f->list_size; i++)
          lp__bit_set(cb->vals.item_valid, (int64_t)(cb->vals.n_values * (uint64_t)f->list_size + i));
        cb->vals.n_values += b - a;
        cb->vals.vals_len = cb->vals.n_values * cb->vals.value_bits / 8;
        return LP_OK;
      }
      if (inner->array_encoding_case != A_(FIXED_SIZE_LIST) || inner->fixed_size_list->dimension != (uint32_t)f->list_size ||
          inner->fixed_size_list->has_validity)
        return lp_error_set(err, LP_EUNSUPPORTED, "2.0: vector encoding does not match fixed_size_list<%d>", f->list_size);
      colbuild iv = {0};
      const aenc *ie = NULL;
      uint64_t d = (uint64_t)f->list_size;
      LP_TRY(flat_fits(p, inner->fixed_size_list->items, (uint64_t)eb, b * d, err));
      lp_status rc = nullable_read(src, p, inner->fixed_size_list->items, a * d, b * d, &iv, &ie, err);
      /* items may be null (the items' own Nullable): their validity goes to the item bitmap */
      if (rc == LP_OK && iv.nulls) rc = lp__leafbuf_enable_item_valid(&cb->vals, err);
      if (rc == LP_OK) rc = lp__leafbuf_reserve_values(&cb->vals, b - a, 0, err);
      if (rc == LP_OK && cb->vals.item_valid != NULL)
        lp__bits_copy(cb->vals.item_valid, (int64_t)(cb->vals.n_values * d), iv.valid, 0, (int64_t)((b - a) * d));
      lp__arrow_buf_free(iv.valid);
      if (rc == LP_OK) {
        uint8_t *dst = cb->vals.vals + cb->vals.n_values * (d * (uint64_t)eb / 8);
        if (ie == NULL) memset(dst, 0, (b - a) * d * (uint64_t)eb / 8); /* every item null */
        else rc = flat_read(src, p, ie, (uint64_t)eb, a * d, b * d, dst, NULL, err);
        if (rc == LP_OK) {
          cb->vals.n_values += b - a;
          cb->vals.vals_len = cb->vals.n_values * cb->vals.value_bits / 8;
        }
      }
      return rc;
    }
    default: {
      int bits = prim_bits(f->type);
      if (bits == 0) return lp_error_set(err, LP_EUNSUPPORTED, "2.0: field %s of type %d", f->name, (int)f->type);
      const aenc *inner = NULL;
      LP_TRY(nullable_read(src, p, e, a, b, cb, &inner, err));
      if (inner == NULL) {
        static const uint8_t zeros[8] = {0};
        for (uint64_t i = 0; i < b - a; i++) LP_TRY(lp__leafbuf_push_fixed(&cb->vals, zeros, 0, 1, err));
        return LP_OK;
      }
      return flat_read(src, p, inner, (uint64_t)bits, a, b, NULL, &cb->vals, err);
    }
  }
}

static lp_status node_read(const lp__datafile_src *src, const lp__field *f, uint32_t *col, uint64_t lo, uint64_t hi,
                           struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  uint32_t c = (*col)++;
  if (c >= src->meta->n_columns) return lp_error_set(err, LP_EINVAL, "2.0: field %s needs column %u of %u", f->name, c, src->meta->n_columns);
  const lp__column *colm = &src->meta->columns[c];
  if (hi < lo || hi - lo > MAX_V20_ROWS)
    return lp_error_set(err, LP_EUNSUPPORTED, "2.0: column %u: %llu rows in one read (at most %llu)", c,
                        (unsigned long long)(hi - lo), (unsigned long long)MAX_V20_ROWS);
  colbuild cb = {0};
  bool is_var = f->type == LP__TYPE_UTF8 || f->type == LP__TYPE_LARGE_UTF8 || f->type == LP__TYPE_BINARY || f->type == LP__TYPE_LARGE_BINARY;
  uint32_t vb = f->type == LP__TYPE_FIXED_SIZE_LIST ? (uint32_t)(prim_bits(f->elem_type) * f->list_size) : (uint32_t)prim_bits(f->type);
  lp__leafbuf_init(&cb.vals, is_var ? LP__V_VAR : LP__V_FIXED, vb, f->type == LP__TYPE_FIXED_SIZE_LIST ? (uint32_t)f->list_size : 0);
  lp_status rc = LP_OK;
  uint64_t item_base = 0;
  bool is_list = f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST;
  if (is_list) rc = cb_reserve(&cb, 1, true, err);
  for (size_t pi = 0; rc == LP_OK && pi < colm->n_pages; pi++) {
    const lp__page *p = &colm->pages[pi];
    uint64_t ps = p->row_start, pe = ps + p->n_rows;
    if (pe > lo && ps < hi) {
      uint64_t a = lo > ps ? lo - ps : 0, b = (hi < pe ? hi : pe) - ps;
      rc = page_rows(src, f, p, a, b, item_base, &cb, err);
      if (rc == LP_OK) cb.n += (int64_t)(b - a);
    }
    if (is_list && p->enc20 && p->enc20->array_encoding_case == A_(LIST)) item_base += p->enc20->list->num_items;
  }
  if (rc == LP_OK && (uint64_t)cb.n != hi - lo)
    rc = lp_error_set(err, LP_ECORRUPT, "2.0: column %u holds %lld of rows [%llu, %llu)", c, (long long)cb.n,
                      (unsigned long long)lo, (unsigned long long)hi);
  if (rc != LP_OK) goto done;
  int64_t n = cb.n, nulls = cb.nulls;
  void *valid = nulls ? cb.valid : NULL;
  if (!nulls) lp__arrow_buf_free(cb.valid);
  cb.valid = NULL;
  if (f->type == LP__TYPE_STRUCT) {
    struct ArrowArray *kids = calloc(f->n_children + 1, sizeof *kids);
    size_t made = 0;
    if (kids == NULL) rc = lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
    for (; rc == LP_OK && made < f->n_children; made++) {
      rc = node_read(src, &f->children[made], col, lo, hi, &kids[made], err);
      if (rc != LP_OK) break;
    }
    if (rc == LP_OK) rc = lp__arrow_struct_make(out, kids, f->n_children, n, valid, nulls, err);
    else {
      for (size_t i = 0; i < made; i++) lp__arrow_release(&kids[i]);
      lp__arrow_buf_free(valid);
    }
    free(kids);
    goto done;
  }
  if (is_list) {
    struct ArrowArray child = {0};
    int64_t i0 = cb.items[0], i1 = cb.items[n];
    rc = node_read(src, &f->children[0], col, (uint64_t)i0, (uint64_t)i1, &child, err);
    void *offs = NULL;
    if (rc == LP_OK) {
      bool large = f->type == LP__TYPE_LARGE_LIST;
      offs = lp__arrow_buf_alloc((size_t)(n + 1) * (large ? 8 : 4));
      if (offs == NULL) rc = lp_error_set(err, LP_ENOMEM, "2.0: out of memory");
      for (int64_t i = 0; rc == LP_OK && i <= n; i++) {
        if (large) ((int64_t *)offs)[i] = cb.items[i] - i0;
        else ((int32_t *)offs)[i] = (int32_t)(cb.items[i] - i0);
      }
    }
    if (rc != LP_OK) {
      lp__arrow_release(&child);
      lp__arrow_buf_free(valid);
      lp__arrow_buf_free(offs);
      goto done;
    }
    void *bufs[2] = {valid, offs};
    struct ArrowArray *cp[1] = {&child};
    rc = lp__arrow_array_make(out, n, nulls, 2, bufs, cp, 1, err);
    goto done;
  }
  /* leaf: reuse the 2.1 leaf builder through a single all-item layer */
  {
    lp__leafbuf *lb = &cb.vals;
    void *bufs[3] = {valid, lb->vals ? lb->vals : lp__arrow_buf_calloc(8), NULL};
    lb->vals = NULL;
    if (is_var) {
      bool large = f->type == LP__TYPE_LARGE_UTF8 || f->type == LP__TYPE_LARGE_BINARY;
      bufs[2] = bufs[1];
      bufs[1] = lp__arrow_buf_alloc((size_t)(n + 1) * (large ? 8 : 4));
      for (int64_t i = 0; bufs[1] && i <= n; i++) {
        int64_t o = lb->offs ? lb->offs[i] : 0;
        if (large) ((int64_t *)bufs[1])[i] = o;
        else ((int32_t *)bufs[1])[i] = (int32_t)o;
      }
      rc = lp__arrow_array_make(out, n, nulls, 3, bufs, NULL, 0, err);
    } else if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
      struct ArrowArray child;
      int64_t items = n * f->list_size;
      int64_t item_nulls = lb->item_valid ? lp__arrow_count_nulls(lb->item_valid, 0, items) : 0;
      void *cbufs[2] = {item_nulls ? lb->item_valid : NULL, bufs[1]};
      if (item_nulls) lb->item_valid = NULL; /* moved into the child */
      rc = lp__arrow_array_make(&child, items, item_nulls, 2, cbufs, NULL, 0, err);
      if (rc == LP_OK) {
        struct ArrowArray *cp[1] = {&child};
        rc = lp__arrow_array_make(out, n, nulls, 1, bufs, cp, 1, err);
      } else {
        lp__arrow_buf_free(valid);
      }
    } else {
      rc = lp__arrow_array_make(out, n, nulls, 2, bufs, NULL, 0, err);
    }
  }
done:
  lp__arrow_buf_free(cb.valid);
  lp__arrow_buf_free(cb.items);
  lp__leafbuf_reset(&cb.vals);
  return rc;
}

lp_status lp__datafile_v20_read(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                                uint64_t row_start, uint64_t n_rows, struct ArrowArray *out, lp_error *err) {
  uint32_t col = first_column;
  return node_read(src, field, &col, row_start, row_start + n_rows, out, err);
}
