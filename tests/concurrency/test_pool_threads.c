/* Per-thread records: threads that come and go reuse the records of those that left (the list does not
 * grow), counters survive the handover, one thread can use more pools than its fast-path table holds, and a
 * new pool at a freed pool's address never sees the old pool's records. */
#include "pool/pool_int.h"
#include "pool_fixture.h"

static fake_factory F;

static lp_pool *make_pool(void) {
  lp_pool_factory t = fake_factory_table(&F);
  lp_pool_config cfg = test_config(2);
  lp_pool *pool = NULL;
  lp_error err;
  CHECK_OK(lp_pool_create(&cfg, &t, &pool, &err), &err);
  return pool;
}

static void cycle(lp_pool *pool, int n) {
  for (int i = 0; i < n; i++) {
    void *c = NULL;
    lp_error err;
    CHECK_OK(lp_pool_acquire(pool, &c, &err), &err);
    lp_pool_release(pool, c);
  }
}

static void *ten_cycles(void *arg) {
  cycle(arg, 10);
  return NULL;
}

static int n_records(lp_pool *pool) {
  int n = 0;
  pthread_mutex_lock(&pool->mu);
  for (lp__local *l = pool->locals; l != NULL; l = l->next) n++;
  pthread_mutex_unlock(&pool->mu);
  return n;
}

static uint64_t attempts(lp_pool *pool) {
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.in_use, 0);
  return s.pool_hits + s.pool_misses;
}

static void test_thread_churn_reuses_records(void) {
  fake_factory_init(&F);
  lp_pool *pool = make_pool();
  for (int i = 0; i < 100; i++) {
    pthread_t t;
    pthread_create(&t, NULL, ten_cycles, pool);
    pthread_join(t, NULL);
  }
  CHECK_LE(n_records(pool), 2); /* the creating thread's and one reused by every worker */
  CHECK_EQ(attempts(pool), 1000);
  check_stats_consistent(pool, &F);
  lp_pool_destroy(pool);
  fake_factory_free(&F);
}

static void test_one_thread_many_pools(void) {
  enum { N = LP__TLS_POOLS + 2 };
  fake_factory_init(&F);
  lp_pool *pools[N];
  for (int i = 0; i < N; i++) pools[i] = make_pool();
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < N; i++) cycle(pools[i], 3);
  }
  for (int i = 0; i < N; i++) CHECK_EQ(attempts(pools[i]), 15);
  for (int i = N - 1; i >= 0; i -= 2) lp_pool_destroy(pools[i]); /* some gone, some still used */
  for (int i = 0; i < N; i += 2) cycle(pools[i], 3);
  for (int i = 0; i < N; i += 2) {
    CHECK_EQ(attempts(pools[i]), 18);
    lp_pool_destroy(pools[i]);
  }
  CHECK_EQ(atomic_load(&F.n_created), atomic_load(&F.n_destroyed));
  fake_factory_free(&F);
}

static void test_new_pool_sees_no_old_records(void) {
  fake_factory_init(&F);
  for (int i = 0; i < 5; i++) {
    lp_pool *pool = make_pool(); /* often at the address of the one destroyed just before */
    CHECK_EQ(attempts(pool), 0);
    cycle(pool, 7);
    CHECK_EQ(attempts(pool), 7);
    lp_pool_destroy(pool);
  }
  fake_factory_free(&F);
}

int main(void) {
  RUN_TEST(test_thread_churn_reuses_records);
  RUN_TEST(test_one_thread_many_pools);
  RUN_TEST(test_new_pool_sees_no_old_records);
  return 0;
}
