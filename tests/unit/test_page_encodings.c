/* Unit tests of the raw encodings on hand-built bytes: FastLanes bit-unpacking (against a reference packer
 * written from the format notes), FSST, general zstd/LZ4 framing, and the mini-block/block value decoders
 * (flat, bool, RLE, byte-stream-split, variable, fixed-size list, levels), including errors on truncated
 * and bad bytes. */
#include <lz4.h>
#include <zstd.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"
#include "lp_test.h"

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

static const unsigned ORDER[8] = {0, 4, 2, 6, 1, 5, 3, 7};

/* Reference packer, straight from encodings-2.1.md section 3.3. */
static void ref_pack(const uint64_t *in, unsigned T, unsigned w, uint8_t *out) {
  unsigned lanes = 1024 / T;
  size_t words = (size_t)1024 * w / T;
  memset(out, 0, words * T / 8);
  uint64_t mask = w == 64 ? ~0ull : ((1ull << w) - 1);
  for (unsigned lane = 0; lane < lanes; lane++)
    for (unsigned row = 0; row < T; row++) {
      unsigned i = ORDER[row / 8] * 16 + (row % 8) * 128 + lane;
      uint64_t v = in[i] & mask;
      unsigned bit = row * w, k = bit / T, s = bit % T;
      for (unsigned b = 0; b < w; b++) { /* bit by bit: slow but obviously right */
        unsigned pos = s + b, word = k + pos / T, wb = pos % T;
        if ((v >> b) & 1) out[((size_t)word * lanes + lane) * (T / 8) + wb / 8] |= (uint8_t)(1u << (wb % 8));
      }
    }
}

static void test_bitunpack_all_widths(void) {
  static uint64_t in[1024];
  static uint8_t packed[1024 * 8 + 64];
  static uint8_t out[1024 * 8];
  lp_error err;
  unsigned Ts[] = {8, 16, 32, 64};
  for (int ti = 0; ti < 4; ti++) {
    unsigned T = Ts[ti];
    for (unsigned w = 0; w <= T; w++) {
      uint64_t mask = w == 64 ? ~0ull : ((1ull << w) - 1);
      for (int i = 0; i < 1024; i++) in[i] = rnd() & mask;
      ref_pack(in, T, w, packed);
      CHECK_OK(lp__bitunpack_block(packed, (size_t)1024 * w / 8, T, w, out, &err), &err);
      for (int i = 0; i < 1024; i++) {
        uint64_t v = 0;
        memcpy(&v, out + (size_t)i * T / 8, T / 8);
        if (v != in[i]) LP_FAIL("T=%u w=%u value %d: %llu vs %llu", T, w, i, (unsigned long long)v,
                                (unsigned long long)in[i]);
      }
      if (w > 0) CHECK_EQ(lp__bitunpack_block(packed, (size_t)1024 * w / 8 - 1, T, w, out, &err), LP_ECORRUPT);
    }
  }
  /* the worked example of the notes: int32 0..999, width 10 -> first words 0x10020000, 0x50120401 */
  for (int i = 0; i < 1024; i++) in[i] = i < 1000 ? (uint64_t)i : 0;
  ref_pack(in, 32, 10, packed);
  uint32_t w0, w1;
  memcpy(&w0, packed, 4);
  memcpy(&w1, packed + 4, 4);
  CHECK_EQ(w0, 0x10020000u);
  CHECK_EQ(w1, 0x50120401u);
  CHECK_EQ(lp__bitunpack_block(packed, 4096, 32, 33, out, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "exceeds");
  CHECK_EQ(lp__bitunpack_block(packed, 4096, 12, 3, out, &err), LP_ECORRUPT);
}

static void fsst_table(uint8_t *t, size_t *len) {
  /* 3 symbols: "hello" (5), " " (1), "world!!!" (8) */
  memset(t, 0, 2312);
  uint64_t hdr = (0x46535354ull << 32) | (1ull << 24) | 3;
  memcpy(t, &hdr, 8);
  memcpy(t + 8, "hello", 5);
  memcpy(t + 16, " ", 1);
  memcpy(t + 24, "world!!!", 8);
  t[32] = 5;
  t[33] = 1;
  t[34] = 8;
  *len = 2312;
}

static void test_fsst(void) {
  uint8_t t[2312];
  size_t tl;
  fsst_table(t, &tl);
  lp__fsst_table ft;
  lp_error err;
  CHECK_OK(lp__fsst_table_parse(t, tl, &ft, &err), &err);
  CHECK_EQ(ft.n_symbols, 3);
  uint8_t in[] = {0, 1, 2, 255, 'X', 1, 0};
  uint8_t out[64];
  size_t ol = 0;
  CHECK_OK(lp__fsst_decode(&ft, in, sizeof in, out, sizeof out, &ol, &err), &err);
  CHECK_EQ(ol, 21);
  CHECK(memcmp(out, "hello world!!!X hello", 21) == 0);
  uint8_t bad_code[] = {7};
  CHECK_EQ(lp__fsst_decode(&ft, bad_code, 1, out, sizeof out, &ol, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "code 7");
  uint8_t bad_escape[] = {0, 255};
  CHECK_EQ(lp__fsst_decode(&ft, bad_escape, 2, out, sizeof out, &ol, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "escape");
  t[7] = 0; /* magic */
  CHECK_EQ(lp__fsst_table_parse(t, tl, &ft, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "magic");
  fsst_table(t, &tl);
  t[33] = 9;
  CHECK_EQ(lp__fsst_table_parse(t, tl, &ft, &err), LP_ECORRUPT);
  CHECK_EQ(lp__fsst_table_parse(t, 20, &ft, &err), LP_ECORRUPT);
}

static void test_general(void) {
  char src[5000];
  for (size_t i = 0; i < sizeof src; i++) src[i] = (char)("abcabcabd"[i % 9]);
  lp_error err;
  /* zstd with the u64 size prefix, and a bare frame */
  uint8_t z[8 + 6000];
  size_t zn = ZSTD_compress(z + 8, 6000, src, sizeof src, 3);
  CHECK(!ZSTD_isError(zn));
  uint64_t sz = sizeof src;
  memcpy(z, &sz, 8);
  uint8_t *out = NULL;
  size_t ol = 0;
  CHECK_OK(lp__general_decompress(2, z, zn + 8, &out, &ol, &err), &err);
  CHECK_EQ(ol, sizeof src);
  CHECK(memcmp(out, src, ol) == 0);
  free(out);
  CHECK_OK(lp__general_decompress(2, z + 8, zn, &out, &ol, &err), &err);
  CHECK_EQ(ol, sizeof src);
  free(out);
  sz = 17;
  memcpy(z, &sz, 8);
  CHECK_EQ(lp__general_decompress(2, z, zn + 8, &out, &ol, &err), LP_ECORRUPT);
  CHECK_EQ(lp__general_decompress(2, z + 8, zn / 2, &out, &ol, &err), LP_ECORRUPT);
  /* lz4: u32 size + raw block */
  uint8_t l[4 + 6000];
  int ln = LZ4_compress_default(src, (char *)l + 4, sizeof src, 6000);
  CHECK_GT(ln, 0);
  uint32_t s32 = sizeof src;
  memcpy(l, &s32, 4);
  CHECK_OK(lp__general_decompress(1, l, (size_t)ln + 4, &out, &ol, &err), &err);
  CHECK_EQ(ol, sizeof src);
  CHECK(memcmp(out, src, ol) == 0);
  free(out);
  CHECK_EQ(lp__general_decompress(1, l, (size_t)ln - 3, &out, &ol, &err), LP_ECORRUPT);
  CHECK_EQ(lp__general_decompress(3, l, (size_t)ln, &out, &ol, &err), LP_EUNSUPPORTED);
}

/* ---- value decoders through lp__mb_values_decode ---- */

static Lance__Encodings21__CompressiveEncoding *flat(uint64_t bits) {
  Lance__Encodings21__CompressiveEncoding *e = calloc(1, sizeof *e);
  Lance__Encodings21__Flat *f = calloc(1, sizeof *f);
  lance__encodings21__compressive_encoding__init(e);
  lance__encodings21__flat__init(f);
  f->bits_per_value = bits;
  e->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT;
  e->flat = f;
  return e;
}
static void enc_free(Lance__Encodings21__CompressiveEncoding *e) {
  protobuf_c_message_free_unpacked(&e->base, NULL);
}

static void test_flat_rle_bss(void) {
  lp_error err;
  lp__leafbuf b;
  lp__leafbuf_init(&b, LP__V_FIXED, 32, 0);
  int32_t vals[5] = {1, -2, 3, -4, 5};
  const uint8_t *bufs[2] = {(const uint8_t *)vals, NULL};
  size_t lens[2] = {sizeof vals, 0};
  Lance__Encodings21__CompressiveEncoding *e = flat(32);
  CHECK_OK(lp__mb_values_decode(e, bufs, lens, 1, 5, &b, NULL, &err), &err);
  CHECK_EQ(b.n_values, 5);
  CHECK_EQ(((int32_t *)b.vals)[3], -4);
  lens[0] = 19;
  CHECK_EQ(lp__mb_values_decode(e, bufs, lens, 1, 5, &b, NULL, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "flat values");
  e->flat->bits_per_value = 64;
  CHECK_EQ(lp__mb_values_decode(e, bufs, lens, 1, 5, &b, NULL, &err), LP_ECORRUPT);
  enc_free(e);
  /* RLE: values 7 x3, 9 x2 */
  Lance__Encodings21__CompressiveEncoding rle = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__Rle r = LANCE__ENCODINGS21__RLE__INIT;
  r.values = flat(32);
  r.run_lengths = flat(8);
  rle.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_RLE;
  rle.rle = &r;
  int32_t rv[2] = {7, 9};
  uint8_t rl[2] = {3, 2};
  const uint8_t *rb[2] = {(const uint8_t *)rv, rl};
  size_t rls[2] = {8, 2};
  lp__leafbuf_clear(&b);
  CHECK_OK(lp__mb_values_decode(&rle, rb, rls, 2, 5, &b, NULL, &err), &err);
  int32_t *o = (int32_t *)b.vals;
  CHECK(o[0] == 7 && o[2] == 7 && o[3] == 9 && o[4] == 9);
  CHECK_EQ(lp__mb_values_decode(&rle, rb, rls, 2, 6, &b, NULL, &err), LP_ECORRUPT); /* runs add up to 5 */
  rl[0] = 200;
  CHECK_EQ(lp__mb_values_decode(&rle, rb, rls, 2, 5, &b, NULL, &err), LP_ECORRUPT);
  enc_free(r.values);
  enc_free(r.run_lengths);
  /* byte-stream-split of 3 int32 */
  Lance__Encodings21__CompressiveEncoding bss = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__ByteStreamSplit bs = LANCE__ENCODINGS21__BYTE_STREAM_SPLIT__INIT;
  bs.values = flat(32);
  bss.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_BYTE_STREAM_SPLIT;
  bss.byte_stream_split = &bs;
  uint8_t streams[12] = {0x01, 0x02, 0x03, 0, 0, 0, 0, 0, 0, 0x10, 0x20, 0x30};
  const uint8_t *sb[1] = {streams};
  size_t sl[1] = {12};
  lp__leafbuf_clear(&b);
  CHECK_OK(lp__mb_values_decode(&bss, sb, sl, 1, 3, &b, NULL, &err), &err);
  CHECK_EQ(((uint32_t *)b.vals)[1], 0x20000002u);
  sl[0] = 11;
  CHECK_EQ(lp__mb_values_decode(&bss, sb, sl, 1, 3, &b, NULL, &err), LP_ECORRUPT);
  enc_free(bs.values);
  lp__leafbuf_reset(&b);
  /* booleans: 10 bits, appended after 3 existing ones */
  lp__leafbuf_init(&b, LP__V_FIXED, 1, 0);
  e = flat(1);
  uint8_t bits[2] = {0xA5, 0x03};
  const uint8_t *bb[1] = {bits};
  size_t bl[1] = {2};
  CHECK_OK(lp__mb_values_decode(e, bb, bl, 1, 3, &b, NULL, &err), &err);
  CHECK_OK(lp__mb_values_decode(e, bb, bl, 1, 10, &b, NULL, &err), &err);
  CHECK_EQ(b.n_values, 13);
  CHECK(lp__bit_get(b.vals, 0) && !lp__bit_get(b.vals, 1) && lp__bit_get(b.vals, 2));
  CHECK(lp__bit_get(b.vals, 3) && !lp__bit_get(b.vals, 4) && lp__bit_get(b.vals, 12) && lp__bit_get(b.vals, 11));
  enc_free(e);
  lp__leafbuf_reset(&b);
}

static void test_variable_and_fsl(void) {
  lp_error err;
  lp__leafbuf b;
  lp__leafbuf_init(&b, LP__V_VAR, 0, 0);
  Lance__Encodings21__CompressiveEncoding var = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__Variable v = LANCE__ENCODINGS21__VARIABLE__INIT;
  v.offsets = flat(32);
  var.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE;
  var.variable = &v;
  /* 3 values "ab", "", "xyz": offsets relative to the buffer start = 16 */
  uint8_t buf[24] = {16, 0, 0, 0, 18, 0, 0, 0, 18, 0, 0, 0, 21, 0, 0, 0, 'a', 'b', 'x', 'y', 'z', 0x48, 0x48, 0x48};
  const uint8_t *bufs[1] = {buf};
  size_t lens[1] = {24};
  CHECK_OK(lp__mb_values_decode(&var, bufs, lens, 1, 3, &b, NULL, &err), &err);
  CHECK_EQ(b.n_values, 3);
  CHECK_EQ(b.offs[3], 5);
  CHECK(memcmp(b.vals, "abxyz", 5) == 0);
  buf[12] = 30; /* offset beyond the buffer */
  CHECK_EQ(lp__mb_values_decode(&var, bufs, lens, 1, 3, &b, NULL, &err), LP_ECORRUPT);
  buf[12] = 21;
  buf[4] = 19; /* out of order */
  buf[8] = 18;
  CHECK_EQ(lp__mb_values_decode(&var, bufs, lens, 1, 3, &b, NULL, &err), LP_ECORRUPT);
  lens[0] = 10;
  CHECK_EQ(lp__mb_values_decode(&var, bufs, lens, 1, 3, &b, NULL, &err), LP_ECORRUPT);
  enc_free(v.offsets);
  lp__leafbuf_reset(&b);
  /* fixed-size list of 3 float32 with item validity, 2 rows */
  lp__leafbuf_init(&b, LP__V_FIXED, 96, 3);
  Lance__Encodings21__CompressiveEncoding fe = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__FixedSizeList fl = LANCE__ENCODINGS21__FIXED_SIZE_LIST__INIT;
  fl.items_per_value = 3;
  fl.has_validity = 1;
  fl.values = flat(32);
  fe.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST;
  fe.fixed_size_list = &fl;
  uint8_t valid[1] = {0x3B}; /* items 0,1,3,4,5 valid; 2 null */
  float items[6] = {1, 2, 0, 4, 5, 6};
  const uint8_t *fb[2] = {valid, (const uint8_t *)items};
  size_t fls[2] = {1, sizeof items};
  CHECK_OK(lp__mb_values_decode(&fe, fb, fls, 2, 2, &b, NULL, &err), &err);
  CHECK_EQ(b.n_values, 2);
  CHECK(b.item_valid != NULL);
  CHECK(!lp__bit_get(b.item_valid, 2) && lp__bit_get(b.item_valid, 3));
  CHECK(((float *)b.vals)[5] == 6.0f);
  fl.items_per_value = 4;
  CHECK_EQ(lp__mb_values_decode(&fe, fb, fls, 2, 2, &b, NULL, &err), LP_ECORRUPT);
  enc_free(fl.values);
  lp__leafbuf_reset(&b);
}

static void test_levels(void) {
  lp_error err;
  static uint64_t in[1024];
  static uint8_t packed[4096];
  uint16_t out[2100];
  /* out-of-line bit-packing (16 -> 2 bits): one full block plus a tail, padded and raw */
  Lance__Encodings21__CompressiveEncoding ool = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__OutOfLineBitpacking o = LANCE__ENCODINGS21__OUT_OF_LINE_BITPACKING__INIT;
  o.uncompressed_bits_per_value = 16;
  o.values = flat(2);
  ool.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_OUT_OF_LINE_BITPACKING;
  ool.out_of_line_bitpacking = &o;
  for (int i = 0; i < 1024; i++) in[i] = (uint64_t)(i % 3);
  ref_pack(in, 16, 2, packed);
  ref_pack(in, 16, 2, packed + 256); /* the tail of 100 levels, zero-padded to a block of 256 bytes */
  CHECK_OK(lp__block_levels_decode(&ool, packed, 512, 1124, out, &err), &err);
  CHECK_EQ(out[1023], 1023 % 3);
  CHECK_EQ(out[1024 + 99], 99 % 3);
  for (int i = 0; i < 5; i++) {
    uint16_t w = (uint16_t)(i + 1);
    memcpy(packed + 256 + 2 * i, &w, 2);
  }
  CHECK_OK(lp__block_levels_decode(&ool, packed, 256 + 10, 1029, out, &err), &err); /* raw tail of 5 */
  CHECK_EQ(out[1024], 1);
  CHECK_EQ(out[1028], 5);
  CHECK_EQ(lp__block_levels_decode(&ool, packed, 200, 1029, out, &err), LP_ECORRUPT);
  enc_free(o.values);
  /* inline bit-packing of 1000 levels, width 1 (130 bytes, as in the notes) */
  Lance__Encodings21__CompressiveEncoding ibp = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__INIT;
  Lance__Encodings21__InlineBitpacking ib = LANCE__ENCODINGS21__INLINE_BITPACKING__INIT;
  ib.uncompressed_bits_per_value = 16;
  ibp.compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING;
  ibp.inline_bitpacking = &ib;
  for (int i = 0; i < 1024; i++) in[i] = i < 1000 ? (uint64_t)(i % 7 == 0) : 0;
  uint16_t w1 = 1;
  memcpy(packed, &w1, 2);
  ref_pack(in, 16, 1, packed + 2);
  CHECK_OK(lp__block_levels_decode(&ibp, packed, 130, 1000, out, &err), &err);
  CHECK_EQ(out[0], 1);
  CHECK_EQ(out[1], 0);
  CHECK_EQ(out[994], 1);
  CHECK_EQ(lp__block_levels_decode(&ibp, packed, 129, 1000, out, &err), LP_ECORRUPT);
  w1 = 17;
  memcpy(packed, &w1, 2);
  CHECK_EQ(lp__block_levels_decode(&ibp, packed, 130, 1000, out, &err), LP_ECORRUPT);
}

int main(void) {
  RUN_TEST(test_bitunpack_all_widths);
  RUN_TEST(test_fsst);
  RUN_TEST(test_general);
  RUN_TEST(test_flat_rle_bss);
  RUN_TEST(test_variable_and_fsl);
  RUN_TEST(test_levels);
  return 0;
}
