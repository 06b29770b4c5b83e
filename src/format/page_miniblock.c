/* The mini-block page layout: chunk metadata words, chunk headers, per-chunk rep/def levels and values,
 * page dictionaries and the repetition index. Reading decodes only the chunks that hold the rows asked
 * for. See file-format-2.1.md section 8. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

#define MAX_CHUNK_BUFFERS 8
#define MAX_CHUNK_VALUES (32768u * 8) /* a chunk is at most 32 KiB; one bit per value at the least */

typedef struct mbctx {
  const lp__datafile_src *src;
  const lp__page *p;
  const Lance__Encodings21__MiniBlockLayout *mb;
  lp__defmap dm;
  uint64_t n_chunks;
  uint64_t *chunk_off;    /* n_chunks + 1 byte offsets within buffer 1 */
  uint64_t *first_value;  /* n_chunks + 1 */
  uint64_t *first_row;    /* n_chunks + 1: rows starting before chunk c (with rep) */
  uint8_t *has_trailer;   /* per chunk (with rep) */
  lp__leafbuf dict;
  bool has_dict;
  lp__fsst_table fsst;
  bool has_fsst;
  lp__leafbuf idx;        /* dictionary indices of one chunk */
} mbctx;

static void ctx_reset(mbctx *c) {
  free(c->chunk_off);
  free(c->first_value);
  free(c->first_row);
  free(c->has_trailer);
  lp__leafbuf_reset(&c->dict);
  lp__leafbuf_reset(&c->idx);
}

static lp_status read_buf(const mbctx *c, size_t i, uint8_t **out, lp_error *err) {
  uint64_t len = c->p->buf_size[i];
  uint8_t *b = malloc(len ? len : 1);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "mini-block: out of memory for %llu bytes", (unsigned long long)len);
  lp_status rc = lp__src_read(c->src, c->p->buf_off[i], len, b, err);
  if (rc != LP_OK) {
    free(b);
    return rc;
  }
  *out = b;
  return LP_OK;
}

static lp_status ctx_init(mbctx *c, const lp__datafile_src *src, const lp__page *p, const lp__leafbuf *out,
                          lp_error *err) {
  memset(c, 0, sizeof *c);
  c->src = src;
  c->p = p;
  c->mb = p->layout->mini_block_layout;
  const Lance__Encodings21__MiniBlockLayout *mb = c->mb;
  if (mb->num_buffers < 1 || mb->num_buffers > MAX_CHUNK_BUFFERS)
    return lp_error_set(err, LP_ECORRUPT, "mini-block: %llu value buffers per chunk", (unsigned long long)mb->num_buffers);
  LP_TRY(lp__defmap_build(out, mb->layers, mb->n_layers, &c->dm, err));
  if ((mb->rep_compression != NULL) != (c->dm.max_rep > 0))
    return lp_error_set(err, LP_ECORRUPT, "mini-block: repetition levels %s but the layers have %u lists",
                        mb->rep_compression ? "present" : "absent", c->dm.max_rep);
  size_t need_bufs = 2 + (mb->dictionary != NULL) + (mb->repetition_index_depth > 0);
  if (p->n_bufs < need_bufs)
    return lp_error_set(err, LP_ECORRUPT, "mini-block: page has %zu buffers, expected %zu", p->n_bufs, need_bufs);
  /* Format 2.2 pages with large chunks (over 32 KiB) describe each chunk in a u32 word, not a u16 one;
   * the word's layout is the same: size / 8 - 1 above four bits of log2(values). */
  unsigned word = mb->has_large_chunk ? 4 : 2;
  if (p->buf_size[0] % word != 0)
    return lp_error_set(err, LP_ECORRUPT, "mini-block: chunk metadata of %llu bytes is not u%u words",
                        (unsigned long long)p->buf_size[0], word * 8);
  uint64_t nc = p->buf_size[0] / word;
  c->n_chunks = nc;
  c->chunk_off = calloc(nc + 1, 8);
  c->first_value = calloc(nc + 1, 8);
  c->first_row = calloc(nc + 1, 8);
  c->has_trailer = calloc(nc + 1, 1);
  if (!c->chunk_off || !c->first_value || !c->first_row || !c->has_trailer)
    return lp_error_set(err, LP_ENOMEM, "mini-block: out of memory for %llu chunks", (unsigned long long)nc);
  uint8_t *meta = NULL;
  LP_TRY(read_buf(c, 0, &meta, err));
  for (uint64_t i = 0; i < nc; i++) {
    uint32_t w = 0;
    if (word == 4) {
      memcpy(&w, meta + 4 * i, 4);
    } else {
      uint16_t w16;
      memcpy(&w16, meta + 2 * i, 2);
      w = w16;
    }
    c->chunk_off[i + 1] = c->chunk_off[i] + ((uint64_t)(w >> 4) + 1) * 8;
    uint64_t nv = i + 1 < nc ? (uint64_t)1 << (w & 15) : 0;
    if (i + 1 == nc) {
      if (c->first_value[i] > mb->num_items) {
        free(meta);
        return lp_error_set(err, LP_ECORRUPT, "mini-block: chunks hold more than the page's %llu values",
                            (unsigned long long)mb->num_items);
      }
      nv = mb->num_items - c->first_value[i];
    }
    uint64_t chunk_bytes = c->chunk_off[i + 1] - c->chunk_off[i];
    if (nv > MAX_CHUNK_VALUES && nv > chunk_bytes * 8) {
      free(meta);
      return lp_error_set(err, LP_ECORRUPT, "mini-block: chunk %llu claims %llu values (at most %u fit in 32 KiB)",
                          (unsigned long long)i, (unsigned long long)nv, MAX_CHUNK_VALUES);
    }
    c->first_value[i + 1] = c->first_value[i] + nv;
  }
  free(meta);
  if (c->chunk_off[nc] > p->buf_size[1])
    return lp_error_set(err, LP_ECORRUPT, "mini-block: chunks span %llu bytes, data buffer has %llu",
                        (unsigned long long)c->chunk_off[nc], (unsigned long long)p->buf_size[1]);
  if (nc == 0 && (mb->num_items != 0 || p->n_rows != 0))
    return lp_error_set(err, LP_ECORRUPT, "mini-block: no chunks for %llu rows", (unsigned long long)p->n_rows);
  if (c->dm.max_rep == 0 && c->dm.max_def == 0 && mb->num_items != p->n_rows)
    return lp_error_set(err, LP_ECORRUPT, "mini-block: %llu values for %llu rows", (unsigned long long)mb->num_items,
                        (unsigned long long)p->n_rows);
  /* repetition index: (ends, partial) per chunk */
  if (c->dm.max_rep > 0) {
    if (mb->repetition_index_depth != 1)
      return lp_error_set(err, LP_EUNSUPPORTED, "mini-block: repetition index depth %u", mb->repetition_index_depth);
    size_t bi = 2 + (mb->dictionary != NULL);
    if (p->buf_size[bi] < nc * 16)
      return lp_error_set(err, LP_ECORRUPT, "mini-block: repetition index of %llu bytes for %llu chunks",
                          (unsigned long long)p->buf_size[bi], (unsigned long long)nc);
    uint8_t *ri = NULL;
    LP_TRY(read_buf(c, bi, &ri, err));
    bool prev_trailer = false;
    for (uint64_t i = 0; i < nc; i++) {
      uint64_t ends, partial;
      memcpy(&ends, ri + 16 * i, 8);
      memcpy(&partial, ri + 16 * i + 8, 8);
      c->has_trailer[i] = partial > 0;
      uint64_t starts = ends + (partial > 0) - prev_trailer;
      if (ends + (partial > 0) < (uint64_t)prev_trailer || starts > p->n_rows) {
        free(ri);
        return lp_error_set(err, LP_ECORRUPT, "mini-block: repetition index entry %llu (%llu, %llu) is inconsistent",
                            (unsigned long long)i, (unsigned long long)ends, (unsigned long long)partial);
      }
      c->first_row[i + 1] = c->first_row[i] + starts;
      prev_trailer = partial > 0;
    }
    free(ri);
    if (c->first_row[nc] != p->n_rows)
      return lp_error_set(err, LP_ECORRUPT, "mini-block: repetition index counts %llu rows, page has %llu",
                          (unsigned long long)c->first_row[nc], (unsigned long long)p->n_rows);
  } else {
    for (uint64_t i = 0; i <= nc; i++) c->first_row[i] = c->first_value[i];
  }
  /* dictionary and FSST table */
  lp__leafbuf_init(&c->idx, LP__V_FIXED, 32, 0);
  if (mb->dictionary != NULL) {
    lp__leafbuf_init(&c->dict, out->kind, out->value_bits, out->fsl_dim);
    if (mb->num_dictionary_items > p->buf_size[2] * 8)
      return lp_error_set(err, LP_ECORRUPT, "mini-block: %llu dictionary items",
                          (unsigned long long)mb->num_dictionary_items);
    uint8_t *db = NULL;
    LP_TRY(read_buf(c, 2, &db, err));
    lp_status rc = lp__block_dict_decode(mb->dictionary, db, p->buf_size[2], mb->num_dictionary_items, &c->dict, err);
    free(db);
    LP_TRY(rc);
    c->has_dict = true;
  }
  const Lance__Encodings21__Fsst *fs = lp__enc_find_fsst(mb->value_compression);
  if (fs != NULL) {
    LP_TRY(lp__fsst_table_parse(fs->symbol_table.data, fs->symbol_table.len, &c->fsst, err));
    c->has_fsst = true;
  }
  return LP_OK;
}

static lp_status map_dict(mbctx *c, lp__leafbuf *t, lp_error *err) {
  const uint32_t *ix = (const uint32_t *)c->idx.vals;
  uint64_t n = c->idx.n_values, nd = c->dict.n_values;
  for (uint64_t i = 0; i < n; i++)
    if (ix[i] >= nd)
      return lp_error_set(err, LP_ECORRUPT, "mini-block: dictionary index %u, dictionary has %llu items", ix[i],
                          (unsigned long long)nd);
  if (t->kind == LP__V_VAR) {
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += (uint64_t)(c->dict.offs[ix[i] + 1] - c->dict.offs[ix[i]]);
    LP_TRY(lp__leafbuf_reserve_values(t, n, total, err));
    for (uint64_t i = 0; i < n; i++) {
      int64_t a = c->dict.offs[ix[i]], b = c->dict.offs[ix[i] + 1];
      memcpy(t->vals + t->vals_len, c->dict.vals + a, (size_t)(b - a));
      t->vals_len += (uint64_t)(b - a);
      t->n_values++;
      t->offs[t->n_values] = (int64_t)t->vals_len;
    }
    return LP_OK;
  }
  if (t->value_bits < 8) return lp_error_set(err, LP_EUNSUPPORTED, "mini-block: dictionary of booleans");
  uint64_t w = t->value_bits / 8;
  LP_TRY(lp__leafbuf_reserve_values(t, n, 0, err));
  for (uint64_t i = 0; i < n; i++) memcpy(t->vals + (t->n_values + i) * w, c->dict.vals + (uint64_t)ix[i] * w, w);
  t->n_values += n;
  t->vals_len = t->n_values * w;
  return LP_OK;
}

static uint64_t pad8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }

/* Decode one chunk (bytes ch[0..len)) holding nv values, appending levels and values to t. */
static lp_status decode_chunk(mbctx *c, const uint8_t *ch, uint64_t len, uint64_t nv, lp__leafbuf *t,
                              lp_error *err) {
  const Lance__Encodings21__MiniBlockLayout *mb = c->mb;
  bool has_rep = mb->rep_compression != NULL, has_def = mb->def_compression != NULL;
  uint64_t nb = mb->num_buffers;
  /* header: u16 level count, u16 repetition and definition sizes, then a size per value buffer (u32 in
   * format 2.2's large chunks, else u16) */
  uint64_t size_bytes = mb->has_large_chunk ? 4 : 2;
  uint64_t lev_hdr = 2 + 2 * (uint64_t)(has_rep + has_def), hdr = lev_hdr + size_bytes * nb;
  if (len < hdr) return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: %llu bytes, header needs %llu",
                                     (unsigned long long)len, (unsigned long long)hdr);
  uint16_t h[3];
  memcpy(h, ch, lev_hdr);
  uint64_t n_levels = h[0], rep_size = has_rep ? h[1] : 0, def_size = has_def ? h[1 + has_rep] : 0;
  uint64_t pos = pad8(hdr);
  const uint8_t *rep_b = ch + pos;
  pos += pad8(rep_size);
  const uint8_t *def_b = ch + pos;
  pos += pad8(def_size);
  const uint8_t *vb[MAX_CHUNK_BUFFERS];
  size_t vl[MAX_CHUNK_BUFFERS];
  for (uint64_t i = 0; i < nb; i++) {
    if (size_bytes == 4) {
      uint32_t v32;
      memcpy(&v32, ch + lev_hdr + 4 * i, 4);
      vl[i] = v32;
    } else {
      uint16_t v16;
      memcpy(&v16, ch + lev_hdr + 2 * i, 2);
      vl[i] = v16;
    }
    vb[i] = ch + pos;
    pos += pad8(vl[i]);
  }
  if (pos > pad8(len) || (pos > len && pos - len >= 8) || rep_size > len || def_size > len)
    return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: buffers need %llu bytes, chunk has %llu",
                        (unsigned long long)pos, (unsigned long long)len);
  for (uint64_t i = 0; i < nb; i++)
    if ((uint64_t)(vb[i] - ch) + vl[i] > len)
      return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: value buffer %llu overruns the chunk", (unsigned long long)i);
  if (!has_rep && !has_def) n_levels = nv;
  else if (!has_rep && n_levels != nv)
    return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: %llu levels for %llu values", (unsigned long long)n_levels,
                        (unsigned long long)nv);
  /* levels */
  LP_TRY(lp__leafbuf_reserve_levels(t, n_levels, err));
  /* With no levels the level arrays may still be NULL: there is nothing to decode (and NULL + 0 is UB). */
  if (has_rep && n_levels > 0) {
    LP_TRY(lp__block_levels_decode(mb->rep_compression, rep_b, rep_size, n_levels, t->rep + t->n_levels, err));
    for (uint64_t i = 0; i < n_levels; i++)
      if (t->rep[t->n_levels + i] > c->dm.max_rep)
        return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: repetition level %u over %u", t->rep[t->n_levels + i],
                            c->dm.max_rep);
  }
  if (has_def) {
    LP_TRY(lp__leafbuf_enable_def(t, err));
    LP_TRY(lp__leafbuf_reserve_levels(t, n_levels, err));
    uint16_t *d = n_levels > 0 ? t->def + t->n_levels : NULL;
    if (n_levels > 0) LP_TRY(lp__block_levels_decode(mb->def_compression, def_b, def_size, n_levels, d, err));
    uint64_t vis = 0;
    for (uint64_t i = 0; i < n_levels; i++) {
      if (d[i] > c->dm.max_def)
        return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: definition level %u over %u", d[i], c->dm.max_def);
      vis += d[i] <= c->dm.max_visible_def;
      d[i] = c->dm.code[d[i]];
    }
    if (vis != nv)
      return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: %llu visible levels for %llu values",
                          (unsigned long long)vis, (unsigned long long)nv);
  } else if (t->has_def && n_levels > 0) {
    memset(t->def + t->n_levels, 0, n_levels * 2);
  }
  if (has_rep && !has_def && n_levels != nv)
    return lp_error_set(err, LP_ECORRUPT, "mini-block chunk: %llu levels for %llu values", (unsigned long long)n_levels,
                        (unsigned long long)nv);
  t->n_levels += n_levels;
  /* values */
  const uint8_t *const *vbp = vb;
  if (c->has_dict) {
    lp__leafbuf_clear(&c->idx);
    LP_TRY(lp__mb_values_decode(mb->value_compression, vbp, vl, nb, nv, &c->idx, NULL, err));
    return map_dict(c, t, err);
  }
  return lp__mb_values_decode(mb->value_compression, vbp, vl, nb, nv, t, c->has_fsst ? &c->fsst : NULL, err);
}

/* Drop the first k levels (and their values) of t: the preamble that belongs to an earlier row. */
static void drop_front(lp__leafbuf *t, uint64_t k) {
  if (k == 0) return;
  uint64_t vis = 0;
  for (uint64_t i = 0; i < k; i++) vis += t->has_def ? lp__leafbuf_code_visible(t, t->def[i]) : 1;
  memmove(t->rep, t->rep + k, (t->n_levels - k) * 2);
  if (t->has_def) memmove(t->def, t->def + k, (t->n_levels - k) * 2);
  t->n_levels -= k;
  if (t->kind == LP__V_VAR) {
    int64_t b = t->offs[vis];
    memmove(t->vals, t->vals + b, t->vals_len - (uint64_t)b);
    for (uint64_t i = 0; i + vis <= t->n_values; i++) t->offs[i] = t->offs[i + vis] - b;
    t->vals_len -= (uint64_t)b;
  } else if (t->value_bits == 1) {
    lp__bits_copy(t->vals, 0, t->vals, (int64_t)vis, (int64_t)(t->n_values - vis));
  } else {
    uint64_t w = t->value_bits / 8;
    memmove(t->vals, t->vals + vis * w, (t->n_values - vis) * w);
  }
  if (t->item_valid) lp__bits_copy(t->item_valid, 0, t->item_valid, (int64_t)(vis * t->fsl_dim),
                                   (int64_t)((t->n_values - vis) * t->fsl_dim));
  t->n_values -= vis;
}

/* Chunk whose rows-starting range contains `row` (row < n_rows). */
static uint64_t chunk_of_row(const mbctx *c, uint64_t row) {
  uint64_t lo = 0, hi = c->n_chunks; /* first_row[lo] <= row < first_row[hi] */
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (c->first_row[mid] <= row) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Decode the chunks holding rows [lo, hi) into t (cleared first); *t_lo = page row of t's first row. */
static lp_status decode_rows(mbctx *c, uint64_t lo, uint64_t hi, lp__leafbuf *t, uint64_t *t_lo, lp_error *err) {
  lp__leafbuf_clear(t);
  uint64_t c0 = chunk_of_row(c, lo);
  uint64_t c1 = hi < c->p->n_rows ? chunk_of_row(c, hi) : c->n_chunks - 1;
  if (c->dm.max_rep == 0 && hi <= c->first_row[c1]) c1--; /* row hi - 1 ends the previous chunk */
  uint64_t off = c->chunk_off[c0], len = c->chunk_off[c1 + 1] - off;
  uint8_t *bytes = malloc(len ? len : 1);
  if (bytes == NULL) return lp_error_set(err, LP_ENOMEM, "mini-block: out of memory for %llu bytes", (unsigned long long)len);
  lp_status rc = lp__src_read(c->src, c->p->buf_off[1] + off, len, bytes, err);
  for (uint64_t k = c0; rc == LP_OK && k <= c1; k++)
    rc = decode_chunk(c, bytes + (c->chunk_off[k] - off), c->chunk_off[k + 1] - c->chunk_off[k],
                      c->first_value[k + 1] - c->first_value[k], t, err);
  free(bytes);
  LP_TRY(rc);
  if (c->dm.max_rep > 0 && c0 > 0 && c->has_trailer[c0 - 1]) {
    uint64_t k = 0;
    while (k < t->n_levels && t->rep[k] != c->dm.max_rep) k++;
    drop_front(t, k);
  }
  *t_lo = c->first_row[c0];
  return LP_OK;
}

static lp_status check_layout(const lp__page *p, lp_error *err) {
  if (p->layout == NULL || p->layout->layout_case != LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT ||
      p->layout->mini_block_layout == NULL)
    return lp_error_set(err, LP_EINVAL, "page is not a mini-block page");
  return LP_OK;
}

lp_status lp__page_miniblock_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                  lp__leafbuf *out, lp_error *err) {
  LP_TRY(check_layout(p, err));
  if (hi <= lo) return LP_OK;
  if (hi > p->n_rows) return lp_error_set(err, LP_EINVAL, "mini-block: rows [%llu, %llu) beyond the page's %llu",
                                          (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)p->n_rows);
  mbctx c;
  lp__leafbuf t;
  lp__leafbuf_init(&t, out->kind, out->value_bits, out->fsl_dim);
  memcpy(t.layer_is_list, out->layer_is_list, sizeof t.layer_is_list);
  t.n_layers = out->n_layers;
  t.max_rep = out->max_rep;
  t.has_rep = out->has_rep;
  uint64_t t_lo = 0;
  lp_status rc = ctx_init(&c, src, p, out, err);
  if (rc == LP_OK) rc = decode_rows(&c, lo, hi, &t, &t_lo, err);
  if (rc == LP_OK && lp__leafbuf_count_rows(&t) < hi - t_lo)
    rc = lp_error_set(err, LP_ECORRUPT, "mini-block: chunks hold fewer rows than the repetition index says");
  if (rc == LP_OK) rc = lp__leafbuf_append_rows(out, &t, lo - t_lo, hi - t_lo, err);
  lp__leafbuf_reset(&t);
  ctx_reset(&c);
  return rc;
}

lp_status lp__page_miniblock_take(const lp__datafile_src *src, const lp__page *p, const uint64_t *rows, size_t n,
                                  lp__leafbuf *out, lp_error *err) {
  LP_TRY(check_layout(p, err));
  mbctx c;
  lp__leafbuf t;
  lp__leafbuf_init(&t, out->kind, out->value_bits, out->fsl_dim);
  memcpy(t.layer_is_list, out->layer_is_list, sizeof t.layer_is_list);
  t.n_layers = out->n_layers;
  t.max_rep = out->max_rep;
  t.has_rep = out->has_rep;
  uint64_t t_lo = 0, t_hi = 0; /* complete rows held by t */
  lp_status rc = ctx_init(&c, src, p, out, err);
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    uint64_t r = rows[i];
    if (r >= p->n_rows) {
      rc = lp_error_set(err, LP_EINVAL, "take: row %llu beyond the page's %llu", (unsigned long long)r,
                        (unsigned long long)p->n_rows);
      break;
    }
    if (r < t_lo || r >= t_hi) {
      rc = decode_rows(&c, r, r + 1, &t, &t_lo, err);
      if (rc != LP_OK) break;
      t_hi = t_lo + lp__leafbuf_count_rows(&t);
      if (c.dm.max_rep > 0 && t_hi < p->n_rows) t_hi--; /* the last row may continue in the next chunk */
      if (t_hi <= r) t_hi = r + 1;
    }
    rc = lp__leafbuf_append_rows(out, &t, r - t_lo, r - t_lo + 1, err);
  }
  lp__leafbuf_reset(&t);
  ctx_reset(&c);
  return rc;
}
