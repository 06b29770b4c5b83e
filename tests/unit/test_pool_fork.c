/* fork(): the child's pool starts empty and never touches the parent's connections; the parent's pool is
 * unaffected. The child reports through its exit status. */
#include <sys/wait.h>

#include "pool_fixture.h"

static fake_factory F;
static log_capture LC = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *waiter_main(void *arg) {
  lp_pool *pool = arg;
  void *c = NULL;
  lp_error err;
  CHECK_OK(lp_pool_acquire(pool, &c, &err), &err);
  lp_pool_release(pool, c);
  return NULL;
}

static void wait_for_waiters(lp_pool *pool, uint64_t n) {
  lp_pool_stats s;
  for (int i = 0; i < 1000; i++) {
    lp_pool_stats_get(pool, &s);
    if (s.waiters == n) return;
    usleep(2000);
  }
  LP_FAIL("expected %llu waiters", (unsigned long long)n);
}

/* In the child: nothing of the parent's is visible, the parent's connections are never destroyed,
 * releasing one is ignored, and the pool works, cleanup thread included. */
static void child_checks(lp_pool *pool, fake_conn *held_by_parent) {
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.current_size, 0);
  CHECK_EQ(s.connections_created, 0);
  CHECK_EQ(s.available_connections, 0);
  CHECK_EQ(s.waiters, 0);
  fake_conn *c = NULL;
  lp_error err;
  CHECK_OK(lp_pool_acquire(pool, (void **)&c, &err), &err);
  CHECK_EQ(c->pid, getpid());
  lp_pool_release(pool, held_by_parent);
  CHECK(!atomic_load(&held_by_parent->is_destroyed));
  CHECK_CONTAINS(LC.text, "does not hold");
  lp_pool_release(pool, c);
  for (int i = 0; i < 300; i++) { /* the restarted cleanup thread refills to min_connections */
    lp_pool_stats_get(pool, &s);
    if (s.current_size >= 2) break;
    usleep(10000);
  }
  CHECK_EQ(s.current_size, 2);
  lp_pool_destroy(pool);
  CHECK(!atomic_load(&F.is_wrong_destroy));
  fake_factory_free(&F);
}

static void test_fork_child_starts_empty(void) {
  fake_factory_init(&F);
  lp_pool_factory t = fake_factory_table(&F);
  lp_pool_config cfg = test_config(2);
  cfg.clock_ms = NULL;
  cfg.min_connections = 2;
  cfg.cleanup_interval_ms = 100;
  cfg.log = capture_log;
  cfg.log_ctx = &LC;
  lp_pool *pool = NULL;
  lp_error err;
  CHECK_OK(lp_pool_create(&cfg, &t, &pool, &err), &err);
  fake_conn *a = NULL, *b = NULL;
  CHECK_OK(lp_pool_acquire(pool, (void **)&a, &err), &err);
  CHECK_OK(lp_pool_acquire(pool, (void **)&b, &err), &err);
  pthread_t waiter;
  pthread_create(&waiter, NULL, waiter_main, pool);
  wait_for_waiters(pool, 1);

  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    child_checks(pool, a);
    exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);

  /* The parent's pool is as it was: the waiter gets b. */
  lp_pool_release(pool, b);
  pthread_join(waiter, NULL);
  lp_pool_release(pool, a);
  CHECK(!atomic_load(&a->is_destroyed));
  check_stats_consistent(pool, &F);
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.connections_created, 2);
  lp_pool_destroy(pool);
  fake_factory_free(&F);
}

int main(void) {
  RUN_TEST(test_fork_child_starts_empty);
  return 0;
}
