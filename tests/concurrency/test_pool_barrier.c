/* With membarrier, releases store IDLE with a plain store and may miss a waiter that is enqueueing at that
 * very moment. This test makes that race happen on purpose (it frees a slot behind the pool's back) and
 * checks that the waiter still gets the connection soon after its first capped sleep, not at its timeout. */
#include "pool/pool_int.h"
#include "pool_fixture.h"

static fake_factory F;

typedef struct {
  lp_pool *pool;
  lp_status status;
  void *conn;
  double waited_ms;
} waiter;

static void *waiter_main(void *arg) {
  waiter *w = arg;
  lp_error err;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  w->status = lp_pool_acquire(w->pool, &w->conn, &err);
  w->waited_ms = elapsed_ms_since(&t0);
  if (w->status == LP_OK) lp_pool_release(w->pool, w->conn);
  return NULL;
}

static void test_missed_release_is_found(void) {
  fake_factory_init(&F);
  lp_pool_factory t = fake_factory_table(&F);
  lp_pool_config cfg = test_config(1);
  cfg.clock_ms = NULL;
  cfg.acquire_timeout_ms = 10000;
  lp_pool *pool = NULL;
  lp_error err;
  CHECK_OK(lp_pool_create(&cfg, &t, &pool, &err), &err);
  if (!atomic_load(&lp__has_membarrier)) {
    fprintf(stderr, "   membarrier not available: releases use seq_cst stores, nothing to check\n");
    lp_pool_destroy(pool);
    fake_factory_free(&F);
    return;
  }
  void *held = NULL;
  CHECK_OK(lp_pool_acquire(pool, &held, &err), &err);
  waiter w = {.pool = pool};
  pthread_t tid;
  pthread_create(&tid, NULL, waiter_main, &w);
  lp_pool_stats s;
  for (int i = 0; i < 5000; i++) {
    lp_pool_stats_get(pool, &s);
    if (s.waiters == 1) break;
    usleep(1000);
  }
  CHECK_EQ(s.waiters, 1);
  /* A release that lost the race: IDLE stored, the waiter not seen, nobody woken. */
  atomic_store(&pool->slots[0].state, LP__IDLE);
  pthread_join(tid, NULL);
  CHECK_EQ(w.status, LP_OK);
  CHECK(w.conn == held);
  CHECK_LT(w.waited_ms, 5000); /* found by the recheck after LP__RECHECK_MS, not at the 10 s timeout */
  lp_pool_destroy(pool);
  fake_factory_free(&F);
}

int main(void) {
  RUN_TEST(test_missed_release_is_found);
  return 0;
}
