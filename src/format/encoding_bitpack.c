/* FastLanes bit-unpacking (the transposed 1 024-value layout Lance uses for inline and out-of-line
 * bit-packing). Written by hand: no Debian package provides FastLanes. See encodings-2.1.md section 3.3.
 * Assumes a little-endian host, like the rest of the reader. */
#include <string.h>

#include "format/datafile_int.h"

static const unsigned fl_order[8] = {0, 4, 2, 6, 1, 5, 3, 7};

/* One unpack routine per word width; the value at (row, lane) goes to logical index
 * fl_order[row / 8] * 16 + (row % 8) * 128 + lane. */
#define LP_UNPACK_FN(NAME, TYPE, T)                                                        \
  static void NAME(const uint8_t *in, unsigned w, TYPE *out) {                             \
    const unsigned lanes = 1024 / (T);                                                     \
    const TYPE mask = w == (T) ? (TYPE) ~(TYPE)0 : (TYPE)(((TYPE)1 << w) - 1);              \
    for (unsigned lane = 0; lane < lanes; lane++) {                                        \
      for (unsigned row = 0; row < (T); row++) {                                           \
        unsigned idx = fl_order[row / 8] * 16 + (row % 8) * 128 + lane;                    \
        unsigned bit = row * w, k = bit / (T), s = bit % (T);                              \
        TYPE lo, v;                                                                        \
        memcpy(&lo, in + ((size_t)k * lanes + lane) * sizeof(TYPE), sizeof(TYPE));         \
        v = (TYPE)(lo >> s);                                                               \
        if (s + w > (T)) {                                                                 \
          TYPE hi;                                                                         \
          memcpy(&hi, in + ((size_t)(k + 1) * lanes + lane) * sizeof(TYPE), sizeof(TYPE)); \
          v |= (TYPE)(hi << ((T) - s));                                                    \
        }                                                                                  \
        out[idx] = (TYPE)(v & mask);                                                       \
      }                                                                                    \
    }                                                                                      \
  }

LP_UNPACK_FN(unpack8, uint8_t, 8)
LP_UNPACK_FN(unpack16, uint16_t, 16)
LP_UNPACK_FN(unpack32, uint32_t, 32)
LP_UNPACK_FN(unpack64, uint64_t, 64)

lp_status lp__bitunpack_block(const uint8_t *in, size_t in_len, unsigned T, unsigned w, void *out,
                              lp_error *err) {
  if (T != 8 && T != 16 && T != 32 && T != 64)
    return lp_error_set(err, LP_ECORRUPT, "bit-packing: word width %u is not 8, 16, 32 or 64", T);
  if (w > T) return lp_error_set(err, LP_ECORRUPT, "bit-packing: packed width %u exceeds word width %u", w, T);
  size_t need = (size_t)1024 * w / 8;
  if (in_len < need)
    return lp_error_set(err, LP_ECORRUPT, "bit-packing: block of width %u needs %zu bytes, found %zu", w, need,
                        in_len);
  if (w == 0) {
    memset(out, 0, (size_t)1024 * T / 8);
    return LP_OK;
  }
  switch (T) {
    case 8: unpack8(in, w, out); break;
    case 16: unpack16(in, w, out); break;
    case 32: unpack32(in, w, out); break;
    default: unpack64(in, w, out); break;
  }
  return LP_OK;
}
