/* The owner fast path against thieves: a thread takes back the connection it released last with plain
 * stores (membarrier mode), while other threads claim the same idle slot through the steal protocol. With
 * acquire_timeout_ms 0 nobody queues, so every claim of another thread's idle slot is a steal racing the
 * owner; a third run adds the cleanup thread closing idle connections. After every acquire no connection
 * may be held by two threads; every thread must get connections (the steals work) and the books must
 * balance. Under valgrind (--valgrind) it runs fewer cycles. */
#include "pool_fixture.h"

enum { THREADS = 3, FULL_CYCLES = 200000, VALGRIND_CYCLES = 5000 };

static fake_factory F;

typedef struct {
  lp_pool *pool;
  int id;
  long cycles;
  long got, refused;
} thief;

static pthread_barrier_t start;

static void *thief_main(void *arg) {
  thief *t = arg;
  pthread_barrier_wait(&start);
  for (long i = 0; i < t->cycles; i++) {
    fake_conn *c = NULL;
    if (acquire_as_holder(t->pool, t->id, i, LP_ETIMEOUT, &c) != LP_OK) {
      t->refused++;
      continue;
    }
    t->got++;
    for (volatile int k = 0; k < (int)(i & 63); k++) { /* hold a little, sometimes: others find it busy */
    }
    atomic_store(&c->holder, 0);
    lp_pool_release(t->pool, c);
    if ((i & 3) == 0) sched_yield(); /* let the others find it idle, and owned by this thread */
  }
  return NULL;
}

/* has_cleanup: a cleanup thread every millisecond closes connections idle for a millisecond, claiming
 * owned idle slots too (the claim protocol with RESERVED as the goal). */
static void run(int max_connections, long cycles, bool has_cleanup) {
  lp_pool_config cfg = test_config(max_connections);
  cfg.acquire_timeout_ms = 0;
  if (has_cleanup) {
    cfg.clock_ms = NULL;
    cfg.cleanup_interval_ms = 1;
    cfg.max_idle_time_ms = 1;
    cfg.min_connections = 0;
  }
  lp_pool *pool = fixture_pool_make(&F, &cfg);
  thief ts[THREADS];
  pthread_t tids[THREADS];
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    ts[i] = (thief){.pool = pool, .id = i + 1, .cycles = cycles};
    pthread_create(&tids[i], NULL, thief_main, &ts[i]);
  }
  long got = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(tids[i], NULL);
    got += ts[i].got;
    if (ts[i].got == 0) LP_FAIL("%d connection(s): thread %d never got one", max_connections, ts[i].id);
  }
  pthread_barrier_destroy(&start);
  if (has_cleanup) {
    /* The cleanup thread may be mid-pass (a slot claimed, a connection being closed) at any instant; the
     * books are read only once close has stopped it, so they cannot be caught between two counters. */
    lp_error err;
    CHECK_OK(lp_pool_close(pool, 5000, &err), &err);
  }
  lp_pool_stats s;
  lp_pool_stats_get(pool, &s);
  CHECK_EQ(s.in_use, 0);
  if (!has_cleanup) CHECK_LE(s.connections_created, (uint64_t)max_connections);
  CHECK_LE(s.current_size, (uint64_t)max_connections);
  CHECK_EQ(s.pool_hits + s.pool_misses - s.timeouts, (uint64_t)got);
  fprintf(stderr, "   %d connection(s): %ld acquires, %llu refused, %llu created, %llu closed idle\n",
          max_connections, got, (unsigned long long)s.timeouts, (unsigned long long)s.connections_created,
          (unsigned long long)s.connections_expired);
  fixture_pool_finish(&F, pool);
}

int main(int argc, char **argv) {
  long cycles = argc > 1 && strcmp(argv[1], "--valgrind") == 0 ? VALGRIND_CYCLES : FULL_CYCLES;
  fprintf(stderr, "-- one connection, %d threads\n", THREADS);
  run(1, cycles, false);
  fprintf(stderr, "-- two connections, %d threads\n", THREADS);
  run(2, cycles, false);
  fprintf(stderr, "-- two connections, %d threads, idle ones closed by the cleanup thread\n", THREADS);
  run(2, cycles, true);
  return 0;
}
