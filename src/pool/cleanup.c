/* The cleanup task: one pass closes idle connections past max age or max idle time (not below
 * min_connections), reopens up to min_connections and reports leaks. A thread runs it every
 * cleanup_interval_ms and, in between, refreshes the coarse clock every tick; stopping wakes it at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "pool/pool_int.h"

/* Take s out of the idle set for a check; false if someone else took it first. */
static bool reserve_idle(lp__local *loc, lp__slot *s) {
  return lp__slot_claim_idle(loc, s, LP__RESERVED);
}

static void evict_expired(lp_pool *p, lp__local *loc, int64_t now) {
  if (p->cfg.max_connection_age_ms == 0) return;
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    if (!lp__slot_is_expired(s, now) || !reserve_idle(loc, s)) continue;
    if (lp__slot_is_expired(s, now)) {
      lp__slot_retire(p, loc, s, true);
    } else {
      lp__slot_make_idle(p, loc, s); /* replaced meanwhile by a younger connection */
    }
  }
}

static int64_t idle_since(const lp__slot *s) {
  return atomic_load_explicit(&s->released_ms, memory_order_relaxed);
}

static int by_idle_since(const void *a, const void *b, void *slots) {
  int64_t ta = idle_since((const lp__slot *)slots + *(const int *)a);
  int64_t tb = idle_since((const lp__slot *)slots + *(const int *)b);
  return (ta > tb) - (ta < tb);
}

/* Close connections idle longer than max_idle_time_ms, longest idle first, while more than
 * min_connections are open. */
static void evict_idle(lp_pool *p, lp__local *loc, int64_t now) {
  if (p->cfg.max_idle_time_ms == 0) return;
  int *order = malloc((size_t)p->n_slots * sizeof *order);
  if (order == NULL) return; /* try again next pass */
  int n = 0;
  for (int i = 0; i < p->n_slots; i++) {
    const lp__slot *s = &p->slots[i];
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == LP__IDLE &&
        now - idle_since(s) > p->cfg.max_idle_time_ms) {
      order[n++] = i;
    }
  }
  qsort_r(order, (size_t)n, sizeof *order, by_idle_since, p->slots);
  int open = lp__slots_open(p);
  for (int k = 0; k < n && open > p->cfg.min_connections; k++) {
    lp__slot *s = &p->slots[order[k]];
    if (!reserve_idle(loc, s)) continue;
    if (now - idle_since(s) > p->cfg.max_idle_time_ms) {
      lp__slot_retire(p, loc, s, true);
      open--;
    } else {
      lp__slot_make_idle(p, loc, s); /* used again meanwhile */
    }
  }
  free(order);
}

/* Open connections (idle) until min_connections are open; stop at the first failure. */
static void refill(lp_pool *p, lp__local *loc) {
  while (!atomic_load(&p->is_closing) && lp__slots_open(p) < p->cfg.min_connections) {
    lp__slot *s = NULL;
    for (int i = 0; i < p->n_slots && s == NULL; i++) {
      if (lp__slot_claim(&p->slots[i], LP__EMPTY, LP__CREATING)) s = &p->slots[i];
    }
    if (s == NULL || lp__slot_fill(p, loc, s, LP__IDLE, NULL) != LP_OK) return;
  }
}

/* Read a held slot's lease consistently (seqlock); false if it changed meanwhile or is not held. */
static bool read_lease(const lp__slot *s, uint32_t *seq, int64_t *at, const char **file, int *line) {
  *seq = atomic_load_explicit(&s->lease_seq, memory_order_acquire);
  if ((*seq & 1) != 0 || *seq == 0) return false;
  *at = atomic_load_explicit(&s->acquired_ms, memory_order_acquire);
  *file = atomic_load_explicit(&s->acquired_file, memory_order_acquire);
  *line = atomic_load_explicit(&s->acquired_line, memory_order_acquire);
  return atomic_load_explicit(&s->lease_seq, memory_order_relaxed) == *seq &&
         atomic_load_explicit(&s->state, memory_order_relaxed) == LP__IN_USE;
}

/* Report each acquisition held past the threshold, once. Only one pass runs at a time (is_cleaning), so
 * leak_reported_seq has a single writer. */
static void report_leaks(lp_pool *p, int64_t now) {
  int64_t threshold = p->cfg.leak_detection_threshold_ms;
  if (threshold == 0) return;
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    uint32_t seq;
    int64_t at;
    const char *file;
    int line;
    if (!read_lease(s, &seq, &at, &file, &line) || now - at <= threshold || s->leak_reported_seq == seq)
      continue;
    s->leak_reported_seq = seq;
    atomic_fetch_add(&p->leaks, 1);
    lp__log(p, LP_POOL_LOG_WARN,
            "pool \"%s\": possible leak: connection #%llu held for %lld ms (threshold %lld ms), acquired at "
            "%s:%d",
            p->name, (unsigned long long)atomic_load_explicit(&s->serial, memory_order_relaxed),
            (long long)(now - at), (long long)threshold, file != NULL ? file : "unknown", line);
  }
}

/* factory.maintain, outside the lock (it may use the pool); is_maintaining keeps it to one call at a time. */
static void run_maintenance(lp_pool *p) {
  lp_error err = {0};
  atomic_fetch_add(&p->maint_runs, 1);
  if (p->factory.maintain(p->factory.ctx, p, &err) != LP_OK) {
    atomic_fetch_add(&p->maint_failures, 1);
    lp__log(p, LP_POOL_LOG_WARN, "pool \"%s\": maintenance failed: %s", p->name, err.message);
  }
  pthread_mutex_lock(&p->mu);
  p->is_maintaining = false;
  pthread_cond_broadcast(&p->state_cond); /* close may be waiting for it */
  pthread_mutex_unlock(&p->mu);
}

void lp__cleanup_pass(lp_pool *p, bool with_maintenance) {
  pthread_mutex_lock(&p->mu);
  while (p->is_cleaning) pthread_cond_wait(&p->state_cond, &p->mu);
  p->is_cleaning = true;
  pthread_mutex_unlock(&p->mu);

  lp__local *loc = lp__local_get(p);
  int64_t now = lp__pool_now(p);
  evict_expired(p, loc, now);
  evict_idle(p, loc, now);
  refill(p, loc);
  report_leaks(p, now);

  pthread_mutex_lock(&p->mu);
  p->is_cleaning = false;
  bool maintain = with_maintenance && p->factory.maintain != NULL && !p->is_maintaining && !atomic_load(&p->is_closing);
  if (maintain) p->is_maintaining = true;
  pthread_cond_broadcast(&p->state_cond);
  pthread_mutex_unlock(&p->mu);
  if (maintain) run_maintenance(p);
}

static int64_t real_ms(void) {
  return lp__real_ns() / 1000000;
}

/* The cleanup thread: a pass every interval, a coarse-clock refresh every tick, exit on is_stopping. */
static void *cleanup_main(void *arg) {
  lp_pool *p = arg;
  int64_t interval = p->cfg.cleanup_interval_ms;
  int64_t tick = interval < LP__TICK_MS ? interval : LP__TICK_MS;
  int64_t next_pass = real_ms() + interval;
  pthread_mutex_lock(&p->mu);
  while (!p->is_stopping) {
    int64_t now = real_ms();
    int64_t wake = now + tick < next_pass ? now + tick : next_pass;
    struct timespec at;
    lp__abs_deadline(wake - now, &at);
    pthread_cond_timedwait(&p->state_cond, &p->mu, &at);
    if (p->is_stopping) break;
    pthread_mutex_unlock(&p->mu);
    now = real_ms();
    if (now >= next_pass) {
      lp__cleanup_pass(p, true);
      next_pass = now + interval;
    } else {
      lp__pool_now(p);
    }
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Start the cleanup thread. Caller holds p->mu. */
static lp_status start_locked(lp_pool *p, lp_error *err) {
  p->is_stopping = false;
  atomic_store(&p->fork_gen, atomic_load(&lp__fork_generation));
  int rc = pthread_create(&p->thread, NULL, cleanup_main, p);
  if (rc != 0)
    return lp_error_set_errno(err, LP_EIO, rc, "pool \"%s\": starting the cleanup thread", p->name);
  p->has_thread = true;
  return LP_OK;
}

lp_status lp__cleanup_start(lp_pool *p, lp_error *err) {
  if (p->cfg.cleanup_interval_ms == 0) return LP_OK;
  pthread_mutex_lock(&p->mu);
  lp_status rc = start_locked(p, err);
  pthread_mutex_unlock(&p->mu);
  return rc;
}

/* After fork the child has no cleanup thread: start one on the first slow-path call. */
void lp__ensure_cleanup_thread(lp_pool *p) {
  unsigned gen = atomic_load(&lp__fork_generation);
  if (p->cfg.cleanup_interval_ms == 0 || atomic_load_explicit(&p->fork_gen, memory_order_relaxed) == gen)
    return;
  lp_status rc = LP_OK;
  pthread_mutex_lock(&p->mu);
  if (atomic_load(&p->fork_gen) != gen && !p->has_thread && !atomic_load(&p->is_closing))
    rc = start_locked(p, NULL);
  pthread_mutex_unlock(&p->mu);
  if (rc != LP_OK)
    lp__log(p, LP_POOL_LOG_ERROR, "pool \"%s\": could not restart the cleanup thread after fork", p->name);
}

/* Stop and join the cleanup thread; a concurrent second caller returns without waiting. */
void lp__cleanup_stop(lp_pool *p) {
  pthread_mutex_lock(&p->mu);
  while (p->is_maintaining) pthread_cond_wait(&p->state_cond, &p->mu); /* e.g. run by lp_pool_run_cleanup */
  if (!p->has_thread || p->is_stopping) {
    pthread_mutex_unlock(&p->mu);
    return;
  }
  p->is_stopping = true;
  pthread_t thread = p->thread;
  pthread_cond_broadcast(&p->state_cond);
  pthread_mutex_unlock(&p->mu);
  pthread_join(thread, NULL);
  pthread_mutex_lock(&p->mu);
  p->has_thread = false;
  pthread_mutex_unlock(&p->mu);
}
