/* The measurement loop of `lancepool bench`: N threads call one operation until a deadline, each
 * recording its latencies; the result is throughput and latency percentiles. */
#ifndef LP_CLI_BENCH_RUN_H
#define LP_CLI_BENCH_RUN_H

#include <stdbool.h>

#include "cli/bench_data.h"
#include "lancepool/error.h"

typedef struct {
  char workload[16];   /* search, get, add1, add100, delete, mixed */
  char mode[24];       /* per-op, persistent, pooled, lancedb-per-op, lancedb-persistent, lancedb-pooled */
  unsigned threads;
  double ops_per_sec;
  double p50_us, p99_us;
  char pool_stats[256]; /* pooled runs: the pool's counters after the run, else "" */
  unsigned long ops;     /* successful operations measured */
  char io_stats[200];    /* a database in object storage: HTTP connections and requests per operation and
                            the disk cache's hit rate during the run, else "" */
  unsigned long failed;  /* operations that returned an error (not in ops_per_sec or the latencies) */
  char first_error[sizeof ((lp_error *)0)->message]; /* the first of those errors, else "" */
} lp_bench_result;

/* One operation of a workload, run by thread `worker` with its own PRNG. Called concurrently from
 * `threads` threads; ctx is shared. */
typedef lp_status (*lp_bench_op)(void *ctx, unsigned worker, lp_bench_rng *rng, lp_error *err);

/* Run op on `threads` threads for `seconds`, fill out->ops_per_sec/p50_us/p99_us/threads. A failing
 * operation is counted (out->failed, the first error in out->first_error) and the run goes on, except
 * after LP_EINVAL, LP_ENOMEM or LP_ENOTFOUND (the workload ran out of rows): then every thread stops and
 * the rate covers the time until then. ops_per_sec counts successful operations only. While stderr is a terminal, a progress line shows `label` and the
 * operations so far. */
LP_MUST_CHECK lp_status lp__bench_measure(lp_bench_op op, void *ctx, unsigned threads, double seconds,
                                          const char *label, lp_bench_result *out, lp_error *err);

/* Show (or clear, with NULL) a one-line progress message on stderr, only when stderr is a terminal. */
void lp__bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lp__bench_progress_clear(void);

/* Monotonic clock in microseconds. */
double lp__bench_now_us(void);

#endif
