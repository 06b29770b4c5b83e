/* Compressive encodings of Lance 2.1 in their mini-block and block contexts: flat, inline and out-of-line
 * bit-packing, RLE, byte-stream-split, general (zstd/LZ4), variable, FSST, fixed-size-list, packed struct
 * and constant. Each decoder checks every size against its buffer. See encodings-2.1.md. */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

typedef Lance__Encodings21__CompressiveEncoding cenc;
#define C_(x) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##x
#define MAX_ENC_DEPTH 8

static const char *enc_name(const cenc *e) {
  if (e == NULL) return "(missing)";
  switch (e->compression_case) {
    case C_(FLAT): return "flat";
    case C_(VARIABLE): return "variable";
    case C_(CONSTANT): return "constant";
    case C_(OUT_OF_LINE_BITPACKING): return "out-of-line bit-packing";
    case C_(INLINE_BITPACKING): return "inline bit-packing";
    case C_(FSST): return "fsst";
    case C_(DICTIONARY): return "dictionary";
    case C_(RLE): return "rle";
    case C_(BYTE_STREAM_SPLIT): return "byte-stream-split";
    case C_(GENERAL): return "general";
    case C_(FIXED_SIZE_LIST): return "fixed-size-list";
    case C_(PACKED_STRUCT): return "packed-struct";
    case C_(VARIABLE_PACKED_STRUCT): return "variable-packed-struct";
    default: return "unknown (unset or newer than this reader)";
  }
}

static lp_status too_short(lp_error *err, const char *what, uint64_t need, size_t have) {
  return lp_error_set(err, LP_ECORRUPT, "%s: needs %llu bytes, buffer has %zu", what, (unsigned long long)need,
                      have);
}

/* Write n fixed-width items of `bits` each into dst (at bit offset dst_bit for 1-bit items, else at dst). */
static lp_status fixed_decode(const cenc *e, const uint8_t *const *bufs, const size_t *lens, size_t nb,
                              uint64_t n, uint32_t bits, uint8_t *dst, uint64_t dst_bit, int depth,
                              lp_error *err) {
  if (depth > MAX_ENC_DEPTH) return lp_error_set(err, LP_ECORRUPT, "encoding nested too deeply");
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "value encoding missing");
  if (nb < 1) return lp_error_set(err, LP_ECORRUPT, "%s: no value buffer", enc_name(e));
  uint64_t wbytes = bits / 8;
  switch (e->compression_case) {
    case C_(FLAT): {
      if (e->flat->bits_per_value != bits)
        return lp_error_set(err, LP_ECORRUPT, "flat: %llu bits per value, expected %u",
                            (unsigned long long)e->flat->bits_per_value, bits);
      uint64_t need = (n * bits + 7) / 8;
      if (lens[0] < need) return too_short(err, "flat values", need, lens[0]);
      if (bits == 1) lp__bits_copy(dst, (int64_t)dst_bit, bufs[0], 0, (int64_t)n);
      else if (n > 0) memcpy(dst, bufs[0], n * wbytes);
      return LP_OK;
    }
    case C_(INLINE_BITPACKING): {
      uint64_t T = e->inline_bitpacking->uncompressed_bits_per_value;
      if (T != bits || (T != 8 && T != 16 && T != 32 && T != 64))
        return lp_error_set(err, LP_ECORRUPT, "inline bit-packing of %llu-bit words for %u-bit values",
                            (unsigned long long)T, bits);
      uint64_t tb = T / 8, pos = 0;
      uint64_t tmp[1024];
      for (uint64_t done = 0; done < n; done += 1024) {
        if (lens[0] < pos + tb) return too_short(err, "inline bit-packing width word", pos + tb, lens[0]);
        uint64_t w = 0;
        memcpy(&w, bufs[0] + pos, tb);
        if (w > T) return lp_error_set(err, LP_ECORRUPT, "inline bit-packing: width %llu over %llu bits",
                                       (unsigned long long)w, (unsigned long long)T);
        pos += tb;
        LP_TRY(lp__bitunpack_block(bufs[0] + pos, lens[0] - pos, (unsigned)T, (unsigned)w, tmp, err));
        pos += 1024 * w / 8;
        uint64_t k = n - done < 1024 ? n - done : 1024;
        memcpy(dst + done * tb, tmp, k * tb);
      }
      return LP_OK;
    }
    case C_(RLE): {
      if (nb < 2) return lp_error_set(err, LP_ECORRUPT, "rle: needs 2 buffers, chunk has %zu", nb);
      const cenc *ve = e->rle->values, *le = e->rle->run_lengths;
      if (!ve || ve->compression_case != C_(FLAT) || ve->flat->bits_per_value != bits || bits < 8 ||
          !le || le->compression_case != C_(FLAT) || le->flat->bits_per_value != 8)
        return lp_error_set(err, LP_EUNSUPPORTED, "rle: only flat %u-bit values with flat 8-bit run lengths",
                            bits);
      size_t runs = lens[1];
      if (lens[0] < runs * wbytes) return too_short(err, "rle values", runs * wbytes, lens[0]);
      uint64_t at = 0;
      for (size_t r = 0; r < runs; r++) {
        uint64_t len = bufs[1][r];
        if (at + len > n) return lp_error_set(err, LP_ECORRUPT, "rle: runs add up to more than %llu values",
                                              (unsigned long long)n);
        const uint8_t *v = bufs[0] + r * wbytes;
        for (uint64_t i = 0; i < len; i++) memcpy(dst + (at + i) * wbytes, v, wbytes);
        at += len;
      }
      if (at != n) return lp_error_set(err, LP_ECORRUPT, "rle: runs add up to %llu values, expected %llu",
                                       (unsigned long long)at, (unsigned long long)n);
      return LP_OK;
    }
    case C_(BYTE_STREAM_SPLIT): {
      const cenc *ve = e->byte_stream_split->values;
      if (!ve || ve->compression_case != C_(FLAT) || ve->flat->bits_per_value != bits || bits < 8)
        return lp_error_set(err, LP_EUNSUPPORTED, "byte-stream-split: only over flat %u-bit values", bits);
      if (lens[0] < n * wbytes) return too_short(err, "byte-stream-split", n * wbytes, lens[0]);
      for (uint64_t k = 0; k < wbytes; k++) {
        const uint8_t *s = bufs[0] + k * n;
        for (uint64_t i = 0; i < n; i++) dst[i * wbytes + k] = s[i];
      }
      return LP_OK;
    }
    case C_(GENERAL): {
      if (!e->general->compression) return lp_error_set(err, LP_ECORRUPT, "general: no compression scheme");
      uint8_t *raw = NULL;
      size_t raw_len = 0;
      LP_TRY(lp__general_decompress((int)e->general->compression->scheme, bufs[0], lens[0], &raw, &raw_len, err));
      const uint8_t *b2[8];
      size_t l2[8];
      size_t k = nb < 8 ? nb : 8;
      for (size_t i = 0; i < k; i++) {
        b2[i] = bufs[i];
        l2[i] = lens[i];
      }
      b2[0] = raw;
      l2[0] = raw_len;
      lp_status rc = fixed_decode(e->general->values, b2, l2, k, n, bits, dst, dst_bit, depth + 1, err);
      free(raw);
      return rc;
    }
    case C_(CONSTANT): {
      if (e->constant->opt_value_case == 0 || e->constant->value.len != wbytes || bits < 8)
        return lp_error_set(err, LP_EUNSUPPORTED, "constant: value of %zu bytes for %u-bit values",
                            e->constant->opt_value_case ? e->constant->value.len : 0, bits);
      for (uint64_t i = 0; i < n; i++) memcpy(dst + i * wbytes, e->constant->value.data, wbytes);
      return LP_OK;
    }
    default:
      return lp_error_set(err, LP_EUNSUPPORTED, "%s encoding of %u-bit values is not supported here",
                          enc_name(e), bits);
  }
}

/* Variable-width values of one mini-block chunk: offsets (relative to the buffer) then bytes. */
static lp_status variable_decode(const cenc *e, const uint8_t *buf, size_t len, uint64_t n, lp__leafbuf *b,
                                 const lp__fsst_table *fsst, lp_error *err) {
  const cenc *oe = e->variable->offsets;
  if (!oe || oe->compression_case != C_(FLAT) ||
      (oe->flat->bits_per_value != 32 && oe->flat->bits_per_value != 64))
    return lp_error_set(err, LP_EUNSUPPORTED, "variable: offsets must be flat 32 or 64 bits");
  uint64_t ow = oe->flat->bits_per_value / 8;
  if (n + 1 > len / ow) return too_short(err, "variable offsets", (n + 1) * ow, len);
  uint64_t prev = 0;
  memcpy(&prev, buf, ow);
  uint64_t first = prev;
  uint64_t last = 0;
  memcpy(&last, buf + n * ow, ow);
  if (first > last || last > len)
    return lp_error_set(err, LP_ECORRUPT, "variable: offsets [%llu, %llu] outside a %zu-byte buffer",
                        (unsigned long long)first, (unsigned long long)last, len);
  if (fsst == NULL) LP_TRY(lp__leafbuf_reserve_values(b, n, last - first, err));
  for (uint64_t i = 1; i <= n; i++) {
    uint64_t o = 0;
    memcpy(&o, buf + i * ow, ow);
    if (o < prev || o > last)
      return lp_error_set(err, LP_ECORRUPT, "variable: offset %llu of value %llu out of order",
                          (unsigned long long)o, (unsigned long long)(i - 1));
    if (fsst) {
      LP_TRY(lp__fsst_decode_push(fsst, buf + prev, o - prev, b, err));
    } else {
      memcpy(b->vals + b->vals_len, buf + prev, o - prev);
      b->vals_len += o - prev;
      b->n_values++;
      b->offs[b->n_values] = (int64_t)b->vals_len;
    }
    prev = o;
  }
  return LP_OK;
}

static lp_status var_values(const cenc *e, const uint8_t *const *bufs, const size_t *lens, size_t nb,
                            uint64_t n, lp__leafbuf *b, const lp__fsst_table *fsst, int depth, lp_error *err) {
  if (depth > MAX_ENC_DEPTH) return lp_error_set(err, LP_ECORRUPT, "encoding nested too deeply");
  if (e == NULL || nb < 1) return lp_error_set(err, LP_ECORRUPT, "variable-width values: no encoding or buffer");
  switch (e->compression_case) {
    case C_(VARIABLE): return variable_decode(e, bufs[0], lens[0], n, b, fsst, err);
    case C_(FSST):
      if (fsst == NULL) return lp_error_set(err, LP_ECORRUPT, "fsst: symbol table not loaded");
      return var_values(e->fsst->values, bufs, lens, nb, n, b, fsst, depth + 1, err);
    case C_(GENERAL): {
      if (!e->general->compression) return lp_error_set(err, LP_ECORRUPT, "general: no compression scheme");
      uint8_t *raw = NULL;
      size_t raw_len = 0;
      LP_TRY(lp__general_decompress((int)e->general->compression->scheme, bufs[0], lens[0], &raw, &raw_len, err));
      const uint8_t *b2[1] = {raw};
      size_t l2[1] = {raw_len};
      lp_status rc = var_values(e->general->values, b2, l2, 1, n, b, fsst, depth + 1, err);
      free(raw);
      return rc;
    }
    default:
      return lp_error_set(err, LP_EUNSUPPORTED, "%s encoding of variable-width values is not supported",
                          enc_name(e));
  }
}

const Lance__Encodings21__Fsst *lp__enc_find_fsst(const cenc *e) {
  for (int d = 0; e != NULL && d < MAX_ENC_DEPTH; d++) {
    if (e->compression_case == C_(FSST)) return e->fsst;
    if (e->compression_case == C_(GENERAL)) e = e->general->values;
    else return NULL;
  }
  return NULL;
}

lp_status lp__mb_values_decode(const cenc *e, const uint8_t *const *bufs, const size_t *lens, size_t nb,
                               uint64_t n, lp__leafbuf *b, const lp__fsst_table *fsst, lp_error *err) {
  if (b->kind == LP__V_VAR) return var_values(e, bufs, lens, nb, n, b, fsst, 0, err);
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "value encoding missing");
  LP_TRY(lp__leafbuf_reserve_values(b, n, 0, err));
  uint64_t v0 = b->n_values;
  if (e->compression_case == C_(FIXED_SIZE_LIST)) {
    const Lance__Encodings21__FixedSizeList *f = e->fixed_size_list;
    if (b->fsl_dim == 0 || f->items_per_value != b->fsl_dim)
      return lp_error_set(err, LP_ECORRUPT, "fixed-size-list: %llu items per value, field has %u",
                          (unsigned long long)f->items_per_value, b->fsl_dim);
    uint64_t items = n * b->fsl_dim;
    size_t skip = 0;
    if (f->has_validity) {
      if (nb < 2) return lp_error_set(err, LP_ECORRUPT, "fixed-size-list: validity buffer missing");
      if (lens[0] < (items + 7) / 8) return too_short(err, "fixed-size-list validity", (items + 7) / 8, lens[0]);
      LP_TRY(lp__leafbuf_enable_item_valid(b, err));
      LP_TRY(lp__leafbuf_reserve_values(b, n, 0, err));
      lp__bits_copy(b->item_valid, (int64_t)(v0 * b->fsl_dim), bufs[0], 0, (int64_t)items);
      skip = 1;
    } else if (b->item_valid != NULL) {
      for (uint64_t i = v0 * b->fsl_dim; i < (v0 + n) * b->fsl_dim; i++) lp__bit_set(b->item_valid, (int64_t)i);
    }
    uint32_t ebits = b->value_bits / b->fsl_dim;
    LP_TRY(fixed_decode(f->values, bufs + skip, lens + skip, nb - skip, items, ebits,
                        b->vals + v0 * (b->value_bits / 8), 0, 1, err));
  } else if (e->compression_case == C_(PACKED_STRUCT)) {
    uint64_t sum = 0;
    for (size_t i = 0; i < e->packed_struct->n_bits_per_value; i++) sum += e->packed_struct->bits_per_value[i];
    if (sum != b->value_bits)
      return lp_error_set(err, LP_ECORRUPT, "packed-struct: %llu bits per row, expected %u",
                          (unsigned long long)sum, b->value_bits);
    LP_TRY(fixed_decode(e->packed_struct->values, bufs, lens, nb, n, b->value_bits, b->vals + v0 * (sum / 8), 0,
                        1, err));
  } else {
    uint8_t *dst = b->value_bits == 1 ? b->vals : b->vals + v0 * (b->value_bits / 8);
    LP_TRY(fixed_decode(e, bufs, lens, nb, n, b->value_bits, dst, v0, 0, err));
  }
  b->n_values += n;
  b->vals_len = (b->n_values * b->value_bits + 7) / 8;
  return LP_OK;
}

/* Out-of-line bit-packing of levels: full blocks, then a padded block or raw words for the tail. */
static lp_status ool_levels(const Lance__Encodings21__OutOfLineBitpacking *o, const uint8_t *buf, size_t len,
                            uint64_t n, uint16_t *out, lp_error *err) {
  if (o->uncompressed_bits_per_value != 16 || !o->values || o->values->compression_case != C_(FLAT))
    return lp_error_set(err, LP_EUNSUPPORTED, "out-of-line bit-packing: only 16-bit levels over flat widths");
  uint64_t w = o->values->flat->bits_per_value;
  if (w > 16) return lp_error_set(err, LP_ECORRUPT, "out-of-line bit-packing: width %llu", (unsigned long long)w);
  uint64_t full = n / 1024, tail = n % 1024, block_bytes = 1024 * w / 8;
  uint16_t tmp[1024];
  size_t pos = 0;
  for (uint64_t k = 0; k < full; k++) {
    LP_TRY(lp__bitunpack_block(buf + pos, len - pos, 16, (unsigned)w, tmp, err));
    memcpy(out + k * 1024, tmp, sizeof tmp);
    pos += block_bytes;
  }
  if (tail == 0) return LP_OK;
  if (len - pos == tail * 2) { /* raw tail words, as the writer chose when packing would not save space */
    memcpy(out + full * 1024, buf + pos, tail * 2);
    return LP_OK;
  }
  LP_TRY(lp__bitunpack_block(buf + pos, len - pos, 16, (unsigned)w, tmp, err));
  memcpy(out + full * 1024, tmp, tail * 2);
  return LP_OK;
}

/* Levels run-length encoded as one block (format 2.2): a u64 byte length of the values, the u16 values,
 * then one run length per value, 8, 16 or 32 bits wide. */
static lp_status rle_levels(const Lance__Encodings21__Rle *r, const uint8_t *buf, size_t len, uint64_t n,
                            uint16_t *out, lp_error *err) {
  const cenc *ve = r->values, *le = r->run_lengths;
  if (!ve || ve->compression_case != C_(FLAT) || ve->flat->bits_per_value != 16 || !le ||
      le->compression_case != C_(FLAT) ||
      (le->flat->bits_per_value != 8 && le->flat->bits_per_value != 16 && le->flat->bits_per_value != 32))
    return lp_error_set(err, LP_EUNSUPPORTED, "rle levels: only flat 16-bit values with flat 8, 16 or 32-bit run lengths");
  if (len < 8) return too_short(err, "rle levels", 8, len);
  uint64_t vbytes;
  memcpy(&vbytes, buf, 8);
  size_t lw = (size_t)le->flat->bits_per_value / 8;
  if (vbytes % 2 != 0 || vbytes > len - 8 || (len - 8 - vbytes) != vbytes / 2 * lw)
    return lp_error_set(err, LP_ECORRUPT, "rle levels: %llu bytes of values and %zu bytes in all do not make runs",
                        (unsigned long long)vbytes, len);
  const uint8_t *vals = buf + 8, *lens = buf + 8 + vbytes;
  uint64_t at = 0;
  for (uint64_t i = 0; i < vbytes / 2; i++) {
    uint32_t run = 0;
    memcpy(&run, lens + i * lw, lw); /* little-endian host, as everywhere in the format layer */
    if (run > n - at) return lp_error_set(err, LP_ECORRUPT, "rle levels: runs add up to more than %llu", (unsigned long long)n);
    uint16_t v;
    memcpy(&v, vals + 2 * i, 2);
    for (uint32_t k = 0; k < run; k++) out[at + k] = v;
    at += run;
  }
  if (at != n)
    return lp_error_set(err, LP_ECORRUPT, "rle levels: runs add up to %llu levels, expected %llu", (unsigned long long)at,
                        (unsigned long long)n);
  return LP_OK;
}

lp_status lp__block_levels_decode(const cenc *e, const uint8_t *buf, size_t len, uint64_t n, uint16_t *out,
                                  lp_error *err) {
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "level encoding missing");
  switch (e->compression_case) {
    case C_(FLAT):
      if (e->flat->bits_per_value != 16)
        return lp_error_set(err, LP_EUNSUPPORTED, "flat levels of %llu bits", (unsigned long long)e->flat->bits_per_value);
      if (len < n * 2) return too_short(err, "flat levels", n * 2, len);
      memcpy(out, buf, n * 2);
      return LP_OK;
    case C_(INLINE_BITPACKING): {
      if (e->inline_bitpacking->uncompressed_bits_per_value != 16)
        return lp_error_set(err, LP_EUNSUPPORTED, "inline bit-packed levels of %llu bits",
                            (unsigned long long)e->inline_bitpacking->uncompressed_bits_per_value);
      uint16_t tmp[1024];
      size_t pos = 0;
      for (uint64_t done = 0; done < n; done += 1024) {
        if (len < pos + 2) return too_short(err, "inline bit-packed levels", pos + 2, len);
        uint16_t w;
        memcpy(&w, buf + pos, 2);
        pos += 2;
        if (w > 16) return lp_error_set(err, LP_ECORRUPT, "inline bit-packed levels: width %u", w);
        LP_TRY(lp__bitunpack_block(buf + pos, len - pos, 16, w, tmp, err));
        pos += 1024u * w / 8;
        uint64_t k = n - done < 1024 ? n - done : 1024;
        memcpy(out + done, tmp, k * 2);
      }
      return LP_OK;
    }
    case C_(OUT_OF_LINE_BITPACKING): return ool_levels(e->out_of_line_bitpacking, buf, len, n, out, err);
    case C_(RLE): return rle_levels(e->rle, buf, len, n, out, err);
    case C_(CONSTANT):
      if (e->constant->opt_value_case == 0 || e->constant->value.len != 2)
        return lp_error_set(err, LP_EUNSUPPORTED, "constant levels need a 2-byte value");
      for (uint64_t i = 0; i < n; i++) memcpy(out + i, e->constant->value.data, 2);
      return LP_OK;
    case C_(GENERAL): {
      if (!e->general->compression) return lp_error_set(err, LP_ECORRUPT, "general: no compression scheme");
      uint8_t *raw = NULL;
      size_t raw_len = 0;
      LP_TRY(lp__general_decompress((int)e->general->compression->scheme, buf, len, &raw, &raw_len, err));
      lp_status rc = lp__block_levels_decode(e->general->values, raw, raw_len, n, out, err);
      free(raw);
      return rc;
    }
    default:
      return lp_error_set(err, LP_EUNSUPPORTED, "%s encoding of levels is not supported", enc_name(e));
  }
}

lp_status lp__block_dict_decode(const cenc *e, const uint8_t *buf, size_t len, uint64_t n, lp__leafbuf *dict,
                                lp_error *err) {
  if (e == NULL) return lp_error_set(err, LP_ECORRUPT, "dictionary encoding missing");
  if (e->compression_case == C_(GENERAL)) {
    if (!e->general->compression) return lp_error_set(err, LP_ECORRUPT, "general: no compression scheme");
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    LP_TRY(lp__general_decompress((int)e->general->compression->scheme, buf, len, &raw, &raw_len, err));
    lp_status rc = lp__block_dict_decode(e->general->values, raw, raw_len, n, dict, err);
    free(raw);
    return rc;
  }
  if (dict->kind == LP__V_FIXED) {
    const uint8_t *bufs[1] = {buf};
    size_t lens[1] = {len};
    return lp__mb_values_decode(e, bufs, lens, 1, n, dict, NULL, err);
  }
  if (e->compression_case != C_(VARIABLE))
    return lp_error_set(err, LP_EUNSUPPORTED, "%s encoding of a dictionary is not supported", enc_name(e));
  /* block form: u32|u64 bits_per_offset, data_start, then n+1 offsets relative to data_start */
  if (len < 4) return too_short(err, "dictionary header", 4, len);
  uint32_t bpo;
  memcpy(&bpo, buf, 4);
  if (bpo != 32 && bpo != 64) return lp_error_set(err, LP_ECORRUPT, "dictionary: %u bits per offset", bpo);
  uint64_t ow = bpo / 8, data_start = 0;
  if (len < 2 * ow) return too_short(err, "dictionary header", 2 * ow, len);
  memcpy(&data_start, buf + ow, ow);
  if (data_start > len || data_start < 2 * ow || (data_start - 2 * ow) / ow < n + 1)
    return lp_error_set(err, LP_ECORRUPT, "dictionary: data start %llu does not fit %llu items in %zu bytes",
                        (unsigned long long)data_start, (unsigned long long)n, len);
  const uint8_t *offs = buf + 2 * ow, *data = buf + data_start;
  uint64_t dlen = len - data_start, prev = 0;
  memcpy(&prev, offs, ow);
  for (uint64_t i = 1; i <= n; i++) {
    uint64_t o = 0;
    memcpy(&o, offs + i * ow, ow);
    if (o < prev || o > dlen)
      return lp_error_set(err, LP_ECORRUPT, "dictionary: item %llu spans [%llu, %llu) of %llu bytes",
                          (unsigned long long)(i - 1), (unsigned long long)prev, (unsigned long long)o,
                          (unsigned long long)dlen);
    LP_TRY(lp__leafbuf_push_var(dict, data + prev, o - prev, err));
    prev = o;
  }
  return LP_OK;
}
