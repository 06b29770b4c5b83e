/* Statistics: one snapshot summing every thread's counters, plus the wait figures kept under the lock. */
#include <stdatomic.h>
#include <string.h>

#include "pool/pool_int.h"

static void add_counters(lp__counters *sum, const lp__counters *c) {
#define ADD(field)                                                                 \
  atomic_store_explicit(&sum->field,                                               \
                        atomic_load_explicit(&sum->field, memory_order_relaxed) +  \
                            atomic_load_explicit(&c->field, memory_order_relaxed), \
                        memory_order_relaxed)
  ADD(hits);
  ADD(misses);
  ADD(miss_acquired);
  ADD(miss_reused);
  ADD(released);
  ADD(created);
  ADD(create_failures);
  ADD(destroyed);
  ADD(expired);
  ADD(validation_failures);
#undef ADD
}

static uint64_t get(const _Atomic uint64_t *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

static uint64_t diff(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0; /* only mid-flight can b pass a */
}

/* Sum the per-thread counters and copy the wait figures. Caller holds p->mu. */
static void collect_locked(lp_pool *p, lp__counters *sum, lp_pool_stats *out) {
  for (const lp__local *l = p->locals; l != NULL; l = l->next) add_counters(sum, &l->c);
  add_counters(sum, &p->spare.c);
  out->wait_count = p->wait_count;
  out->wait_time_total_ns = p->wait_total_ns;
  out->timeouts = p->timeouts;
  out->wait_p50_ns = lp__hist_percentile(&p->waits, 0.50);
  out->wait_p99_ns = lp__hist_percentile(&p->waits, 0.99);
  out->wait_max_ns = p->waits.max;
}

void lp_pool_stats_get(lp_pool *p, lp_pool_stats *out) {
  memset(out, 0, sizeof *out);
  if (p == NULL) return;
  lp__counters sum;
  memset(&sum, 0, sizeof sum);
  pthread_mutex_lock(&p->mu);
  collect_locked(p, &sum, out);
  pthread_mutex_unlock(&p->mu);

  uint64_t acquired = get(&sum.hits) + get(&sum.miss_acquired);
  out->connections_created = get(&sum.created);
  out->connections_reused = get(&sum.hits) + get(&sum.miss_reused);
  out->connections_expired = get(&sum.expired);
  out->pool_hits = get(&sum.hits);
  out->pool_misses = get(&sum.misses);
  out->current_size = diff(get(&sum.created), get(&sum.destroyed));
  out->in_use = diff(acquired, get(&sum.released));
  out->validation_failures = get(&sum.validation_failures);
  out->create_failures = get(&sum.create_failures);
  out->destroyed = get(&sum.destroyed);
  out->leaks_detected = atomic_load(&p->leaks);
  out->maintenance_runs = atomic_load(&p->maint_runs);
  out->maintenance_failures = atomic_load(&p->maint_failures);
  out->waiters = (uint64_t)atomic_load(&p->n_waiters);
  for (int i = 0; i < p->n_slots; i++) {
    out->available_connections += atomic_load_explicit(&p->slots[i].state, memory_order_relaxed) == LP__IDLE;
  }
}
