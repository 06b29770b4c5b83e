/* The resource's maintenance task (lp_pool_factory.maintain): run by each cleanup pass after the pool's
 * own work, outside the pool lock (it borrows a connection of the same pool), never twice at once, its
 * failures logged and counted, periodically on the cleanup thread, and waited for by close. */
#include <unistd.h>

#include "pool_fixture.h"

typedef struct maint_fixture {
  fake_factory f; /* first: the fake callbacks take the same ctx */
  lp_pool *pool;
  _Atomic int runs, running, overlaps;
  _Atomic bool fail;
  _Atomic bool hold;     /* keep the call running until cleared */
  _Atomic bool entered;  /* set once a call is inside */
  _Atomic bool finished; /* set when a call returns */
} maint_fixture;

static lp_status maintain(void *ctx, lp_pool *pool, lp_error *err) {
  maint_fixture *m = ctx;
  if (atomic_fetch_add(&m->running, 1) != 0) atomic_fetch_add(&m->overlaps, 1);
  atomic_fetch_add(&m->runs, 1);
  atomic_store(&m->entered, true);
  lp_status rc = LP_OK;
  { /* borrow a connection of the same pool: the hook runs outside the pool lock */
    LP_POOL_SCOPED_ACQUIRE(lease, pool, err);
    rc = lease.status;
  }
  while (atomic_load(&m->hold)) usleep(1000);
  if (rc == LP_OK && atomic_load(&m->fail)) rc = lp_error_set(err, LP_EIO, "disk says no");
  atomic_fetch_sub(&m->running, 1);
  atomic_store(&m->finished, true);
  return rc;
}

static lp_pool *make(maint_fixture *m, int64_t cleanup_interval_ms, log_capture *lc) {
  memset(m, 0, sizeof *m);
  fake_factory_init(&m->f);
  lp_pool_factory t = fake_factory_table(&m->f);
  t.maintain = maintain;
  t.ctx = m;
  lp_pool_config cfg = test_config(2);
  cfg.cleanup_interval_ms = cleanup_interval_ms;
  cfg.log = capture_log;
  cfg.log_ctx = lc;
  lp_error err;
  CHECK_OK(lp_pool_create(&cfg, &t, &m->pool, &err), &err);
  return m->pool;
}

static void *run_cleanup_thread(void *arg) {
  maint_fixture *m = arg;
  lp_error err;
  CHECK_OK(lp_pool_run_cleanup(m->pool, &err), &err);
  return NULL;
}

static void wait_for(_Atomic bool *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) usleep(1000);
  CHECK(atomic_load(flag));
}

static void test_each_pass_runs_it(void) {
  maint_fixture m;
  log_capture lc = {.mu = PTHREAD_MUTEX_INITIALIZER};
  lp_pool *pool = make(&m, 0, &lc);
  lp_error err;
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err);
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err);
  CHECK_EQ(atomic_load(&m.runs), 2);
  atomic_store(&m.fail, true);
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err); /* the pass itself succeeds */
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.maintenance_runs, 3);
  CHECK_EQ(s.maintenance_failures, 1);
  CHECK_CONTAINS(lc.text, "pool \"test\": maintenance failed: disk says no");
  CHECK_EQ(s.in_use, 0); /* the hook's lease was released */
  char *prom = NULL;
  CHECK_OK(lp_pool_stats_prometheus(&s, "test", &prom, &err), &err);
  CHECK_CONTAINS(prom, "maintenance_failures_total{pool=\"test\"} 1");
  free(prom);
  fixture_pool_finish(&m.f, pool);
}

static void test_never_twice_at_once(void) {
  maint_fixture m;
  log_capture lc = {.mu = PTHREAD_MUTEX_INITIALIZER};
  lp_pool *pool = make(&m, 0, &lc);
  atomic_store(&m.hold, true);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, run_cleanup_thread, &m), 0);
  wait_for(&m.entered);
  lp_error err;
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err); /* finds it running: skips it */
  CHECK_EQ(atomic_load(&m.runs), 1);
  atomic_store(&m.hold, false);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(atomic_load(&m.overlaps), 0);
  fixture_pool_finish(&m.f, pool);
}

static void *release_hold_later(void *arg) {
  maint_fixture *m = arg;
  usleep(50 * 1000);
  CHECK(!atomic_load(&m->finished)); /* close is still waiting for the call */
  atomic_store(&m->hold, false);
  return NULL;
}

static void test_cleanup_thread_runs_it_and_close_waits(void) {
  maint_fixture m;
  log_capture lc = {.mu = PTHREAD_MUTEX_INITIALIZER};
  lp_pool *pool = make(&m, 5, &lc);
  for (int i = 0; i < 10000 && atomic_load(&m.runs) < 3; i++) usleep(1000);
  CHECK_GE(atomic_load(&m.runs), 3);
  /* Catch the cleanup thread inside a call and close while it is there. */
  atomic_store(&m.hold, true);
  atomic_store(&m.entered, false);
  wait_for(&m.entered);
  atomic_store(&m.finished, false);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, release_hold_later, &m), 0);
  lp_error err;
  CHECK_OK(lp_pool_close(pool, 5000, &err), &err);
  CHECK(atomic_load(&m.finished)); /* close returned only after the running call did */
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(atomic_load(&m.running), 0);
  CHECK_EQ(atomic_load(&m.overlaps), 0);
  fixture_pool_finish(&m.f, pool);
}

int main(void) {
  RUN_TEST(test_each_pass_runs_it);
  RUN_TEST(test_never_twice_at_once);
  RUN_TEST(test_cleanup_thread_runs_it_and_close_waits);
  return 0;
}
