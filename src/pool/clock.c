/* Time and randomness for the pool: the real monotonic clock (sleeping, wait statistics), the pool clock
 * (ages, idle times; injectable for tests) with its coarse copy, and a per-thread random generator. */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "pool/pool_int.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

int64_t lp__real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t lp__pool_clock(lp_pool *p) {
  if (p->cfg.clock_ms != NULL) return p->cfg.clock_ms(p->cfg.clock_ctx);
  return lp__real_ns() / NS_PER_MS;
}

/* Read the pool clock and raise coarse_ms to it. coarse_ms only moves forward, so a thread that read the
 * clock early cannot pull it back; the store is skipped when nothing changed, to leave the line shared. */
int64_t lp__pool_now(lp_pool *p) {
  int64_t now = lp__pool_clock(p);
  int64_t seen = atomic_load_explicit(&p->coarse_ms, memory_order_relaxed);
  while (seen < now && !atomic_compare_exchange_weak_explicit(&p->coarse_ms, &seen, now, memory_order_relaxed,
                                                              memory_order_relaxed)) {
  }
  return now;
}

/* An absolute CLOCK_MONOTONIC time timeout_ms from now, for pthread_cond_timedwait. */
void lp__abs_deadline(int64_t timeout_ms, struct timespec *out) {
  lp__abs_deadline_from(lp__real_ns(), timeout_ms, out);
}

/* The same, counted from from_ns (an lp__real_ns() reading) instead of now. */
void lp__abs_deadline_from(int64_t from_ns, int64_t timeout_ms, struct timespec *out) {
  int64_t at = from_ns + timeout_ms * NS_PER_MS;
  out->tv_sec = (time_t)(at / NS_PER_S);
  out->tv_nsec = (long)(at % NS_PER_S);
}

/* xorshift64*, one state per thread, seeded from the state's address and the time. Not for secrets. */
uint64_t lp__random(void) {
  static _Thread_local uint64_t state;
  if (state == 0)
    state = ((uint64_t)(uintptr_t)&state * UINT64_C(0x9E3779B97F4A7C15)) ^ (uint64_t)lp__real_ns();
  if (state == 0) state = 1;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * UINT64_C(0x2545F4914F6CDD1D);
}

/* A connection's lifetime: max_age minus a random jitter of up to 2.5%, so that connections created
 * together do not all expire together. 0 (no limit) stays 0. */
int64_t lp__jittered_age(int64_t max_age_ms, uint64_t random) {
  if (max_age_ms <= 0) return 0;
  int64_t span = max_age_ms * LP__JITTER_PER_MILLE / 1000;
  return max_age_ms - (int64_t)(random % (uint64_t)(span + 1));
}
