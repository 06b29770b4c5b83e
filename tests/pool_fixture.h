/* Test doubles for the pool tests: a factory that counts what it does and can be told to fail, a fake
 * clock, and a log that keeps the lines it receives. Header-only; each test binary includes it once. */
#ifndef LP_POOL_FIXTURE_H
#define LP_POOL_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lancepool/pool.h"
#include "lp_test.h"

/* A connection: its number, the process that made it, and who holds it (0 = nobody). Connections are
 * kept on the factory's list until fake_factory_free(), so a destroyed one can still be inspected. */
typedef struct fake_conn {
  int id;
  pid_t pid;
  _Atomic int holder;
  _Atomic bool is_destroyed;
  struct fake_conn *next;
} fake_conn;

typedef struct fake_factory {
  pthread_mutex_t mu;
  fake_conn *all; /* under mu */
  _Atomic int n_created, n_destroyed, n_validated, n_reset;
  _Atomic int fail_creates;   /* fail this many next creates */
  _Atomic int fail_validates; /* fail this many next validations */
  _Atomic int fail_resets;    /* fail this many next resets */
  int create_fail_permille;   /* random failures (stress) */
  int validate_fail_permille;
  _Atomic bool is_wrong_destroy; /* destroy called on another process's connection */
} fake_factory;

static _Thread_local unsigned fixture_seed;

static inline int fixture_rand_permille(void) {
  if (fixture_seed == 0) fixture_seed = (unsigned)(uintptr_t)&fixture_seed ^ (unsigned)time(NULL);
  return rand_r(&fixture_seed) % 1000;
}

static inline bool take_one(_Atomic int *n) {
  int left = atomic_load(n);
  while (left > 0) {
    if (atomic_compare_exchange_weak(n, &left, left - 1)) return true;
  }
  return false;
}

static inline lp_status fake_create(void *ctx, void **out, lp_error *err) {
  fake_factory *f = ctx;
  if (take_one(&f->fail_creates) ||
      (f->create_fail_permille > 0 && fixture_rand_permille() < f->create_fail_permille)) {
    return lp_error_set(err, LP_EIO, "fake: connection refused by test");
  }
  fake_conn *c = calloc(1, sizeof *c);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "fake: out of memory");
  c->id = atomic_fetch_add(&f->n_created, 1) + 1;
  c->pid = getpid();
  pthread_mutex_lock(&f->mu);
  c->next = f->all;
  f->all = c;
  pthread_mutex_unlock(&f->mu);
  *out = c;
  return LP_OK;
}

static inline void fake_destroy(void *ctx, void *conn) {
  fake_factory *f = ctx;
  fake_conn *c = conn;
  if (c->pid != getpid()) atomic_store(&f->is_wrong_destroy, true);
  if (atomic_exchange(&c->is_destroyed, true)) LP_FAIL("connection %d destroyed twice", c->id);
  if (atomic_load(&c->holder) != 0) LP_FAIL("connection %d destroyed while held", c->id);
  atomic_fetch_add(&f->n_destroyed, 1);
}

static inline lp_status fake_validate(void *ctx, void *conn, lp_error *err) {
  fake_factory *f = ctx;
  (void)conn;
  atomic_fetch_add(&f->n_validated, 1);
  if (take_one(&f->fail_validates) ||
      (f->validate_fail_permille > 0 && fixture_rand_permille() < f->validate_fail_permille)) {
    return lp_error_set(err, LP_EIO, "fake: ping failed");
  }
  return LP_OK;
}

static inline lp_status fake_reset(void *ctx, void *conn, lp_error *err) {
  fake_factory *f = ctx;
  (void)conn;
  atomic_fetch_add(&f->n_reset, 1);
  if (take_one(&f->fail_resets)) return lp_error_set(err, LP_EIO, "fake: reset failed");
  return LP_OK;
}

static inline void fake_factory_init(fake_factory *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
}

static inline lp_pool_factory fake_factory_table(fake_factory *f) {
  lp_pool_factory t = {.create = fake_create,
                       .destroy = fake_destroy,
                       .validate = fake_validate,
                       .reset = fake_reset,
                       .ctx = f};
  return t;
}

/* Frees every connection ever made (the pool must be destroyed first). */
static inline void fake_factory_free(fake_factory *f) {
  fake_conn *c = f->all;
  while (c != NULL) {
    fake_conn *next = c->next;
    free(c);
    c = next;
  }
  f->all = NULL;
  pthread_mutex_destroy(&f->mu);
}

/* A clock the test moves by hand. */
static _Atomic int64_t fake_now_ms;
static inline int64_t fake_clock(void *ctx) {
  (void)ctx;
  return atomic_load(&fake_now_ms);
}

/* Log lines received, joined with newlines. */
typedef struct log_capture {
  pthread_mutex_t mu;
  char text[8192];
  int n_lines;
} log_capture;

static inline void capture_log(void *ctx, lp_pool_log_level level, const char *message) {
  log_capture *lc = ctx;
  (void)level;
  pthread_mutex_lock(&lc->mu);
  size_t used = strlen(lc->text);
  snprintf(lc->text + used, sizeof lc->text - used, "%s\n", message);
  lc->n_lines++;
  pthread_mutex_unlock(&lc->mu);
}

/* A config for tests: no cleanup thread, no prefill, the fake clock, the factory's own defaults else. */
static inline lp_pool_config test_config(int max_connections) {
  lp_pool_config cfg;
  lp_pool_config_init(&cfg);
  cfg.name = "test";
  cfg.max_connections = max_connections;
  cfg.min_connections = 0;
  cfg.cleanup_interval_ms = 0;
  cfg.clock_ms = fake_clock;
  return cfg;
}

/* Every pool test ends here: the bookkeeping identities that must hold whenever nothing is in flight. */
static inline void check_stats_consistent(lp_pool *pool, const fake_factory *f) {
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created - s.destroyed, s.current_size);
  CHECK_EQ(s.in_use + s.available_connections, s.current_size);
  CHECK_EQ(s.connections_created, atomic_load(&f->n_created));
  CHECK_EQ(s.destroyed, atomic_load(&f->n_destroyed));
}

/* A pool of the fake factory f (initialised here) with cfg; the test fails if it cannot be created. */
static inline lp_pool *fixture_pool_make(fake_factory *f, const lp_pool_config *cfg) {
  fake_factory_init(f);
  lp_pool_factory t = fake_factory_table(f);
  lp_pool *pool = NULL;
  lp_error err;
  CHECK_OK(lp_pool_create(cfg, &t, &pool, &err), &err);
  return pool;
}

/* End of a test: the bookkeeping identities, then destroy; every connection f made must be gone. */
static inline void fixture_pool_finish(fake_factory *f, lp_pool *pool) {
  check_stats_consistent(pool, f);
  lp_pool_destroy(pool);
  CHECK_EQ(atomic_load(&f->n_created), atomic_load(&f->n_destroyed));
  fake_factory_free(f);
}

/* Acquire that must succeed. */
static inline void *fixture_get(lp_pool *pool) {
  void *c = NULL;
  lp_error err;
  CHECK_OK(lp_pool_acquire(pool, &c, &err), &err);
  CHECK(c != NULL);
  return c;
}

/* Concurrency tests: acquire for thread `id`, then mark the connection held by it; fails the test if the
 * pool handed out a connection another thread still holds, or a destroyed one. *out is NULL when the
 * acquire returned `tolerated` (a failure the test provokes on purpose); any other failure fails. */
static inline lp_status acquire_as_holder(lp_pool *pool, int id, long cycle, lp_status tolerated,
                                          fake_conn **out) {
  *out = NULL;
  lp_error err;
  lp_status rc = lp_pool_acquire(pool, (void **)out, &err);
  if (rc == tolerated && rc != LP_OK) return rc;
  if (rc != LP_OK) LP_FAIL("thread %d cycle %ld: %s: %s", id, cycle, lp_status_name(rc), err.message);
  fake_conn *c = *out;
  int nobody = 0;
  if (!atomic_compare_exchange_strong(&c->holder, &nobody, id)) {
    LP_FAIL("connection %d held by threads %d and %d at once", c->id, nobody, id);
  }
  if (atomic_load(&c->is_destroyed)) LP_FAIL("connection %d handed out after destroy", c->id);
  return LP_OK;
}

static inline double elapsed_ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

#endif
