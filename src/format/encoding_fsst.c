/* FSST decoding: symbol table parsing and string decompression. Written by hand (no Debian package provides
 * FSST). Table layout and escape rule: encodings-2.1.md section 3.7. */
#include <string.h>

#include "format/datafile_int.h"

#define FSST_MAGIC UINT64_C(0x46535354)
#define FSST_ESCAPE 255

lp_status lp__fsst_table_parse(const uint8_t *bytes, size_t len, lp__fsst_table *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (len < 8) return lp_error_set(err, LP_ECORRUPT, "FSST symbol table: %zu bytes, expected at least 8", len);
  uint64_t hdr;
  memcpy(&hdr, bytes, 8);
  if ((hdr >> 32) != FSST_MAGIC)
    return lp_error_set(err, LP_ECORRUPT, "FSST symbol table: bad magic 0x%08llx",
                        (unsigned long long)(hdr >> 32));
  out->enabled = (hdr >> 24) & 1;
  out->n_symbols = (uint32_t)(hdr & 0xff);
  size_t n = out->n_symbols;
  if (len < 8 + n * 9)
    return lp_error_set(err, LP_ECORRUPT, "FSST symbol table: %zu symbols need %zu bytes, found %zu", n,
                        8 + n * 9, len);
  memcpy(out->symbols, bytes + 8, n * 8);
  for (size_t i = 0; i < n; i++) {
    uint8_t l = bytes[8 + n * 8 + i];
    if (l < 1 || l > 8) return lp_error_set(err, LP_ECORRUPT, "FSST symbol table: symbol %zu has length %u", i, l);
    out->lens[i] = l;
  }
  return LP_OK;
}

lp_status lp__fsst_decode(const lp__fsst_table *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len, lp_error *err) {
  if (!t->enabled) {
    if (cap < len) return lp_error_set(err, LP_EINVAL, "FSST: output too small");
    memcpy(out, in, len);
    *out_len = len;
    return LP_OK;
  }
  if (cap < len * 8) return lp_error_set(err, LP_EINVAL, "FSST: output too small");
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = in[i];
    if (c == FSST_ESCAPE) {
      if (++i >= len) return lp_error_set(err, LP_ECORRUPT, "FSST: escape byte at the end of a value");
      out[o++] = in[i];
    } else if (c < t->n_symbols) {
      memcpy(out + o, &t->symbols[c], 8); /* writes 8, advances by the symbol's length */
      o += t->lens[c];
    } else {
      return lp_error_set(err, LP_ECORRUPT, "FSST: code %u but the table has %u symbols", c, t->n_symbols);
    }
  }
  *out_len = o;
  return LP_OK;
}

lp_status lp__fsst_decode_push(const lp__fsst_table *t, const uint8_t *in, size_t len, lp__leafbuf *b,
                               lp_error *err) {
  LP_TRY(lp__leafbuf_reserve_values(b, 1, (uint64_t)len * 8 + 8, err));
  size_t got = 0;
  LP_TRY(lp__fsst_decode(t, in, len, b->vals + b->vals_len, b->vals_cap - b->vals_len, &got, err));
  b->vals_len += got;
  b->n_values++;
  b->offs[b->n_values] = (int64_t)b->vals_len;
  return LP_OK;
}
