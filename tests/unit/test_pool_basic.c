/* Pool basics on one thread: configuration, reuse, idle order, prefill, broken release, creation and
 * validation failures, reset, acquire timeouts, scoped acquire, statistics and their Prometheus text. */
#include "pool_fixture.h"

static fake_factory F;

static void test_config_defaults(void) {
  lp_pool_config c;
  lp_pool_config_init(&c);
  CHECK_EQ(c.max_connections, 10);
  CHECK_EQ(c.min_connections, 2);
  CHECK_EQ(c.max_idle_time_ms, 300000);
  CHECK_EQ(c.max_connection_age_ms, 3600000);
  CHECK_EQ(c.acquire_timeout_ms, 30000);
  CHECK_EQ(c.cleanup_interval_ms, 60000);
  CHECK_EQ(c.validation_bypass_ms, 500);
  CHECK_EQ(c.leak_detection_threshold_ms, 0);
  CHECK_EQ(c.max_waiters, 0);
  CHECK_EQ(c.idle_order, LP_POOL_LIFO);
  CHECK(!c.validate_on_acquire);
}

static void expect_invalid(const lp_pool_config *cfg, const lp_pool_factory *t, const char *needle) {
  lp_pool *pool = (lp_pool *)1;
  lp_error err;
  CHECK_EQ(lp_pool_create(cfg, t, &pool, &err), LP_EINVAL);
  CHECK(pool == NULL);
  CHECK_CONTAINS(err.message, needle);
}

static void test_config_rejected(void) {
  fake_factory_init(&F);
  lp_pool_factory t = fake_factory_table(&F);
  lp_pool_config c = test_config(4);
  c.max_connections = 0;
  expect_invalid(&c, &t, "max_connections must be 1..");
  c = test_config(4);
  c.min_connections = 5;
  expect_invalid(&c, &t, "min_connections must be 0..max_connections (4), got 5");
  c = test_config(4);
  c.max_idle_time_ms = -1;
  expect_invalid(&c, &t, "max_idle_time_ms must be 0 or more, got -1");
  c = test_config(4);
  c.acquire_timeout_ms = -5;
  expect_invalid(&c, &t, "acquire_timeout_ms");
  c = test_config(4);
  c.leak_detection_threshold_ms = -5;
  expect_invalid(&c, &t, "leak_detection_threshold_ms");
  c = test_config(4);
  c.max_waiters = -1;
  expect_invalid(&c, &t, "max_waiters");
  c = test_config(4);
  t.create = NULL;
  expect_invalid(&c, &t, "create and destroy are required");
  CHECK_EQ(atomic_load(&F.n_created), 0);
  fake_factory_free(&F);
}

static void test_reuse(void) {
  lp_pool_config cfg = test_config(4);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *a = fixture_get(pool);
  lp_pool_release(pool, a);
  void *b = fixture_get(pool);
  CHECK(a == b);
  lp_pool_release(pool, b);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created, 1);
  CHECK_EQ(s.connections_reused, 1);
  CHECK_EQ(s.pool_hits, 1);
  CHECK_EQ(s.pool_misses, 1);
  CHECK_EQ(s.current_size, 1);
  CHECK_EQ(s.available_connections, 1);
  CHECK_EQ(s.in_use, 0);
  fixture_pool_finish(&F, pool);
}

static void check_order(lp_pool_idle_order order) {
  lp_pool_config cfg = test_config(3);
  cfg.idle_order = order;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *c[3];
  for (int i = 0; i < 3; i++) c[i] = fixture_get(pool);
  for (int i = 0; i < 3; i++) lp_pool_release(pool, c[i]);
  for (int i = 0; i < 3; i++) {
    void *got = fixture_get(pool);
    CHECK(got == c[order == LP_POOL_LIFO ? 2 - i : i]);
  }
  for (int i = 0; i < 3; i++) lp_pool_release(pool, c[i]);
  CHECK_EQ(atomic_load(&F.n_created), 3);
  fixture_pool_finish(&F, pool);
}

static void test_lifo(void) {
  check_order(LP_POOL_LIFO);
}

static void test_fifo(void) {
  check_order(LP_POOL_FIFO);
}

static void test_min_prefill_and_refill(void) {
  lp_pool_config cfg = test_config(4);
  cfg.min_connections = 2;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created, 2);
  CHECK_EQ(s.available_connections, 2);
  void *a = fixture_get(pool), *b = fixture_get(pool);
  CHECK_EQ(atomic_load(&F.n_created), 2); /* the prefilled ones */
  lp_pool_release_broken(pool, a);
  lp_pool_release_broken(pool, b);
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.current_size, 0);
  lp_error err;
  CHECK_OK(lp_pool_run_cleanup(pool, &err), &err);
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created, 4);
  CHECK_EQ(s.current_size, 2);
  CHECK_EQ(s.available_connections, 2);
  fixture_pool_finish(&F, pool);
}

static void test_broken_release(void) {
  lp_pool_config cfg = test_config(2);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  lp_pool_release_broken(pool, a);
  CHECK(atomic_load(&a->is_destroyed));
  fake_conn *b = fixture_get(pool);
  CHECK(a != b);
  CHECK_EQ(b->id, 2);
  lp_pool_release(pool, b);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.destroyed, 1);
  CHECK_EQ(s.connections_expired, 0);
  fixture_pool_finish(&F, pool);
}

static void test_create_failure_keeps_slot(void) {
  lp_pool_config cfg = test_config(1);
  cfg.acquire_timeout_ms = 50;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  atomic_store(&F.fail_creates, 3);
  for (int i = 0; i < 3; i++) {
    void *c = (void *)1;
    lp_error err;
    CHECK_EQ(lp_pool_acquire(pool, &c, &err), LP_EFACTORY);
    CHECK(c == NULL);
    CHECK_CONTAINS(err.message, "fake: connection refused by test");
    CHECK_CONTAINS(err.message, "pool \"test\"");
  }
  void *c = fixture_get(pool); /* the only slot was given back each time */
  lp_pool_release(pool, c);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.create_failures, 3);
  CHECK_EQ(s.connections_created, 1);
  CHECK_EQ(s.pool_misses, 4);
  CHECK_EQ(s.timeouts, 0);
  fixture_pool_finish(&F, pool);
}

static void test_validation_failure_and_bypass(void) {
  atomic_store(&fake_now_ms, 0);
  lp_pool_config cfg = test_config(2);
  cfg.validate_on_acquire = true;
  cfg.validation_bypass_ms = 500;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool), *b = fixture_get(pool);
  lp_pool_release(pool, a);
  lp_pool_release(pool, b);
  atomic_store(&fake_now_ms, 499); /* released 499 ms ago: inside the window */
  fake_conn *c = fixture_get(pool);
  CHECK(c == b);
  CHECK_EQ(atomic_load(&F.n_validated), 0);
  lp_pool_release(pool, c);
  atomic_store(&fake_now_ms, 999); /* b: 500 ms, a: 999 ms: both validated */
  atomic_store(&F.fail_validates, 1);
  fake_conn *d = fixture_get(pool);
  CHECK_EQ(atomic_load(&F.n_validated), 2);
  CHECK(atomic_load(&b->is_destroyed)); /* tried first (LIFO), failed, destroyed */
  CHECK(d == a);
  lp_pool_release(pool, d);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.validation_failures, 1);
  CHECK_EQ(s.destroyed, 1);
  CHECK_EQ(s.pool_hits, 2);
  fixture_pool_finish(&F, pool);
}

static void test_reset_on_release(void) {
  lp_pool_config cfg = test_config(2);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *a = fixture_get(pool);
  lp_pool_release(pool, a);
  CHECK_EQ(atomic_load(&F.n_reset), 1);
  a = fixture_get(pool);
  atomic_store(&F.fail_resets, 1);
  lp_pool_release(pool, a);
  CHECK(atomic_load(&a->is_destroyed));
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.current_size, 0);
  fixture_pool_finish(&F, pool);
}

static void test_timeout_zero_fails_at_once(void) {
  lp_pool_config cfg = test_config(1);
  cfg.acquire_timeout_ms = 0;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *a = fixture_get(pool), *b = NULL;
  lp_error err;
  CHECK_EQ(lp_pool_acquire(pool, &b, &err), LP_ETIMEOUT);
  CHECK_CONTAINS(err.message, "acquire_timeout_ms is 0");
  lp_pool_release(pool, a);
  fixture_pool_finish(&F, pool);
}

/* The only timing assertion of the suite: the error arrives after the timeout, not long after. */
static void test_acquire_timeout(void) {
  lp_pool_config cfg = test_config(1);
  cfg.acquire_timeout_ms = 200;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *a = fixture_get(pool), *b = NULL;
  lp_error err;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ(lp_pool_acquire(pool, &b, &err), LP_ETIMEOUT);
  double ms = elapsed_ms_since(&t0);
  CHECK_GE(ms, 200);
  CHECK_LT(ms, 700);
  CHECK_CONTAINS(err.message, "timed out after 200 ms");
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.timeouts, 1);
  CHECK_EQ(s.wait_count, 1);
  CHECK_GE(s.wait_time_total_ns, 200000000);
  CHECK_GE(s.wait_max_ns, 200000000);
  CHECK_EQ(s.waiters, 0);
  lp_pool_release(pool, a);
  fixture_pool_finish(&F, pool);
}

static lp_status use_scoped(lp_pool *pool, bool fail_early, void **seen) {
  LP_POOL_SCOPED_ACQUIRE(lease, pool, NULL);
  LP_TRY(lease.status);
  *seen = lease.conn;
  if (fail_early) return LP_EIO; /* released here too */
  lease.is_broken = false;
  return LP_OK;
}

static void test_scoped_acquire(void) {
  lp_pool_config cfg = test_config(1);
  cfg.acquire_timeout_ms = 0;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *first = NULL, *second = NULL;
  CHECK_EQ(use_scoped(pool, true, &first), LP_EIO);
  CHECK_EQ(use_scoped(pool, false, &second), LP_OK);
  CHECK(first != NULL && first == second); /* released both times, else the second would time out */
  {
    LP_POOL_SCOPED_ACQUIRE(lease, pool, NULL);
    CHECK_EQ(lease.status, LP_OK);
    lease.is_broken = true;
  }
  CHECK(atomic_load(&((fake_conn *)first)->is_destroyed));
  {
    LP_POOL_SCOPED_ACQUIRE(lease, pool, NULL);
    CHECK_EQ(lease.status, LP_OK);
    lp_pool_lease_end(&lease); /* early; the scope's cleanup then does nothing */
    CHECK(lease.conn == NULL);
  }
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.in_use, 0);
  fixture_pool_finish(&F, pool);
}

static void test_release_unknown_is_ignored(void) {
  log_capture lc = {.mu = PTHREAD_MUTEX_INITIALIZER};
  lp_pool_config cfg = test_config(1);
  cfg.log = capture_log;
  cfg.log_ctx = &lc;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  int stranger;
  lp_pool_release(pool, &stranger);
  lp_pool_release(pool, NULL);
  CHECK_CONTAINS(lc.text, "does not hold");
  void *a = fixture_get(pool);
  lp_pool_release(pool, a);
  lp_pool_release(pool, a); /* twice: the second is unknown */
  CHECK_EQ(lc.n_lines, 2);
  fixture_pool_finish(&F, pool);
}

static void test_stats_arithmetic(void) {
  lp_pool_config cfg = test_config(5);
  cfg.min_connections = 1;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *c[5];
  int attempts = 0;
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 5; i++, attempts++) c[i] = fixture_get(pool);
    check_stats_consistent(pool, &F);
    lp_pool_release_broken(pool, c[0]);
    for (int i = 1; i < 5; i++) lp_pool_release(pool, c[i]);
    check_stats_consistent(pool, &F);
  }
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.pool_hits + s.pool_misses, attempts);
  CHECK_EQ(s.connections_reused + (s.connections_created - 1), attempts); /* 1 prefilled */
  CHECK_EQ(s.in_use, 0);
  CHECK_EQ(s.current_size, 4);
  CHECK_EQ(s.available_connections, 4);
  CHECK_EQ(s.destroyed, 3);
  fixture_pool_finish(&F, pool);
}

static void test_prometheus(void) {
  lp_pool_stats s;
  memset(&s, 0, sizeof s);
  s.connections_created = 7;
  s.current_size = 3;
  s.wait_count = 2;
  s.wait_time_total_ns = 1500000000;
  s.wait_p50_ns = 250000;
  s.wait_max_ns = 2000000000;
  char *text = NULL;
  lp_error err;
  CHECK_OK(lp_pool_stats_prometheus(&s, "db \"main\"\\1", &text, &err), &err);
  CHECK_CONTAINS(text, "# TYPE lancepool_connections_created_total counter\n");
  CHECK_CONTAINS(text, "lancepool_connections_created_total{pool=\"db \\\"main\\\"\\\\1\"} 7\n");
  CHECK_CONTAINS(text, "# TYPE lancepool_current_size gauge\n");
  CHECK_CONTAINS(text, "lancepool_current_size{pool=\"db \\\"main\\\"\\\\1\"} 3\n");
  CHECK_CONTAINS(text, "# TYPE lancepool_wait_seconds summary\n");
  CHECK_CONTAINS(text, "lancepool_wait_seconds{pool=\"db \\\"main\\\"\\\\1\",quantile=\"0.5\"} 0.00025\n");
  CHECK_CONTAINS(text, "lancepool_wait_seconds_sum{pool=\"db \\\"main\\\"\\\\1\"} 1.5\n");
  CHECK_CONTAINS(text, "lancepool_wait_seconds_count{pool=\"db \\\"main\\\"\\\\1\"} 2\n");
  CHECK_CONTAINS(text, "lancepool_wait_seconds_max{pool=\"db \\\"main\\\"\\\\1\"} 2\n");
  /* Every line is a comment or "name{labels} value". */
  int n_samples = 0;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    CHECK(strncmp(line, "lancepool_", 10) == 0);
    CHECK(strstr(line, "} ") != NULL);
    n_samples++;
  }
  CHECK_EQ(n_samples, 17 + 5);
  free(text);
  CHECK_EQ(lp_pool_stats_prometheus(NULL, "x", &text, &err), LP_EINVAL);
}

int main(void) {
  RUN_TEST(test_config_defaults);
  RUN_TEST(test_config_rejected);
  RUN_TEST(test_reuse);
  RUN_TEST(test_lifo);
  RUN_TEST(test_fifo);
  RUN_TEST(test_min_prefill_and_refill);
  RUN_TEST(test_broken_release);
  RUN_TEST(test_create_failure_keeps_slot);
  RUN_TEST(test_validation_failure_and_bypass);
  RUN_TEST(test_reset_on_release);
  RUN_TEST(test_timeout_zero_fails_at_once);
  RUN_TEST(test_acquire_timeout);
  RUN_TEST(test_scoped_acquire);
  RUN_TEST(test_release_unknown_is_ignored);
  RUN_TEST(test_stats_arithmetic);
  RUN_TEST(test_prometheus);
  return 0;
}
