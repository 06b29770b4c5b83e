/* The IVF index file readers of the indexed search (query/search_ivf.c) on files LanceDB 0.31.0 wrote (the
 * fuzz seeds tests/fuzz/corpus/ivf_files/: an 8-bit IVF_PQ delta of 32 dimensions and an IVF_FLAT cosine
 * delta of 16): both read; read as the other kind or with another dimension they are refused; every
 * truncation and a sweep of flipped bytes give an error code with a message or a successful read, never a
 * crash (this test also runs under ASan+UBSan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "lp_test.h"
#include "query/search_int.h"

typedef struct seed {
  uint8_t *bytes;
  size_t len;
  bool pq;
  uint32_t dim;
  size_t n1; /* index.idx length */
} seed;

static seed load(const char *name) {
  char path[4096];
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/fuzz/corpus/ivf_files/%s", src ? src : ".", name);
  seed s = {0};
  lp_error err = {0};
  CHECK_OK(lp__read_file(path, 1 << 24, &s.bytes, &s.len, &err), &err);
  CHECK_GT(s.len, 7);
  s.pq = s.bytes[0] & 1;
  s.dim = (uint32_t)s.bytes[1] | (uint32_t)s.bytes[2] << 8;
  s.n1 = (size_t)s.bytes[3] | (size_t)s.bytes[4] << 8 | (size_t)s.bytes[5] << 16 | (size_t)s.bytes[6] << 24;
  CHECK_LE(s.n1, s.len - 7);
  return s;
}

static lp_status parse(const seed *s, const uint8_t *b, size_t n1, size_t n2, bool pq, uint32_t dim, lp_error *err) {
  (void)s;
  return lp__ivf_parse_files(b, n1, b + n1, n2, pq, dim, err);
}

static void check_seed(const char *name, bool want_pq, uint32_t want_dim) {
  seed s = load(name);
  CHECK_EQ(s.pq, want_pq);
  CHECK_EQ(s.dim, want_dim);
  const uint8_t *b = s.bytes + 7;
  size_t n2 = s.len - 7 - s.n1;
  lp_error err = {0};
  CHECK_OK(parse(&s, b, s.n1, n2, s.pq, s.dim, &err), &err);
  /* the wrong kind or dimension is refused with a reason */
  CHECK_NE(parse(&s, b, s.n1, n2, !s.pq, s.dim, &err), LP_OK);
  CHECK(err.message[0] != '\0');
  CHECK_EQ(parse(&s, b, s.n1, n2, s.pq, s.dim * 2, &err), LP_ECORRUPT);
  /* truncations of either file: refused, never a crash */
  uint8_t *copy = malloc(s.len);
  for (size_t cut = 0; cut < s.n1; cut += 1 + cut / 8) {
    lp_status rc = parse(&s, b, cut, 0, s.pq, s.dim, &err);
    CHECK_NE(rc, LP_OK);
  }
  for (size_t cut = 0; cut < n2; cut += 1 + cut / 4) {
    memcpy(copy, b, s.n1 + cut);
    CHECK_NE(parse(&s, copy, s.n1, cut, s.pq, s.dim, &err), LP_OK);
  }
  /* flipped bytes through both files: any status, but a clean one */
  size_t step = (s.len - 7) / 3000 + 1;
  for (size_t i = 0; i < s.len - 7; i += step) {
    memcpy(copy, b, s.len - 7);
    copy[i] ^= 0x5A;
    lp_status rc = parse(&s, copy, s.n1, n2, s.pq, s.dim, &err);
    if (rc != LP_OK) CHECK(err.message[0] != '\0');
  }
  free(copy);
  free(s.bytes);
}

static void test_pq(void) { check_seed("lancedb-ivf-pq-32d", true, 32); }
static void test_flat(void) { check_seed("lancedb-ivf-flat-cosine-16d", false, 16); }

int main(void) {
  RUN_TEST(test_pq);
  RUN_TEST(test_flat);
  return 0;
}
