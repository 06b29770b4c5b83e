/* General-purpose compression of Lance buffers: LZ4 blocks with a u32 size prefix, zstd frames with a u64
 * size prefix (or bare). libzstd and liblz4 do the work. */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/datafile_int.h"

#define ZSTD_MAGIC 0xFD2FB528u
#define MAX_ZSTD_RATIO 32768u /* no zstd frame expands more than this (128 KiB blocks of a few bytes) */
#define MAX_LZ4_RATIO 256u    /* nor an LZ4 block */

static lp_status zstd_frame(const uint8_t *in, size_t len, uint64_t expect, uint8_t **out, size_t *out_len,
                            lp_error *err) {
  unsigned long long sz = ZSTD_getFrameContentSize(in, len);
  if (sz == ZSTD_CONTENTSIZE_ERROR) return lp_error_set(err, LP_ECORRUPT, "zstd: not a zstd frame");
  if (sz == ZSTD_CONTENTSIZE_UNKNOWN) sz = expect;
  if (sz == ZSTD_CONTENTSIZE_UNKNOWN || sz > LP__MAX_DECODED_BYTES || sz > (uint64_t)len * MAX_ZSTD_RATIO + 65536 ||
      (expect != UINT64_MAX && sz != expect))
    return lp_error_set(err, LP_ECORRUPT, "zstd: frame content size %llu does not match %llu", sz,
                        (unsigned long long)expect);
  uint8_t *o = malloc(sz ? sz : 1);
  if (o == NULL) return lp_error_set(err, LP_ENOMEM, "zstd: out of memory for %llu bytes", sz);
  size_t got = ZSTD_decompress(o, sz, in, len);
  if (ZSTD_isError(got) || got != sz) {
    free(o);
    return lp_error_set(err, LP_ECORRUPT, "zstd: %s", ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output");
  }
  *out = o;
  *out_len = got;
  return LP_OK;
}

lp_status lp__general_decompress(int scheme, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
                                 lp_error *err) {
  if (scheme == 2) { /* zstd */
    uint32_t magic = 0;
    if (len >= 4) memcpy(&magic, in, 4);
    if (magic == ZSTD_MAGIC) return zstd_frame(in, len, UINT64_MAX, out, out_len, err);
    if (len < 12) return lp_error_set(err, LP_ECORRUPT, "zstd: buffer of %zu bytes is too short", len);
    uint64_t sz;
    memcpy(&sz, in, 8);
    return zstd_frame(in + 8, len - 8, sz, out, out_len, err);
  }
  if (scheme == 1) { /* lz4 */
    if (len < 4) return lp_error_set(err, LP_ECORRUPT, "lz4: buffer of %zu bytes is too short", len);
    uint32_t sz;
    memcpy(&sz, in, 4);
    if (sz > INT32_MAX || len - 4 > INT32_MAX || sz > (uint64_t)(len - 4) * MAX_LZ4_RATIO + 64)
      return lp_error_set(err, LP_ECORRUPT, "lz4: size %u too large", sz);
    uint8_t *o = malloc(sz ? sz : 1);
    if (o == NULL) return lp_error_set(err, LP_ENOMEM, "lz4: out of memory");
    int got = LZ4_decompress_safe((const char *)in + 4, (char *)o, (int)(len - 4), (int)sz);
    if (got < 0 || (uint32_t)got != sz) {
      free(o);
      return lp_error_set(err, LP_ECORRUPT, "lz4: block does not decode to the %u bytes its prefix says", sz);
    }
    *out = o;
    *out_len = sz;
    return LP_OK;
  }
  return lp_error_set(err, LP_EUNSUPPORTED, "general compression scheme %d is not LZ4 (1) or zstd (2)", scheme);
}
