/* Waiting: FIFO fairness, direct handoff, max_waiters, a freed slot or a failed create reaching a waiter,
 * and close with waiters and with connections in use. Runs with membarrier off (releases use seq_cst
 * stores), so this mode is covered too; the stress test covers the membarrier mode. */
#include "pool_fixture.h"

static fake_factory F;

static void wait_for_waiters(lp_pool *pool, uint64_t n) {
  lp_pool_stats s;
  for (int i = 0; i < 5000; i++) {
    lp_pool_stats_get(pool, &s);
    if (s.waiters == n) return;
    usleep(1000);
  }
  LP_FAIL("expected %llu waiters, have %llu", (unsigned long long)n, (unsigned long long)s.waiters);
}

/* A thread that acquires once, notes what it got and in which turn, and releases (or keeps it). */
typedef struct {
  lp_pool *pool;
  int id;
  bool is_keeping;
  lp_status status;
  char message[256];
  void *conn;
  int turn;
} client;

static _Atomic int turns;

static void *client_main(void *arg) {
  client *c = arg;
  lp_error err;
  lp_error_clear(&err);
  c->status = lp_pool_acquire(c->pool, &c->conn, &err);
  memcpy(c->message, err.message, sizeof c->message);
  if (c->status != LP_OK) return NULL;
  c->turn = atomic_fetch_add(&turns, 1);
  if (!c->is_keeping) lp_pool_release(c->pool, c->conn);
  return NULL;
}

static void start_clients(lp_pool *pool, client *cs, pthread_t *ts, int n) {
  for (int i = 0; i < n; i++) {
    cs[i] = (client){.pool = pool, .id = i};
    pthread_create(&ts[i], NULL, client_main, &cs[i]);
    wait_for_waiters(pool, (uint64_t)i + 1); /* queued in this order */
  }
}

static void join_clients(pthread_t *ts, int n) {
  for (int i = 0; i < n; i++) pthread_join(ts[i], NULL);
}

static void test_waiters_served_in_order(void) {
  enum { N = 5 };
  lp_pool_config cfg = test_config(1);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *held = fixture_get(pool);
  client cs[N];
  pthread_t ts[N];
  atomic_store(&turns, 0);
  start_clients(pool, cs, ts, N);
  lp_pool_release(pool, held);
  join_clients(ts, N);
  for (int i = 0; i < N; i++) {
    CHECK_EQ(cs[i].status, LP_OK);
    CHECK_EQ(cs[i].turn, i);
    CHECK(cs[i].conn == held); /* the same connection, passed along */
  }
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created, 1);
  CHECK_EQ(s.wait_count, N);
  CHECK_EQ(s.connections_reused, N);
  CHECK_EQ(s.pool_misses, N + 1);
  CHECK_GT(s.wait_max_ns, 0);
  CHECK_LE(s.wait_p50_ns, s.wait_p99_ns);
  CHECK_LE(s.wait_p99_ns, s.wait_max_ns);
  fixture_pool_finish(&F, pool);
}

static void test_max_waiters_fails_at_once(void) {
  lp_pool_config cfg = test_config(1);
  cfg.max_waiters = 2;
  cfg.acquire_timeout_ms = 20000;
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *held = fixture_get(pool);
  client cs[2];
  pthread_t ts[2];
  start_clients(pool, cs, ts, 2);
  void *c = NULL;
  lp_error err;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ(lp_pool_acquire(pool, &c, &err), LP_EBUSY);
  CHECK_LT(elapsed_ms_since(&t0), 10000); /* not after the 20 s timeout */
  CHECK_CONTAINS(err.message, "max_waiters 2");
  lp_pool_release(pool, held);
  join_clients(ts, 2);
  CHECK_EQ(cs[0].status, LP_OK);
  CHECK_EQ(cs[1].status, LP_OK);
  fixture_pool_finish(&F, pool);
}

/* A broken release frees the slot: the waiter creates a connection in it; a failed create there is the
 * waiter's error, with the factory's message. */
static void test_freed_slot_reaches_waiter(void) {
  lp_pool_config cfg = test_config(1);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  void *held = fixture_get(pool);
  client cs[1];
  pthread_t ts[1];
  start_clients(pool, cs, ts, 1);
  lp_pool_release_broken(pool, held);
  join_clients(ts, 1);
  CHECK_EQ(cs[0].status, LP_OK);
  CHECK(cs[0].conn != held);
  CHECK_EQ(atomic_load(&F.n_created), 2);

  held = fixture_get(pool);
  start_clients(pool, cs, ts, 1);
  atomic_store(&F.fail_creates, 1);
  lp_pool_release_broken(pool, held);
  join_clients(ts, 1);
  CHECK_EQ(cs[0].status, LP_EFACTORY);
  CHECK_CONTAINS(cs[0].message, "fake: connection refused by test");
  void *again = fixture_get(pool); /* the slot was not leaked */
  lp_pool_release(pool, again);
  fixture_pool_finish(&F, pool);
}

typedef struct {
  lp_pool *pool;
  int64_t timeout_ms;
  lp_status status;
  _Atomic bool is_done;
} closer;

static void *closer_main(void *arg) {
  closer *c = arg;
  lp_error err;
  c->status = lp_pool_close(c->pool, c->timeout_ms, &err);
  atomic_store(&c->is_done, true);
  return NULL;
}

static void test_close_with_waiters_and_in_use(void) {
  enum { N = 3 };
  lp_pool_config cfg = test_config(2);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *held = fixture_get(pool);
  fake_conn *idle = fixture_get(pool);
  lp_pool_release(pool, idle);
  fake_conn *held2 = fixture_get(pool); /* the idle one again */
  CHECK(held2 == idle);
  client cs[N];
  pthread_t ts[N];
  start_clients(pool, cs, ts, N);
  closer cl = {.pool = pool, .timeout_ms = 20000};
  pthread_t ct;
  pthread_create(&ct, NULL, closer_main, &cl);
  join_clients(ts, N); /* woken with LP_ECLOSED */
  for (int i = 0; i < N; i++) {
    CHECK_EQ(cs[i].status, LP_ECLOSED);
    CHECK_CONTAINS(cs[i].message, "closed");
  }
  void *c = NULL;
  lp_error err;
  CHECK_EQ(lp_pool_acquire(pool, &c, &err), LP_ECLOSED);
  CHECK_CONTAINS(err.message, "closing");
  usleep(50000);
  CHECK(!atomic_load(&cl.is_done)); /* still waiting for the connections in use */
  lp_pool_release(pool, held);
  CHECK(atomic_load(&held->is_destroyed)); /* released while closing: destroyed */
  CHECK(!atomic_load(&cl.is_done));
  lp_pool_release(pool, held2);
  pthread_join(ct, NULL);
  CHECK_EQ(cl.status, LP_OK);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.current_size, 0);
  CHECK_EQ(s.waiters, 0);
  fixture_pool_finish(&F, pool);
}

static void test_close_deadline(void) {
  lp_pool_config cfg = test_config(2);
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  fake_conn *held = fixture_get(pool);
  lp_error err;
  CHECK_EQ(lp_pool_close(pool, 100, &err), LP_ETIMEOUT);
  CHECK_CONTAINS(err.message, "1 connections still in use after 100 ms");
  lp_pool_release(pool, held);
  CHECK(atomic_load(&held->is_destroyed));
  CHECK_OK(lp_pool_close(pool, 0, &err), &err);
  CHECK_EQ(lp_pool_run_cleanup(pool, &err), LP_ECLOSED);
  fixture_pool_finish(&F, pool);
}

int main(void) {
  setenv("LP_POOL_NO_MEMBARRIER", "1", 1); /* before the first pool */
  RUN_TEST(test_waiters_served_in_order);
  RUN_TEST(test_max_waiters_fails_at_once);
  RUN_TEST(test_freed_slot_reaches_waiter);
  RUN_TEST(test_close_with_waiters_and_in_use);
  RUN_TEST(test_close_deadline);
  return 0;
}
