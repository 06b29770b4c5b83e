/* The full-zip page layout: one record per level (control word, length prefix, value bytes), with a
 * repetition index of byte offsets per row for variable-width values and lists. Fixed-width pages without
 * control words are read straight into the output buffer. See file-format-2.1.md section 9. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

typedef Lance__Encodings21__CompressiveEncoding cenc;
#define C_(x) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##x

typedef struct fzctx {
  const Lance__Encodings21__FullZipLayout *fz;
  lp__defmap dm;
  unsigned cw_bytes;
  bool variable;
  uint64_t value_bytes; /* fixed: bytes per visible level */
  unsigned len_bytes;   /* variable: 4 or 8 */
  lp__fsst_table fsst;
  bool has_fsst;
  int general_scheme;   /* 0 = none */
  uint32_t fsl_valid_bytes; /* fixed-size list with item validity: bytes of validity before the values */
} fzctx;

static lp_status ctx_init(fzctx *c, const lp__page *p, const lp__leafbuf *out, lp_error *err) {
  memset(c, 0, sizeof *c);
  if (p->layout == NULL || p->layout->layout_case != LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT ||
      p->layout->full_zip_layout == NULL)
    return lp_error_set(err, LP_EINVAL, "page is not a full-zip page");
  const Lance__Encodings21__FullZipLayout *fz = p->layout->full_zip_layout;
  c->fz = fz;
  LP_TRY(lp__defmap_build(out, fz->layers, fz->n_layers, &c->dm, err));
  if (fz->bits_rep > 16 || fz->bits_def > 16)
    return lp_error_set(err, LP_ECORRUPT, "full-zip: %u rep bits and %u def bits", fz->bits_rep, fz->bits_def);
  unsigned cb = fz->bits_rep + fz->bits_def;
  c->cw_bytes = cb == 0 ? 0 : cb <= 8 ? 1 : cb <= 16 ? 2 : 4;
  if ((fz->bits_rep > 0) != (c->dm.max_rep > 0) || (c->dm.max_def >> fz->bits_def) != 0)
    return lp_error_set(err, LP_ECORRUPT, "full-zip: %u rep / %u def bits cannot hold max rep %u / max def %u",
                        fz->bits_rep, fz->bits_def, c->dm.max_rep, c->dm.max_def);
  const cenc *e = fz->value_compression;
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "full-zip: value compression missing");
  if (fz->details_case == LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET) {
    if (out->kind != LP__V_VAR) return lp_error_set(err, LP_ECORRUPT, "full-zip: variable-width values for a fixed-width field");
    if (fz->bits_per_offset != 32 && fz->bits_per_offset != 64)
      return lp_error_set(err, LP_ECORRUPT, "full-zip: %u bits per offset", fz->bits_per_offset);
    c->variable = true;
    c->len_bytes = fz->bits_per_offset / 8;
    for (int d = 0; d < 4 && e != NULL; d++) {
      if (e->compression_case == C_(GENERAL)) {
        if (c->general_scheme || !e->general->compression)
          return lp_error_set(err, LP_EUNSUPPORTED, "full-zip: nested general compression");
        c->general_scheme = (int)e->general->compression->scheme;
        e = e->general->values;
      } else if (e->compression_case == C_(FSST)) {
        LP_TRY(lp__fsst_table_parse(e->fsst->symbol_table.data, e->fsst->symbol_table.len, &c->fsst, err));
        c->has_fsst = true;
        e = e->fsst->values;
      } else if (e->compression_case == C_(VARIABLE)) {
        return LP_OK;
      } else {
        break;
      }
    }
    return lp_error_set(err, LP_EUNSUPPORTED, "full-zip: variable-width value compression not supported");
  }
  if (fz->details_case != LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_VALUE || fz->bits_per_value % 8 != 0)
    return lp_error_set(err, LP_ECORRUPT, "full-zip: fixed width of %u bits", fz->bits_per_value);
  if (out->kind != LP__V_FIXED) return lp_error_set(err, LP_ECORRUPT, "full-zip: fixed-width values for a variable-width field");
  c->value_bytes = fz->bits_per_value / 8;
  uint64_t expect = out->value_bits / 8;
  if (e->compression_case == C_(FIXED_SIZE_LIST) && e->fixed_size_list->has_validity) {
    if (e->fixed_size_list->items_per_value != out->fsl_dim)
      return lp_error_set(err, LP_ECORRUPT, "full-zip: fixed-size list of %llu items, field has %u",
                          (unsigned long long)e->fixed_size_list->items_per_value, out->fsl_dim);
    c->fsl_valid_bytes = (out->fsl_dim + 7) / 8;
    expect += c->fsl_valid_bytes;
  } else if (e->compression_case != C_(FIXED_SIZE_LIST) && e->compression_case != C_(FLAT)) {
    return lp_error_set(err, LP_EUNSUPPORTED, "full-zip: fixed-width value compression %d not supported",
                        (int)e->compression_case);
  }
  if (c->value_bytes != expect || out->value_bits < 8)
    return lp_error_set(err, LP_ECORRUPT, "full-zip: %llu bytes per value, the field needs %llu",
                        (unsigned long long)c->value_bytes, (unsigned long long)expect);
  return LP_OK;
}

static lp_status push_var(fzctx *c, const uint8_t *v, uint64_t len, lp__leafbuf *out, lp_error *err) {
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  if (c->general_scheme) {
    LP_TRY(lp__general_decompress(c->general_scheme, v, len, &raw, &raw_len, err));
    v = raw;
    len = raw_len;
  }
  lp_status rc = c->has_fsst ? lp__fsst_decode_push(&c->fsst, v, len, out, err) : lp__leafbuf_push_var(out, v, len, err);
  free(raw);
  return rc;
}

/* Parse the records in buf[0..len) holding exactly n_rows rows, appending to out. */
static lp_status parse_records(fzctx *c, const uint8_t *buf, uint64_t len, uint64_t n_rows, lp__leafbuf *out,
                               lp_error *err) {
  uint64_t pos = 0, rows = 0;
  bool has_levels = c->cw_bytes > 0;
  if (has_levels && c->fz->bits_def > 0) LP_TRY(lp__leafbuf_enable_def(out, err));
  uint32_t def_mask = (1u << c->fz->bits_def) - 1;
  if (c->dm.max_rep == 0) { /* one record per row: reserve once */
    LP_TRY(lp__leafbuf_reserve_levels(out, n_rows, err));
    if (!c->variable) LP_TRY(lp__leafbuf_reserve_values(out, n_rows, 0, err));
  }
  while (pos < len) {
    uint32_t cw = 0;
    if (has_levels) {
      if (len - pos < c->cw_bytes) return lp_error_set(err, LP_ECORRUPT, "full-zip: record cut in its control word");
      memcpy(&cw, buf + pos, c->cw_bytes);
      pos += c->cw_bytes;
    }
    uint32_t def = cw & def_mask, rep = cw >> c->fz->bits_def;
    if (def > c->dm.max_def || rep > c->dm.max_rep)
      return lp_error_set(err, LP_ECORRUPT, "full-zip: control word 0x%x (rep %u, def %u) over max %u/%u", cw, rep, def,
                          c->dm.max_rep, c->dm.max_def);
    if (c->dm.max_rep == 0 || rep == c->dm.max_rep) rows++;
    LP_TRY(lp__leafbuf_reserve_levels(out, 1, err));
    if (out->has_rep) out->rep[out->n_levels] = (uint16_t)rep;
    if (out->has_def) out->def[out->n_levels] = c->dm.code[def];
    out->n_levels++;
    if (def > c->dm.max_visible_def) continue; /* null or empty list: no value slot */
    if (c->variable) {
      if (def != 0) {
        LP_TRY(lp__leafbuf_push_var(out, NULL, 0, err));
        continue;
      }
      if (len - pos < c->len_bytes) return lp_error_set(err, LP_ECORRUPT, "full-zip: record cut in its length");
      uint64_t vl = 0;
      memcpy(&vl, buf + pos, c->len_bytes);
      pos += c->len_bytes;
      if (vl > len - pos)
        return lp_error_set(err, LP_ECORRUPT, "full-zip: value of %llu bytes, %llu left", (unsigned long long)vl,
                            (unsigned long long)(len - pos));
      LP_TRY(push_var(c, buf + pos, vl, out, err));
      pos += vl;
    } else {
      if (len - pos < c->value_bytes) return lp_error_set(err, LP_ECORRUPT, "full-zip: record cut in its value");
      const uint8_t *v = buf + pos;
      if (c->fsl_valid_bytes) {
        LP_TRY(lp__leafbuf_enable_item_valid(out, err));
        LP_TRY(lp__leafbuf_reserve_values(out, 1, 0, err));
        lp__bits_copy(out->item_valid, (int64_t)(out->n_values * out->fsl_dim), v, 0, out->fsl_dim);
        v += c->fsl_valid_bytes;
      } else if (out->item_valid != NULL) {
        LP_TRY(lp__leafbuf_reserve_values(out, 1, 0, err));
        for (uint32_t k = 0; k < out->fsl_dim; k++) lp__bit_set(out->item_valid, (int64_t)(out->n_values * out->fsl_dim + k));
      }
      LP_TRY(lp__leafbuf_push_fixed(out, v, 0, 1, err));
      pos += c->value_bytes;
    }
  }
  if (rows != n_rows)
    return lp_error_set(err, LP_ECORRUPT, "full-zip: %llu rows in the records, expected %llu", (unsigned long long)rows,
                        (unsigned long long)n_rows);
  return LP_OK;
}

lp_status lp__page_fullzip_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                lp__leafbuf *out, lp_error *err) {
  fzctx c;
  LP_TRY(ctx_init(&c, p, out, err));
  if (hi <= lo) return LP_OK;
  if (hi > p->n_rows) return lp_error_set(err, LP_EINVAL, "full-zip: rows [%llu, %llu) beyond the page's %llu",
                                          (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)p->n_rows);
  if (p->n_bufs < 1) return lp_error_set(err, LP_ECORRUPT, "full-zip: page has no buffers");
  bool has_index = c.variable || c.dm.max_rep > 0;
  uint64_t a, b;
  if (has_index) {
    if (p->n_bufs < 2) return lp_error_set(err, LP_ECORRUPT, "full-zip: repetition index missing");
    uint64_t w = p->buf_size[1] / (p->n_rows + 1);
    if ((w != 1 && w != 2 && w != 4 && w != 8) || w * (p->n_rows + 1) != p->buf_size[1])
      return lp_error_set(err, LP_ECORRUPT, "full-zip: repetition index of %llu bytes for %llu rows",
                          (unsigned long long)p->buf_size[1], (unsigned long long)p->n_rows);
    uint8_t ea[8] = {0}, eb[8] = {0};
    LP_TRY(lp__src_read(src, p->buf_off[1] + lo * w, w, ea, err));
    LP_TRY(lp__src_read(src, p->buf_off[1] + hi * w, w, eb, err));
    a = 0;
    b = 0;
    memcpy(&a, ea, w);
    memcpy(&b, eb, w);
  } else {
    uint64_t stride = c.cw_bytes + c.value_bytes;
    a = lo * stride;
    b = hi * stride;
    if (!c.cw_bytes && !c.fsl_valid_bytes && out->item_valid == NULL && b <= p->buf_size[0]) {
      /* plain fixed-width values back to back: read straight into the output */
      LP_TRY(lp__leafbuf_reserve_values(out, hi - lo, 0, err));
      LP_TRY(lp__leafbuf_reserve_levels(out, hi - lo, err));
      LP_TRY(lp__src_read(src, p->buf_off[0] + a, b - a, out->vals + out->n_values * c.value_bytes, err));
      if (out->has_def) memset(out->def + out->n_levels, 0, (hi - lo) * 2);
      out->n_levels += hi - lo;
      out->n_values += hi - lo;
      out->vals_len = out->n_values * c.value_bytes;
      return LP_OK;
    }
  }
  if (a > b || b > p->buf_size[0])
    return lp_error_set(err, LP_ECORRUPT, "full-zip: rows [%llu, %llu) at bytes [%llu, %llu) outside %llu",
                        (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)a, (unsigned long long)b,
                        (unsigned long long)p->buf_size[0]);
  uint8_t *bytes = malloc(b - a ? b - a : 1);
  if (bytes == NULL) return lp_error_set(err, LP_ENOMEM, "full-zip: out of memory for %llu bytes", (unsigned long long)(b - a));
  lp_status rc = lp__src_read(src, p->buf_off[0] + a, b - a, bytes, err);
  if (rc == LP_OK) {
    if (out->has_def || c.fz->bits_def > 0) rc = lp__leafbuf_enable_def(out, err);
    if (rc == LP_OK) rc = parse_records(&c, bytes, b - a, hi - lo, out, err);
  }
  free(bytes);
  return rc;
}

/* The n levels in buffer bi of the page: raw u16, or compressed with enc. */
static lp_status read_levels(const lp__datafile_src *src, const lp__page *p, size_t bi, const cenc *enc, uint64_t n,
                             uint16_t *out, lp_error *err) {
  if (enc == NULL) {
    if (p->buf_size[bi] < n * 2) return lp_error_set(err, LP_ECORRUPT, "all-null: level buffer of %llu bytes for %llu levels",
                                                     (unsigned long long)p->buf_size[bi], (unsigned long long)n);
    return lp__src_read(src, p->buf_off[bi], n * 2, out, err);
  }
  uint8_t *b = malloc(p->buf_size[bi] ? p->buf_size[bi] : 1);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "all-null: out of memory");
  lp_status rc = lp__src_read(src, p->buf_off[bi], p->buf_size[bi], b, err);
  if (rc == LP_OK && n > 0) rc = lp__block_levels_decode(enc, b, p->buf_size[bi], n, out, err);
  free(b);
  return rc;
}

lp_status lp__page_allnull_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                lp__leafbuf *out, lp_error *err) {
  const Lance__Encodings21__ConstantLayout *cl =
      p->layout && p->layout->layout_case == LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT
          ? p->layout->constant_layout : NULL;
  if (cl == NULL) return lp_error_set(err, LP_EINVAL, "page is not an all-null page");
  if (cl->opt_inline_value_case != 0)
    return lp_error_set(err, LP_EUNSUPPORTED, "constant page with a value (format 2.2)");
  lp__defmap dm;
  LP_TRY(lp__defmap_build(out, cl->layers, cl->n_layers, &dm, err));
  if (hi <= lo) return LP_OK;
  if (hi > p->n_rows) return lp_error_set(err, LP_EINVAL, "all-null: rows beyond the page");
  LP_TRY(lp__leafbuf_enable_def(out, err));
  if (p->n_bufs == 0) {
    /* simple: every row is null at the innermost nullable layer */
    if (dm.max_def < 1 || dm.max_rep > 0) return lp_error_set(err, LP_ECORRUPT, "all-null page without levels has no null layer");
    LP_TRY(lp__leafbuf_reserve_levels(out, hi - lo, err));
    for (uint64_t i = 0; i < hi - lo; i++) out->def[out->n_levels + i] = dm.code[1];
    out->n_levels += hi - lo;
    bool vis = lp__leafbuf_code_visible(out, dm.code[1]);
    if (vis) {
      if (out->kind == LP__V_VAR) {
        for (uint64_t i = lo; i < hi; i++) LP_TRY(lp__leafbuf_push_var(out, NULL, 0, err));
      } else {
        LP_TRY(lp__leafbuf_reserve_values(out, hi - lo, 0, err));
        uint64_t nbytes = ((out->n_values + hi - lo) * out->value_bits + 7) / 8;
        memset(out->vals + out->vals_len, 0, nbytes - out->vals_len);
        if (out->item_valid) for (uint64_t i = out->n_values * out->fsl_dim; i < (out->n_values + hi - lo) * out->fsl_dim; i++)
          lp__bit_set(out->item_valid, (int64_t)i);
        out->n_values += hi - lo;
        out->vals_len = nbytes;
      }
    }
    return LP_OK;
  }
  /* complex: raw u16 rep levels (when lists) and def levels for every level of the page */
  bool has_rep = dm.max_rep > 0;
  if (p->n_bufs < (size_t)(has_rep ? 2 : 1)) return lp_error_set(err, LP_ECORRUPT, "all-null: level buffers missing");
  size_t di = has_rep ? 1 : 0;
  /* format 2.2 may compress the levels (RLE); they then say how many there are */
  uint64_t nl = cl->def_compression ? cl->num_def_values : p->buf_size[di] / 2;
  uint64_t n_rep = cl->rep_compression ? cl->num_rep_values : p->buf_size[0] / 2;
  if (has_rep && n_rep != nl)
    return lp_error_set(err, LP_ECORRUPT, "all-null: %llu rep levels but %llu def levels", (unsigned long long)n_rep,
                        (unsigned long long)nl);
  if (nl > ((uint64_t)1 << 31))
    return lp_error_set(err, LP_ECORRUPT, "all-null: %llu levels in one page", (unsigned long long)nl);
  lp__leafbuf t;
  lp__leafbuf_init(&t, out->kind, out->value_bits, out->fsl_dim);
  memcpy(t.layer_is_list, out->layer_is_list, sizeof t.layer_is_list);
  t.n_layers = out->n_layers;
  t.max_rep = out->max_rep;
  t.has_rep = out->has_rep;
  lp_status rc = lp__leafbuf_enable_def(&t, err);
  if (rc == LP_OK) rc = lp__leafbuf_reserve_levels(&t, nl, err);
  if (rc == LP_OK && has_rep) rc = read_levels(src, p, 0, cl->rep_compression, nl, t.rep, err);
  if (rc == LP_OK) rc = read_levels(src, p, di, cl->def_compression, nl, t.def, err);
  for (uint64_t i = 0; rc == LP_OK && i < nl; i++) {
    if (t.def[i] > dm.max_def || (has_rep && t.rep[i] > dm.max_rep))
      rc = lp_error_set(err, LP_ECORRUPT, "all-null: level %llu out of range", (unsigned long long)i);
    else
      t.def[i] = dm.code[t.def[i]];
    if (rc == LP_OK && t.def[i] == 0) rc = lp_error_set(err, LP_ECORRUPT, "all-null: level %llu is valid", (unsigned long long)i);
  }
  if (rc == LP_OK) {
    t.n_levels = nl;
    uint64_t vis = 0;
    for (uint64_t i = 0; i < nl; i++) vis += lp__leafbuf_code_visible(&t, t.def[i]);
    for (uint64_t i = 0; rc == LP_OK && i < vis; i++) {
      if (t.kind == LP__V_VAR) rc = lp__leafbuf_push_var(&t, NULL, 0, err);
      else {
        static const uint8_t zeros[64] = {0};
        uint64_t w = t.value_bits / 8;
        if (t.value_bits == 1 || w <= sizeof zeros) rc = lp__leafbuf_push_fixed(&t, zeros, 0, 1, err);
        else {
          rc = lp__leafbuf_reserve_values(&t, 1, 0, err);
          if (rc == LP_OK) {
            memset(t.vals + t.n_values * w, 0, w);
            t.n_values++;
            t.vals_len = t.n_values * w;
          }
        }
      }
    }
  }
  if (rc == LP_OK && lp__leafbuf_count_rows(&t) != p->n_rows)
    rc = lp_error_set(err, LP_ECORRUPT, "all-null: levels hold %llu rows, page has %llu",
                      (unsigned long long)lp__leafbuf_count_rows(&t), (unsigned long long)p->n_rows);
  if (rc == LP_OK) rc = lp__leafbuf_append_rows(out, &t, lo, hi, err);
  lp__leafbuf_reset(&t);
  return rc;
}
