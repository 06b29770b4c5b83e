/* Distance kernel benchmark: this machine's memory-bandwidth bound (a plain streaming read of 512 MB of
 * float32, summed with AVX2, 1 and 2 threads) against the throughput of every kernel variant over
 * 100,000 float32 vectors of 384 and 1536 dimensions, with and without top-10 selection, 1 and 2
 * threads. Reports GB/s of vector data read and the fraction of the bound. Not a test. */
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/distance.h"
#include "query/topk.h"

#define BW_BYTES (512ull << 20)
#define N_ROWS 100000
#define REPS 3
#define CHUNK 1024 /* rows per distance call when feeding top-k */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((target("avx2"))) static float sum_avx2(const float *p, size_t n) {
  __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = _mm256_add_ps(a, _mm256_loadu_ps(p + i));
    b = _mm256_add_ps(b, _mm256_loadu_ps(p + i + 8));
    c = _mm256_add_ps(c, _mm256_loadu_ps(p + i + 16));
    d = _mm256_add_ps(d, _mm256_loadu_ps(p + i + 24));
  }
  float t[8];
  _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
  float s = 0;
  for (int k = 0; k < 8; k++) s += t[k];
  for (; i < n; i++) s += p[i];
  return s;
}

typedef struct job {
  /* bandwidth */
  const float *buf;
  size_t n;
  float sink;
  /* kernels */
  const lp__dist_kernels *k;
  int kind;
  const float *q, *rows;
  size_t n_rows, dim;
  uint64_t first;
  float *out;
  lp__topk *topk;
} job;

static void *bw_thread(void *arg) {
  job *j = arg;
  j->sink = sum_avx2(j->buf, j->n);
  return NULL;
}

static void *dist_thread(void *arg) {
  job *j = arg;
  if (j->topk == NULL) {
    j->k->f32[j->kind](j->q, j->rows, j->n_rows, j->dim, j->out);
    return NULL;
  }
  for (size_t s = 0; s < j->n_rows; s += CHUNK) {
    size_t m = j->n_rows - s < CHUNK ? j->n_rows - s : CHUNK;
    j->k->f32[j->kind](j->q, j->rows + s * j->dim, m, j->dim, j->out);
    lp__topk_push_batch(j->topk, j->out, m, j->first + s, NULL);
  }
  return NULL;
}

/* Best time of REPS runs of fn over the data split between n_threads. */
static double run_split(void *(*fn)(void *), job *tmpl, int n_threads, size_t total, size_t unit) {
  double best = 1e30;
  for (int r = 0; r < REPS; r++) {
    job jobs[2];
    pthread_t th[2];
    double t0 = now();
    for (int t = 0; t < n_threads; t++) {
      jobs[t] = *tmpl;
      size_t lo = total * (size_t)t / (size_t)n_threads, hi = total * (size_t)(t + 1) / (size_t)n_threads;
      if (fn == bw_thread) {
        jobs[t].buf = tmpl->buf + lo;
        jobs[t].n = hi - lo;
      } else {
        jobs[t].rows = tmpl->rows + lo * unit;
        jobs[t].n_rows = hi - lo;
        jobs[t].first = lo;
        jobs[t].out = tmpl->out + (tmpl->topk ? (size_t)t * CHUNK : lo);
        if (tmpl->topk) {
          jobs[t].topk = &tmpl->topk[t];
          lp__topk_clear(jobs[t].topk);
        }
      }
      pthread_create(&th[t], NULL, fn, &jobs[t]);
    }
    for (int t = 0; t < n_threads; t++) pthread_join(th[t], NULL);
    if (tmpl->topk && n_threads == 2) lp__topk_merge(&tmpl->topk[0], &tmpl->topk[1]);
    double el = now() - t0;
    if (el < best) best = el;
  }
  return best;
}

int main(void) {
  if (!__builtin_cpu_supports("avx2")) {
    fprintf(stderr, "distance_bench: needs AVX2 for the bandwidth probe\n");
    return 1;
  }
  size_t nf = BW_BYTES / sizeof(float);
  float *buf = malloc(BW_BYTES);
  if (buf == NULL) return 1;
  for (size_t i = 0; i < nf; i++) buf[i] = (float)(i & 1023) * 1e-3f;
  double bound[3] = {0};
  for (int th = 1; th <= 2; th++) {
    job j = {.buf = buf, .n = nf};
    double t = run_split(bw_thread, &j, th, nf, 1);
    bound[th] = BW_BYTES / t / 1e9;
    printf("memory bound, %d thread%s: %.2f GB/s (streaming read of %llu MB, AVX2 sum)\n", th, th > 1 ? "s" : "",
           bound[th], BW_BYTES >> 20);
  }
  free(buf);

  static const char *kinds[3] = {"l2", "cosine", "dot"};
  size_t dims[2] = {384, 1536};
  printf("\nGB/s of vector data; 'bound' = streaming read of the same buffer measured just before\n");
  printf("%-7s %-6s %5s %7s | %5s %5s %5s | %8s %5s | %5s %5s %5s | %8s %5s\n", "variant", "kind", "dim", "rows",
         "bound", "1t", "frac", "1t+top10", "frac", "bound", "2t", "frac", "2t+top10", "frac");
  for (size_t di = 0; di < 2; di++) {
    size_t dim = dims[di];
    float *rows = malloc((size_t)N_ROWS * dim * sizeof *rows), *q = malloc(dim * sizeof *q);
    float *out = malloc((size_t)N_ROWS * sizeof *out);
    uint64_t s = 88172645463325252ULL;
    for (size_t i = 0; i < (size_t)N_ROWS * dim; i++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      rows[i] = (float)(s >> 40) / 16777216.0f - 0.5f;
    }
    for (size_t i = 0; i < dim; i++) q[i] = rows[i] * 0.5f;
    double bytes = (double)N_ROWS * (double)dim * sizeof(float);
    lp__topk heaps[2];
    if (lp__topk_init(&heaps[0], 10, NULL) != LP_OK || lp__topk_init(&heaps[1], 10, NULL) != LP_OK) return 1;
    for (int lvl = 0; lvl < LP__SIMD_COUNT; lvl++) {
      const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)lvl);
      if (k == NULL) continue;
      for (int kind = 0; kind < 3; kind++) {
        /* The machine is shared: re-measure the bound on this very buffer right before each kernel, so
         * the fraction compares like with like. */
        double gbs[4], bnd[3];
        for (int th = 1; th <= 2; th++) {
          job bj = {.buf = rows, .n = (size_t)N_ROWS * dim};
          bnd[th] = bytes / run_split(bw_thread, &bj, th, (size_t)N_ROWS * dim, 1) / 1e9;
        }
        for (int mode = 0; mode < 4; mode++) {
          int th = mode < 2 ? 1 : 2;
          bool with_topk = mode & 1;
          job j = {.k = k, .kind = kind, .q = q, .rows = rows, .dim = dim, .out = out,
                   .topk = with_topk ? heaps : NULL};
          double t = run_split(dist_thread, &j, th, N_ROWS, dim);
          gbs[mode] = bytes / t / 1e9;
        }
        printf("%-7s %-6s %5zu %7d | %5.2f %5.2f %4.0f%% | %8.2f %4.0f%% | %5.2f %5.2f %4.0f%% | %8.2f %4.0f%%\n",
               k->name, kinds[kind], dim, N_ROWS, bnd[1], gbs[0], 100 * gbs[0] / bnd[1], gbs[1],
               100 * gbs[1] / bnd[1], bnd[2], gbs[2], 100 * gbs[2] / bnd[2], gbs[3], 100 * gbs[3] / bnd[2]);
      }
    }
    lp__topk_item best[10];
    size_t nb = lp__topk_sorted(&heaps[0], best);
    printf("(top-10 check: %zu items, nearest row %llu at %.4f)\n", nb, nb ? (unsigned long long)best[0].pos : 0ULL,
           nb ? best[0].dist : 0.0f);
    lp__topk_reset(&heaps[0]);
    lp__topk_reset(&heaps[1]);
    free(rows);
    free(q);
    free(out);
  }
  return 0;
}
