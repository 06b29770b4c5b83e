/* pool_bench: acquire+release cycles per second and acquire latency of the lancepool pool, side by side with
 * APR's apr_reslist on the same scenarios (threads x connections):
 *   1x1, 2x2, 8x8   each thread acquires and releases at once
 *   8x4hold         8 threads share 4 connections and hold each for about 1 us of work, so callers wait
 * Per scenario: throughput runs with no timing on the hot path, interleaved between the two implementations
 * (see measure_pair), then a latency run per implementation that times every acquire. Not a test: it prints
 * figures and, per scenario, one line per target of issue 2 saying whether this run met it (on stderr with
 * --csv, whose stdout format is fixed).
 *
 * usage: pool_bench [--seconds S] [--csv] [--only SCENARIO] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lancepool/pool.h"

#if LP_HAVE_APR
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_reslist.h>
#endif

#define MAX_THREADS 8
#define OPS_PER_STOP_CHECK 256
#define HOLD_NS 1000
#define HIST_SUB 16
#define HIST_BUCKETS (64 * HIST_SUB)

typedef struct {
  const char *name;
  int threads, conns;
  bool has_hold;
} scenario;

static const scenario scenarios[] = {
    {"1x1", 1, 1, false},
    {"2x2", 2, 2, false},
    {"8x8", 8, 8, false},
    {"8x4hold", 8, 4, true},
};

/* One implementation under test, behind function pointers (the same indirection for both). */
typedef struct impl {
  const char *name;
  void *(*open)(int conns);
  void (*close)(void *h);
  void *(*acquire)(void *h);
  void (*release)(void *h, void *conn);
} impl;

/* ---- lancepool ---- */

static lp_status lp_conn_create(void *ctx, void **out, lp_error *err) {
  (void)ctx;
  *out = malloc(64);
  return *out != NULL ? LP_OK : lp_error_set(err, LP_ENOMEM, "bench: out of memory");
}

static void lp_conn_destroy(void *ctx, void *conn) {
  (void)ctx;
  free(conn);
}

static void *lp_open(int conns) {
  lp_pool_config cfg;
  lp_pool_config_init(&cfg);
  cfg.name = "bench";
  cfg.max_connections = conns;
  cfg.min_connections = conns;
  lp_pool_factory f = {.create = lp_conn_create, .destroy = lp_conn_destroy};
  lp_pool *pool = NULL;
  lp_error err;
  if (lp_pool_create(&cfg, &f, &pool, &err) != LP_OK) {
    fprintf(stderr, "pool_bench: %s\n", err.message);
    exit(1);
  }
  return pool;
}

static void lp_close(void *h) {
  lp_pool_destroy(h);
}

static void *lp_acq(void *h) {
  void *conn = NULL;
  lp_error err;
  if (lp_pool_acquire(h, &conn, &err) != LP_OK) {
    fprintf(stderr, "pool_bench: acquire: %s\n", err.message);
    exit(1);
  }
  return conn;
}

static void lp_rel(void *h, void *conn) {
  lp_pool_release(h, conn);
}

static const impl lancepool_impl = {"lancepool", lp_open, lp_close, lp_acq, lp_rel};

/* ---- apr_reslist ---- */
#if LP_HAVE_APR
typedef struct {
  apr_pool_t *pool;
  apr_reslist_t *list;
} apr_handle;

static apr_status_t apr_conn_create(void **res, void *params, apr_pool_t *pool) {
  (void)params;
  *res = apr_palloc(pool, 64);
  return APR_SUCCESS;
}

static apr_status_t apr_conn_destroy(void *res, void *params, apr_pool_t *pool) {
  (void)res;
  (void)params;
  (void)pool;
  return APR_SUCCESS;
}

static void *apr_open(int conns) {
  apr_handle *h = calloc(1, sizeof *h);
  if (h == NULL || apr_pool_create(&h->pool, NULL) != APR_SUCCESS ||
      apr_reslist_create(&h->list, conns, conns, conns, 0, apr_conn_create, apr_conn_destroy, NULL,
                         h->pool) != APR_SUCCESS) {
    fprintf(stderr, "pool_bench: apr_reslist_create failed\n");
    exit(1);
  }
  return h;
}

static void apr_close(void *hv) {
  apr_handle *h = hv;
  apr_reslist_destroy(h->list);
  apr_pool_destroy(h->pool);
  free(h);
}

static void *apr_acq(void *hv) {
  apr_handle *h = hv;
  void *res = NULL;
  if (apr_reslist_acquire(h->list, &res) != APR_SUCCESS) {
    fprintf(stderr, "pool_bench: apr_reslist_acquire failed\n");
    exit(1);
  }
  return res;
}

static void apr_rel(void *hv, void *res) {
  apr_handle *h = hv;
  apr_reslist_release(h->list, res);
}

static const impl apr_impl = {"apr_reslist", apr_open, apr_close, apr_acq, apr_rel};
#endif

/* ---- measurement ---- */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Log-linear latency histogram (16 buckets per power of two), one per thread, merged after the run. */
typedef struct {
  uint64_t count, max;
  uint64_t b[HIST_BUCKETS];
} hist;

static int bucket_of(uint64_t v) {
  if (v < HIST_SUB) return (int)v;
  int top = 63 - __builtin_clzll(v);
  return (top - 3) * HIST_SUB + (int)((v >> (top - 4)) & (HIST_SUB - 1));
}

static uint64_t bucket_high(int b) {
  if (b < HIST_SUB) return (uint64_t)b;
  int top = b / HIST_SUB + 3;
  uint64_t low = ((uint64_t)HIST_SUB + (uint64_t)(b % HIST_SUB)) << (top - 4);
  return low + ((uint64_t)1 << (top - 4)) - 1;
}

static uint64_t percentile(const hist *h, double q) {
  uint64_t rank = (uint64_t)(q * (double)h->count + 0.5), seen = 0;
  if (rank < 1) rank = 1;
  for (int b = 0; b < HIST_BUCKETS; b++) {
    seen += h->b[b];
    if (seen >= rank) return bucket_high(b) < h->max ? bucket_high(b) : h->max;
  }
  return h->max;
}

static uint64_t spin_per_us; /* iterations of spin() that take about 1 us */

static void spin(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) __asm__ volatile("" ::: "memory");
}

static int64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Against this thread's CPU time, best of five: on a shared machine the wall clock also counts the time
 * other processes held the CPU, which would make the "1 us" of work shorter than 1 us. */
static void calibrate_spin(void) {
  uint64_t n = 1000000;
  int64_t best = INT64_MAX;
  for (int i = 0; i < 5; i++) {
    int64_t t0 = thread_cpu_ns();
    spin(n);
    int64_t dt = thread_cpu_ns() - t0;
    if (dt > 0 && dt < best) best = dt;
  }
  spin_per_us = best < INT64_MAX ? n * HOLD_NS / (uint64_t)best : 1000;
  if (spin_per_us == 0) spin_per_us = 1;
}

typedef struct {
  const impl *im;
  void *h;
  const scenario *sc;
  bool is_timed;
  _Atomic bool *stop;
  _Atomic int *ready;
  uint64_t ops;
  int64_t cpu_ns; /* the thread's CPU time during the run */
  hist lat;
} worker;

static void run_cycles(worker *w) {
  const impl *im = w->im;
  uint64_t hold = w->sc->has_hold ? spin_per_us : 0;
  while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
    for (int k = 0; k < OPS_PER_STOP_CHECK; k++) {
      int64_t t0 = w->is_timed ? now_ns() : 0;
      void *c = im->acquire(w->h);
      if (w->is_timed) {
        uint64_t dt = (uint64_t)(now_ns() - t0);
        w->lat.b[bucket_of(dt)]++;
        w->lat.count++;
        if (dt > w->lat.max) w->lat.max = dt;
      }
      if (hold != 0) spin(hold);
      im->release(w->h, c);
    }
    w->ops += OPS_PER_STOP_CHECK;
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  atomic_fetch_add(w->ready, 1);
  int64_t cpu0 = thread_cpu_ns();
  run_cycles(w);
  w->cpu_ns = thread_cpu_ns() - cpu0;
  return NULL;
}

typedef struct {
  double ops_per_sec;
  double cpu_ns_per_op; /* CPU time the threads used per cycle, over the throughput runs */
  uint64_t p50, p99, max;
  lp_pool_stats pool_stats; /* lancepool only: its own wait figures */
} result;

/* Run sc's threads for `seconds`; return ops/s, and fill lat when timed. */
static double run_phase(const impl *im, void *h, const scenario *sc, bool is_timed, double seconds, hist *lat,
                        uint64_t *io_ops, int64_t *io_cpu_ns) {
  static worker ws[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  _Atomic bool stop = false;
  _Atomic int ready = 0;
  for (int i = 0; i < sc->threads; i++) {
    memset(&ws[i], 0, sizeof ws[i]);
    ws[i] = (worker){.im = im, .h = h, .sc = sc, .is_timed = is_timed, .stop = &stop, .ready = &ready};
    pthread_create(&tids[i], NULL, worker_main, &ws[i]);
  }
  while (atomic_load(&ready) < sc->threads) sched_yield();
  int64_t t0 = now_ns();
  struct timespec pause = {.tv_sec = (time_t)seconds,
                           .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
  atomic_store(&stop, true);
  uint64_t ops = 0;
  for (int i = 0; i < sc->threads; i++) {
    pthread_join(tids[i], NULL);
    ops += ws[i].ops;
    if (io_cpu_ns != NULL) *io_cpu_ns += ws[i].cpu_ns;
    if (lat == NULL) continue;
    for (int b = 0; b < HIST_BUCKETS; b++) lat->b[b] += ws[i].lat.b[b];
    lat->count += ws[i].lat.count;
    if (ws[i].lat.max > lat->max) lat->max = ws[i].lat.max;
  }
  if (io_ops != NULL) *io_ops += ops;
  return (double)ops / ((double)(now_ns() - t0) / 1e9);
}

/* Throughput of both implementations, interleaved: ROUNDS short runs each, alternating, so that a change in
 * the machine's load (other processes share the CPUs) falls on both alike; the median round counts. Then
 * one latency run each. Both pools stay open across their rounds, the threads are new each run and
 * unpinned, and the same worker code drives both through the same function pointers. */
#define ROUNDS 5

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void measure_pair(const impl *const *ims, int n_impls, const scenario *sc, double seconds,
                         result *out) {
  void *hs[2];
  double tput[2][ROUNDS];
  uint64_t ops[2] = {0, 0};
  int64_t cpu_ns[2] = {0, 0};
  for (int k = 0; k < n_impls; k++) {
    memset(&out[k], 0, sizeof out[k]);
    hs[k] = ims[k]->open(sc->conns);
  }
  for (int r = 0; r < ROUNDS; r++) {
    for (int k = 0; k < n_impls; k++) {
      int kk = r % 2 == 0 ? k : n_impls - 1 - k; /* alternate who goes first */
      tput[kk][r] = run_phase(ims[kk], hs[kk], sc, false, seconds / ROUNDS, NULL, &ops[kk], &cpu_ns[kk]);
    }
  }
  static hist lat;
  for (int k = 0; k < n_impls; k++) {
    qsort(tput[k], ROUNDS, sizeof tput[k][0], cmp_double);
    out[k].ops_per_sec = tput[k][ROUNDS / 2];
    out[k].cpu_ns_per_op = ops[k] > 0 ? (double)cpu_ns[k] / (double)ops[k] : 0;
    memset(&lat, 0, sizeof lat);
    run_phase(ims[k], hs[k], sc, true, seconds / 2, &lat, NULL, NULL);
    out[k].p50 = percentile(&lat, 0.50);
    out[k].p99 = percentile(&lat, 0.99);
    out[k].max = lat.max;
    if (ims[k] == &lancepool_impl) lp_pool_stats_get(hs[k], &out[k].pool_stats);
    ims[k]->close(hs[k]);
  }
}

/* ---- output ---- */

static void print_csv_row(const scenario *sc, const char *impl_name, const result *r) {
  printf("%s,%d,%d,%s,%.0f,%llu,%llu,%llu\n", sc->name, sc->threads, sc->conns, impl_name, r->ops_per_sec,
         (unsigned long long)r->p50, (unsigned long long)r->p99, (unsigned long long)r->max);
}

static void print_row(const scenario *sc, const char *impl_name, const result *r, double ratio) {
  printf("%-8s %7d %5d  %-11s %9.2f M/s %7.1f %8llu %8llu %11llu", sc->name, sc->threads, sc->conns,
         impl_name, r->ops_per_sec / 1e6, r->cpu_ns_per_op, (unsigned long long)r->p50,
         (unsigned long long)r->p99, (unsigned long long)r->max);
  if (ratio > 0) printf("   %5.2fx", ratio);
  putchar('\n');
}

/* The targets, judged on this run's figures: >= apr on 1x1 and 8x4hold, >= 3.5x apr on 2x2 and
 * 8x8; in 8x4hold, no starved waiter (the pool's max wait under 20x its median wait). One line per target,
 * to `f` (stderr in CSV mode, so the CSV stays as specified). */
static void print_verdict(FILE *f, const scenario *sc, const result *ours, double ratio) {
  double need = sc->threads == sc->conns && sc->threads > 1 ? 3.5 : 1.0;
  if (ratio > 0) {
    fprintf(f, "%-8s target: throughput >= %.1fx apr_reslist: %s (%.2fx)\n", sc->name, need,
            ratio >= need ? "met" : "NOT met", ratio);
  } else {
    fprintf(f, "%-8s target: throughput >= %.1fx apr_reslist: not judged (apr_reslist not built)\n", sc->name,
            need);
  }
  if (!sc->has_hold) return;
  const lp_pool_stats *s = &ours->pool_stats;
  fprintf(f, "%-8s lancepool waits: %llu acquires waited; wait p50 %llu ns, p99 %llu ns, max %llu ns\n",
          sc->name, (unsigned long long)s->wait_count, (unsigned long long)s->wait_p50_ns,
          (unsigned long long)s->wait_p99_ns, (unsigned long long)s->wait_max_ns);
  if (s->wait_count > 0 && s->wait_p50_ns > 0) {
    double spread = (double)s->wait_max_ns / (double)s->wait_p50_ns;
    fprintf(f, "%-8s target: no starved waiter (max wait < 20x median wait): %s (%.1fx)\n", sc->name,
            spread < 20 ? "met" : "NOT met", spread);
  } else {
    fprintf(f, "%-8s target: no starved waiter (max wait < 20x median wait): met (no acquire waited)\n",
            sc->name);
  }
}

/* /proc/loadavg as it reads (ends in a newline), for the header: figures from a loaded machine differ. */
static const char *load_average(void) {
  static char text[128] = "unknown\n";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f == NULL) return text;
  if (fgets(text, sizeof text, f) == NULL) snprintf(text, sizeof text, "unknown\n");
  fclose(f);
  return text;
}

static void usage(void) {
  fprintf(stderr, "usage: pool_bench [--seconds S] [--csv] [--only 1x1|2x2|8x8|8x4hold]\n");
  exit(2);
}

int main(int argc, char **argv) {
  double seconds = 1.0;
  bool is_csv = false;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--csv") == 0) {
      is_csv = true;
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = atof(argv[++i]);
      if (seconds <= 0 || seconds > 600) usage();
    } else {
      usage();
    }
  }
#if LP_HAVE_APR
  apr_initialize();
#endif
  calibrate_spin();
  if (is_csv) {
    puts("scenario,threads,connections,impl,ops_per_sec,p50_ns,p99_ns,max_wait_ns");
  } else {
    printf(
        "pool_bench: %ld CPUs, %d interleaved throughput runs of %.2f s + one %.2f s latency run per "
        "scenario "
        "and implementation\n",
        sysconf(_SC_NPROCESSORS_ONLN), ROUNDS, seconds / ROUNDS, seconds / 2);
    printf("load average %s", load_average());
    printf("%-8s %7s %5s  %-11s %13s %7s %8s %8s %11s   %s\n", "scenario", "threads", "conns", "impl",
           "throughput", "CPU ns", "p50 ns", "p99 ns", "max ns", "vs apr");
  }
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
    const scenario *sc = &scenarios[i];
    if (only != NULL && strcmp(only, sc->name) != 0) continue;
    const impl *ims[2] = {&lancepool_impl, NULL};
    int n_impls = 1;
#if LP_HAVE_APR
    ims[n_impls++] = &apr_impl;
#endif
    result rs[2];
    measure_pair(ims, n_impls, sc, seconds, rs);
    const result *ours = &rs[0];
    double ratio = n_impls > 1 ? ours->ops_per_sec / rs[1].ops_per_sec : 0;
    if (is_csv) {
      for (int k = 0; k < n_impls; k++) print_csv_row(sc, ims[k]->name, &rs[k]);
      fflush(stdout);
      print_verdict(stderr, sc, ours, ratio);
      continue;
    }
    print_row(sc, "lancepool", ours, ratio);
    if (n_impls > 1) print_row(sc, "apr_reslist", &rs[1], 0);
    print_verdict(stdout, sc, ours, ratio);
  }
#if LP_HAVE_APR
  apr_terminate();
#else
  if (!is_csv) puts("(apr_reslist not built: install libaprutil1-dev and reconfigure to compare)");
#endif
  return 0;
}
