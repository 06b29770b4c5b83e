/* Top-k heap: order with ties and NaN, k > n, k = 1, batch pushes with a selection, merging, and a
 * randomised comparison with a full sort. */
#include <math.h>

#include "query/topk.h"
#include "lp_test.h"

static int cmp_items(const void *a, const void *b) {
  const lp__topk_item *x = a, *y = b;
  return lp__topk_less(*x, *y) ? -1 : lp__topk_less(*y, *x) ? 1 : 0;
}

static void test_ties_and_nan(void) {
  lp__topk h;
  lp_error err = {0};
  CHECK_OK(lp__topk_init(&h, 4, &err), &err);
  float d[] = {NAN, 1, 2, 1, 0.5f, 1, NAN, -0.0f, 0.0f};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) lp__topk_push(&h, d[i], 100 - i);
  lp__topk_item out[4];
  CHECK_EQ(lp__topk_sorted(&h, out), 4);
  /* -0.0 (pos 93) and 0.0 (pos 92) are equal: the smaller position first. Then 0.5 (96), then the ties
   * at 1 (positions 99, 97, 95): 95 wins. */
  CHECK_EQ(out[0].pos, 92);
  CHECK_EQ(out[1].pos, 93);
  CHECK_EQ(out[2].pos, 96);
  CHECK_EQ(out[3].pos, 95);
  CHECK(out[3].dist == 1);
  /* NaN sorts last but is kept while there is room. */
  lp__topk_clear(&h);
  lp__topk_push(&h, NAN, 1);
  lp__topk_push(&h, 5, 2);
  lp__topk_push(&h, NAN, 0);
  CHECK_EQ(lp__topk_sorted(&h, out), 3);
  CHECK_EQ(out[0].pos, 2);
  CHECK(isnan(out[1].dist) && out[1].pos == 0);
  CHECK(isnan(out[2].dist) && out[2].pos == 1);
  lp__topk_reset(&h);
  lp__topk_reset(&h); /* twice is fine */
  CHECK_EQ(lp__topk_init(&h, 0, &err), LP_EINVAL);
  CHECK_STR_EQ(err.message, "top-k: k must be at least 1");
}

static void test_k_bounds(void) {
  lp__topk h;
  lp_error err = {0};
  CHECK_OK(lp__topk_init(&h, 10, &err), &err);
  float d[3] = {3, 1, 2};
  lp__topk_push_batch(&h, d, 3, 50, NULL);
  lp__topk_item out[10];
  CHECK_EQ(lp__topk_sorted(&h, out), 3); /* k > n */
  CHECK_EQ(out[0].pos, 51);
  CHECK_EQ(out[1].pos, 52);
  CHECK_EQ(out[2].pos, 50);
  lp__topk_reset(&h);
  CHECK_OK(lp__topk_init(&h, 1, &err), &err);
  float e[6] = {4, 2, 2, 7, NAN, 2};
  lp__topk_push_batch(&h, e, 6, 0, NULL);
  CHECK_EQ(lp__topk_sorted(&h, out), 1);
  CHECK_EQ(out[0].pos, 1);
  CHECK(out[0].dist == 2);
  /* A later batch with an equal distance at a smaller position (e.g. another fragment) wins. */
  float f[1] = {2};
  lp__topk_push_batch(&h, f, 1, 0, NULL);
  lp__topk_sorted(&h, out);
  CHECK_EQ(out[0].pos, 0);
  /* Selection bitmap: only rows 3 and 5 offered. */
  lp__topk_clear(&h);
  uint8_t sel[1] = {0x28};
  lp__topk_push_batch(&h, e, 6, 10, sel);
  lp__topk_sorted(&h, out);
  CHECK_EQ(out[0].pos, 15);
  lp__topk_reset(&h);
}

static uint64_t rng = 12345;
static uint32_t rnd(void) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng >> 33);
}

static void test_random_and_merge(void) {
  enum { N = 20000, THREADS = 4 };
  lp__topk_item *all = malloc(N * sizeof *all), *got = malloc(N * sizeof *got);
  float *d = malloc(N * sizeof *d);
  size_t ks[] = {1, 2, 10, 100, 1000, N, N + 5};
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
    size_t k = ks[ki];
    for (int i = 0; i < N; i++) {
      uint32_t r = rnd();
      d[i] = r % 97 == 0 ? NAN : (float)(r % 500); /* many ties */
      all[i] = (lp__topk_item){d[i], (uint64_t)i};
    }
    qsort(all, N, sizeof *all, cmp_items);
    lp_error err = {0};
    /* One heap over everything. */
    lp__topk one;
    CHECK_OK(lp__topk_init(&one, k, &err), &err);
    lp__topk_push_batch(&one, d, N, 0, NULL);
    size_t want = k < N ? k : N;
    CHECK_EQ(lp__topk_sorted(&one, got), want);
    for (size_t i = 0; i < want; i++)
      if (got[i].pos != all[i].pos) LP_FAIL("k %zu item %zu: pos %llu want %llu", k, i, (unsigned long long)got[i].pos,
                                            (unsigned long long)all[i].pos);
    /* Per-"thread" heaps over interleaved slices, merged. */
    lp__topk parts[THREADS], merged;
    CHECK_OK(lp__topk_init(&merged, k, &err), &err);
    for (int t = 0; t < THREADS; t++) {
      CHECK_OK(lp__topk_init(&parts[t], k, &err), &err);
      for (int s = t; s * 1000 < N; s += THREADS) {
        int n = N - s * 1000 < 1000 ? N - s * 1000 : 1000;
        lp__topk_push_batch(&parts[t], d + s * 1000, (size_t)n, (uint64_t)s * 1000, NULL);
      }
    }
    for (int t = THREADS - 1; t >= 0; t--) lp__topk_merge(&merged, &parts[t]);
    CHECK_EQ(lp__topk_sorted(&merged, got), want);
    for (size_t i = 0; i < want; i++) CHECK_EQ(got[i].pos, all[i].pos);
    for (int t = 0; t < THREADS; t++) lp__topk_reset(&parts[t]);
    lp__topk_reset(&merged);
    lp__topk_reset(&one);
  }
  free(all);
  free(got);
  free(d);
}

int main(void) {
  RUN_TEST(test_ties_and_nan);
  RUN_TEST(test_k_bounds);
  RUN_TEST(test_random_and_merge);
  return 0;
}
