/* Measurement threads: each loops over the operation until the deadline and keeps its own latency
 * array, so the hot path shares nothing but one "stop" flag and one operation counter. */
#include "cli/bench_run.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_TICK_MS 200

typedef struct {
  lp_bench_op op;
  void *ctx;
  unsigned worker;
  double deadline_us;
  atomic_bool *stop;
  atomic_ulong *n_ops;
  double *lat_us; /* owned; grows */
  size_t n_lat, cap_lat;
  unsigned long failed;
  lp_status rc; /* the first failure */
  lp_error err;
} worker_state;

double lp__bench_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void lp__bench_progress(const char *fmt, ...) {
  if (!isatty(STDERR_FILENO)) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("\r\033[K", stderr);
  vfprintf(stderr, fmt, ap);
  fflush(stderr);
  va_end(ap);
}

void lp__bench_progress_clear(void) {
  if (!isatty(STDERR_FILENO)) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
}

static void *worker_main(void *arg) {
  worker_state *w = arg;
  lp_bench_rng rng;
  lp__bench_rng_seed(&rng, 0xbe7c0000u + w->worker * 7919u);
  while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
    double t0 = lp__bench_now_us();
    if (t0 >= w->deadline_us) break;
    lp_error e;
    lp_status rc = w->op(w->ctx, w->worker, &rng, &e);
    double t1 = lp__bench_now_us();
    if (rc != LP_OK) {
      if (w->failed++ == 0) {
        w->rc = rc;
        w->err = e;
      }
      /* The workload itself is wrong, or has used up what it works on (the delete workload's rows): stop
         the measurement there; its rate counts the time until then. */
      if (rc == LP_EINVAL || rc == LP_ENOMEM || rc == LP_ENOTFOUND) {
        atomic_store(w->stop, true);
        break;
      }
      continue;
    }
    if (w->n_lat == w->cap_lat) {
      size_t cap = w->cap_lat ? w->cap_lat * 2 : 1024;
      double *grown = realloc(w->lat_us, cap * sizeof *grown);
      if (grown == NULL) {
        w->rc = lp_error_set(&w->err, LP_ENOMEM, "bench: out of memory for latencies");
        atomic_store(w->stop, true);
        break;
      }
      w->lat_us = grown;
      w->cap_lat = cap;
    }
    w->lat_us[w->n_lat++] = t1 - t0;
    atomic_fetch_add_explicit(w->n_ops, 1, memory_order_relaxed);
  }
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p) {
  if (n == 0) return 0;
  double rank = p / 100.0 * (double)n;
  size_t k = (size_t)rank;
  if ((double)k < rank) k++;
  if (k > 0) k--;
  if (k >= n) k = n - 1;
  return sorted[k];
}

/* Merge every worker's latencies and compute the result. */
static lp_status summarise(worker_state *ws, unsigned threads, double elapsed_us, lp_bench_result *out,
                           lp_error *err) {
  size_t total = 0;
  for (unsigned i = 0; i < threads; i++) total += ws[i].n_lat;
  double *all = malloc((total ? total : 1) * sizeof *all);
  if (all == NULL) return lp_error_set(err, LP_ENOMEM, "bench: out of memory merging latencies");
  size_t k = 0;
  for (unsigned i = 0; i < threads; i++) {
    memcpy(all + k, ws[i].lat_us, ws[i].n_lat * sizeof *all);
    k += ws[i].n_lat;
  }
  qsort(all, total, sizeof *all, cmp_double);
  out->threads = threads;
  out->ops_per_sec = elapsed_us > 0 ? (double)total / (elapsed_us / 1e6) : 0;
  out->ops = (unsigned long)total;
  out->p50_us = percentile(all, total, 50);
  out->p99_us = percentile(all, total, 99);
  free(all);
  return LP_OK;
}

lp_status lp__bench_measure(lp_bench_op op, void *ctx, unsigned threads, double seconds, const char *label,
                            lp_bench_result *out, lp_error *err) {
  if (threads == 0 || !(seconds > 0)) return lp_error_set(err, LP_EINVAL, "bench: need threads > 0 and seconds > 0");
  worker_state *ws = calloc(threads, sizeof *ws);
  pthread_t *tids = calloc(threads, sizeof *tids);
  if (ws == NULL || tids == NULL) {
    free(ws);
    free(tids);
    return lp_error_set(err, LP_ENOMEM, "bench: out of memory for %u threads", threads);
  }
  atomic_bool stop = false;
  atomic_ulong n_ops = 0;
  double start = lp__bench_now_us();
  unsigned started = 0;
  lp_status rc = LP_OK;
  for (unsigned i = 0; i < threads; i++) {
    ws[i] = (worker_state){.op = op, .ctx = ctx, .worker = i, .deadline_us = start + seconds * 1e6,
                           .stop = &stop, .n_ops = &n_ops};
    int e = pthread_create(&tids[i], NULL, worker_main, &ws[i]);
    if (e != 0) {
      rc = lp_error_set_errno(err, LP_EIO, e, "bench: cannot start thread %u", i);
      atomic_store(&stop, true);
      break;
    }
    started++;
  }
  while (rc == LP_OK && !atomic_load(&stop) && lp__bench_now_us() < start + seconds * 1e6) {
    lp__bench_progress("%s: %lu ops", label, (unsigned long)atomic_load(&n_ops));
    struct timespec ts = {0, PROGRESS_TICK_MS * 1000000L};
    nanosleep(&ts, NULL);
  }
  for (unsigned i = 0; i < started; i++) pthread_join(tids[i], NULL);
  double elapsed = lp__bench_now_us() - start;
  lp__bench_progress_clear();
  out->failed = 0;
  out->first_error[0] = '\0';
  lp_status first = LP_OK;
  for (unsigned i = 0; i < started; i++) {
    out->failed += ws[i].failed;
    if (ws[i].failed > 0 && first == LP_OK) {
      first = ws[i].rc;
      snprintf(out->first_error, sizeof out->first_error, "%s", ws[i].err.message);
      if (err != NULL) *err = ws[i].err;
    }
  }
  if (rc == LP_OK) rc = summarise(ws, started, elapsed, out, err);
  /* Nothing succeeded, or the workload cannot run (bad arguments, memory): that is an error. */
  if (rc == LP_OK && first != LP_OK) {
    size_t ok = 0;
    for (unsigned i = 0; i < started; i++) ok += ws[i].n_lat;
    if (ok == 0 || first == LP_EINVAL || first == LP_ENOMEM) rc = first;
  }
  for (unsigned i = 0; i < threads; i++) free(ws[i].lat_us);
  free(ws);
  free(tids);
  return rc;
}
