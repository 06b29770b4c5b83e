/* Pool behaviour over time, on the fake clock: idle eviction, age eviction (idle and in use), jitter
 * bounds, leak reports; and the real cleanup thread: periodic refill and prompt stop. */
#include "pool_fixture.h"

static fake_factory F;

static void cleanup_at(lp_pool *pool, int64_t now_ms) {
  atomic_store(&fake_now_ms, now_ms);
  lp_error err;
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err);
}

static lp_pool_stats stats(lp_pool *pool) {
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  return s;
}

static void test_idle_eviction_down_to_min(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(4);
  cfg.min_connections = 1;
  cfg.max_idle_time_ms = 1000;
  cfg.max_connection_age_ms = 0;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *c[3];
  for (int i = 0; i < 3; i++) c[i] = fixture_get(pool);
  for (int i = 0; i < 3; i++) lp_pool_release(pool, c[i]);
  cleanup_at(pool, 1000); /* idle exactly max_idle_time: kept */
  CHECK_EQ(stats(pool).current_size, 3);
  cleanup_at(pool, 1001);
  lp_pool_stats s = stats(pool);
  CHECK_EQ(s.current_size, 1); /* not below min_connections */
  CHECK_EQ(s.connections_expired, 2);
  CHECK_EQ(s.available_connections, 1);
  fixture_pool_finish(&F, pool);
}

/* Idle time counts from the last release, not from creation. */
static void test_idle_time_counts_from_release(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(2);
  cfg.max_idle_time_ms = 1000;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  cleanup_at(pool, 1500);
  lp_pool_release(pool, a); /* stamped with the coarse clock, which the pass set to 1500 */
  cleanup_at(pool, 2400);
  CHECK(!atomic_load(&a->is_destroyed));
  cleanup_at(pool, 2501);
  CHECK(atomic_load(&a->is_destroyed));
  CHECK_EQ(stats(pool).connections_expired, 1);
  fixture_pool_finish(&F, pool);
}

static void test_age_eviction_idle(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(2);
  cfg.max_connection_age_ms = 10000; /* jitter: expires between 9750 and 10000 */
  cfg.max_idle_time_ms = 0;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  lp_pool_release(pool, a);
  cleanup_at(pool, 9749);
  CHECK(!atomic_load(&a->is_destroyed));
  cleanup_at(pool, 10000);
  CHECK(atomic_load(&a->is_destroyed));
  lp_pool_stats s = stats(pool);
  CHECK_EQ(s.connections_expired, 1);
  CHECK_EQ(s.current_size, 0);
  fake_conn *b = fixture_get(pool); /* a new one */
  CHECK(b != a);
  lp_pool_release(pool, b);
  fixture_pool_finish(&F, pool);
}

static void test_age_eviction_in_use(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(2);
  cfg.max_connection_age_ms = 10000;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  cleanup_at(pool, 10000); /* the cleanup leaves a connection in use alone */
  CHECK(!atomic_load(&a->is_destroyed));
  CHECK_EQ(stats(pool).in_use, 1);
  lp_pool_release(pool, a); /* past its age: destroyed on release */
  CHECK(atomic_load(&a->is_destroyed));
  lp_pool_stats s = stats(pool);
  CHECK_EQ(s.connections_expired, 1);
  CHECK_EQ(s.current_size, 0);
  fixture_pool_finish(&F, pool);
}

/* An idle connection found past its age by acquire is destroyed, not handed out. FIFO mode, whose
 * acquires take the slow path, which reads the clock. */
static void test_age_checked_on_acquire(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(2);
  cfg.max_connection_age_ms = 10000;
  cfg.idle_order = LP_POOL_FIFO;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  lp_pool_release(pool, a);
  atomic_store(&fake_now_ms, 10000);
  fake_conn *b = fixture_get(pool);
  CHECK(b != a);
  CHECK(atomic_load(&a->is_destroyed));
  CHECK_EQ(stats(pool).connections_expired, 1);
  lp_pool_release(pool, b);
  fixture_pool_finish(&F, pool);
}

/* 200 connections made at t=0 with max age 100 s: none may expire before 97.5 s, all must by 100 s, and
 * they must not all expire at once. */
static void test_jitter_bounds(void) {
  enum { N = 200 };
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(N);
  cfg.max_connection_age_ms = 100000;
  cfg.max_idle_time_ms = 0;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  static void *c[N];
  for (int i = 0; i < N; i++) c[i] = fixture_get(pool);
  for (int i = 0; i < N; i++) lp_pool_release(pool, c[i]);
  cleanup_at(pool, 97499);
  CHECK_EQ(stats(pool).connections_expired, 0);
  cleanup_at(pool, 98750);
  uint64_t mid = stats(pool).connections_expired;
  CHECK_GT(mid, 0);
  CHECK_LT(mid, N);
  cleanup_at(pool, 100000);
  CHECK_EQ(stats(pool).connections_expired, N);
  fixture_pool_finish(&F, pool);
}

static void test_leak_report(void) {
  atomic_store(&fake_now_ms, 0);
  log_capture lc = {.mu = PTHREAD_MUTEX_INITIALIZER};
  lp_pool_config cfg = test_config(2);
  cfg.leak_detection_threshold_ms = 1000;
  cfg.log = capture_log;
  cfg.log_ctx = &lc;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *a = NULL;
  lp_error err;
  int line = __LINE__ + 1;
  CHECK_OK(lp_pool_acquire(pool, &a, &err), &err);
  cleanup_at(pool, 1000);
  CHECK_EQ(stats(pool).leaks_detected, 0);
  cleanup_at(pool, 1001);
  CHECK_EQ(stats(pool).leaks_detected, 1);
  char site[64];
  snprintf(site, sizeof site, "test_pool_time.c:%d", line);
  CHECK_CONTAINS(lc.text, site);
  CHECK_CONTAINS(lc.text, "held for 1001 ms");
  cleanup_at(pool, 5000); /* reported once per acquisition */
  CHECK_EQ(stats(pool).leaks_detected, 1);
  lp_pool_release(pool, a);
  cleanup_at(pool, 9000); /* released: no more reports */
  CHECK_EQ(stats(pool).leaks_detected, 1);
  {
    int scoped_line = __LINE__ + 1;
    LP_POOL_SCOPED_ACQUIRE(lease, pool, NULL);
    CHECK_EQ(lease.status, LP_OK);
    cleanup_at(pool, 10001);
    snprintf(site, sizeof site, "test_pool_time.c:%d", scoped_line);
    CHECK_CONTAINS(lc.text, site);
    CHECK_EQ(stats(pool).leaks_detected, 2);
  }
  fixture_pool_finish(&F, pool);
}

static void test_cleanup_thread_refills(void) {
  lp_pool_config cfg = test_config(4);
  cfg.clock_ms = NULL;
  cfg.min_connections = 2;
  cfg.cleanup_interval_ms = 20;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *a = fixture_get(pool), *b = fixture_get(pool);
  lp_pool_release_broken(pool, a);
  lp_pool_release_broken(pool, b);
  for (int i = 0; i < 500 && stats(pool).current_size < 2; i++) usleep(10000);
  lp_pool_stats s = stats(pool);
  CHECK_EQ(s.current_size, 2);
  CHECK_EQ(s.connections_created, 4);
  fixture_pool_finish(&F, pool);
}

static void test_cleanup_thread_stops_promptly(void) {
  lp_pool_config cfg = test_config(2);
  cfg.clock_ms = NULL;
  cfg.cleanup_interval_ms = 60000;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  usleep(20000);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  lp_error err;
  CHECK_OK(lp_pool_close(pool, 1000, &err), &err);
  CHECK_LT(elapsed_ms_since(&t0), 5000); /* not a full interval */
  fixture_pool_finish(&F, pool);
}

int main(void) {
  RUN_TEST(test_idle_eviction_down_to_min);
  RUN_TEST(test_idle_time_counts_from_release);
  RUN_TEST(test_age_eviction_idle);
  RUN_TEST(test_age_eviction_in_use);
  RUN_TEST(test_age_checked_on_acquire);
  RUN_TEST(test_jitter_bounds);
  RUN_TEST(test_leak_report);
  RUN_TEST(test_cleanup_thread_refills);
  RUN_TEST(test_cleanup_thread_stops_promptly);
  return 0;
}
