/* Acquire: the calling thread's recently released slots first (no lock, no shared write), then every
 * slot, then a new connection in a free slot, then the wait queue. */
#include <stdatomic.h>
#include <stdint.h>

#include "pool/pool_int.h"

/* Record who holds s, for leak reports: a seqlock write (lease_seq odd while the fields change). The
 * fields are release stores, so a reader that sees a new field also sees the odd sequence number (no
 * fences: ThreadSanitizer does not model them). */
static void note_lease(lp_pool *p, lp__slot *s, const char *file, int line) {
  uint32_t seq = atomic_load_explicit(&s->lease_seq, memory_order_relaxed);
  atomic_store_explicit(&s->lease_seq, seq + 1, memory_order_relaxed);
  atomic_store_explicit(&s->acquired_ms, lp__pool_clock(p), memory_order_release);
  atomic_store_explicit(&s->acquired_file, file, memory_order_release);
  atomic_store_explicit(&s->acquired_line, line, memory_order_release);
  atomic_store_explicit(&s->lease_seq, seq + 2, memory_order_release);
}

/* The caller now holds s (IN_USE): remember it for release and leak reports. */
static inline __attribute__((always_inline)) void note_checkout(lp_pool *p, lp__local *loc, lp__slot *s,
                                                                const char *file, int line) {
  if (p->cfg.leak_detection_threshold_ms > 0) note_lease(p, s, file, line);
  lp__local_note_held(loc, lp__slot_index(p, s));
}

/* Validate an idle connection unless it was released within the bypass window. */
static lp_status validate(lp_pool *p, lp__local *loc, lp__slot *s) {
  int64_t idle_ms = lp__pool_clock(p) - atomic_load_explicit(&s->released_ms, memory_order_relaxed);
  if (idle_ms < p->cfg.validation_bypass_ms) return LP_OK;
  lp_error verr;
  lp_error_clear(&verr);
  lp_status rc =
      p->factory.validate(p->factory.ctx, atomic_load_explicit(&s->conn, memory_order_relaxed), &verr);
  if (rc == LP_OK) return LP_OK;
  LP__COUNT(loc, validation_failures, 1);
  lp__log(p, LP_POOL_LOG_INFO, "pool \"%s\": connection #%llu failed validation, destroyed: %s", p->name,
          (unsigned long long)atomic_load_explicit(&s->serial, memory_order_relaxed),
          verr.message[0] != '\0' ? verr.message : lp_status_str(rc));
  return rc;
}

/* The caller just took s from the idle set (IN_USE). Keep it if it is not expired and validates; else
 * destroy it and return false. */
static inline __attribute__((always_inline)) bool check_out(lp_pool *p, lp__local *loc, lp__slot *s,
                                                            const char *file, int line) {
  if (lp__slot_is_expired(s, atomic_load_explicit(&p->coarse_ms, memory_order_relaxed))) {
    lp__slot_retire(p, loc, s, true);
    return false;
  }
  if (p->cfg.validate_on_acquire && p->factory.validate != NULL && validate(p, loc, s) != LP_OK) {
    lp__slot_retire(p, loc, s, false);
    return false;
  }
  note_checkout(p, loc, s, file, line);
  return true;
}

/* Fast path (LIFO only): the slots this thread released most recently, newest first. */
static lp__slot *take_recent(lp_pool *p, lp__local *loc, const char *file, int line) {
  for (int i = 0; i < loc->n_cache; i++) {
    lp__slot *s = &p->slots[loc->cache[i]];
    if (atomic_load_explicit(&s->state, memory_order_relaxed) != LP__IDLE) continue;
    bool is_owner = atomic_load_explicit(&s->owner, memory_order_relaxed) == loc &&
                    atomic_load_explicit(&lp__has_membarrier, memory_order_relaxed);
    if (is_owner ? !lp__slot_owner_take(loc, s) : !lp__slot_claim_idle(loc, s, LP__IN_USE)) continue;
    if (check_out(p, loc, s, file, line)) return s;
  }
  return NULL;
}

/* LIFO: the first idle slot from the thread's home slot on, so that threads settle on different
 * connections (each then keeps its own warm, through its recent list). FIFO: the idle slot released
 * longest ago. */
static lp__slot *pick_idle(lp_pool *p, const lp__local *loc) {
  lp__slot *best = NULL;
  uint64_t best_stamp = UINT64_MAX;
  for (int k = 0; k < p->n_slots; k++) {
    int i = (int)((loc->home + (uint32_t)k) % (uint32_t)p->n_slots);
    lp__slot *s = &p->slots[i];
    if (atomic_load_explicit(&s->state, memory_order_relaxed) != LP__IDLE) continue;
    if (p->cfg.idle_order == LP_POOL_LIFO) return s;
    uint64_t stamp = atomic_load_explicit(&s->release_stamp, memory_order_relaxed);
    if (stamp < best_stamp) {
      best = s;
      best_stamp = stamp;
    }
  }
  return best;
}

static lp__slot *take_any_idle(lp_pool *p, lp__local *loc, const char *file, int line) {
  lp__slot *s;
  while ((s = pick_idle(p, loc)) != NULL) {
    if (lp__slot_claim_idle(loc, s, LP__IN_USE) && check_out(p, loc, s, file, line)) return s;
  }
  return NULL;
}

static lp__slot *claim_empty(lp_pool *p) {
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == LP__EMPTY &&
        lp__slot_claim(s, LP__EMPTY, LP__CREATING)) {
      return s;
    }
  }
  return NULL;
}

static lp_status closed_error(lp_pool *p, lp_error *err) {
  return lp_error_set(err, LP_ECLOSED, "pool \"%s\": closing, acquire refused", p->name);
}

/* Create a connection into s (CREATING, owned by the caller) and hand it out. */
static lp_status create_for_caller(lp_pool *p, lp__local *loc, lp__slot *s, void **out_conn, const char *file,
                                   int line, lp_error *err) {
  LP_TRY(lp__slot_fill(p, loc, s, LP__IN_USE, err));
  note_checkout(p, loc, s, file, line);
  LP__COUNT(loc, miss_acquired, 1);
  *out_conn = atomic_load_explicit(&s->conn, memory_order_relaxed);
  return LP_OK;
}

static lp_status no_wait_error(lp_pool *p, lp_error *err) {
  pthread_mutex_lock(&p->mu);
  p->timeouts++;
  pthread_mutex_unlock(&p->mu);
  return lp_error_set(err, LP_ETIMEOUT, "pool \"%s\": all %d connections in use and acquire_timeout_ms is 0",
                      p->name, p->n_slots);
}

/* Slow path: any idle slot, else a new connection, else wait in line. Newcomers do not take idle or free
 * slots while others wait: those go to the oldest waiter. */
static lp_status acquire_slow(lp_pool *p, lp__local *loc, void **out_conn, const char *file, int line,
                              lp_error *err) {
  lp__ensure_cleanup_thread(p);
  lp__pool_now(p);
  if (atomic_load(&p->n_waiters) == 0) {
    lp__slot *s = take_any_idle(p, loc, file, line);
    if (s != NULL) {
      LP__COUNT(loc, hits, 1);
      *out_conn = atomic_load_explicit(&s->conn, memory_order_relaxed);
      return LP_OK;
    }
  }
  LP__COUNT(loc, misses, 1);
  struct timespec deadline;
  lp__abs_deadline(p->cfg.acquire_timeout_ms, &deadline);
  for (;;) {
    if (atomic_load(&p->is_closing)) return closed_error(p, err);
    lp__slot *s = atomic_load(&p->n_waiters) == 0 ? claim_empty(p) : NULL;
    if (s != NULL) return create_for_caller(p, loc, s, out_conn, file, line, err);
    if (p->cfg.acquire_timeout_ms == 0) return no_wait_error(p, err);
    LP_TRY(lp__wait_for_slot(p, loc, &deadline, &s, err));
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == LP__CREATING) {
      return create_for_caller(p, loc, s, out_conn, file, line, err);
    }
    if (check_out(p, loc, s, file, line)) {
      LP__COUNT(loc, miss_acquired, 1);
      LP__COUNT(loc, miss_reused, 1);
      *out_conn = atomic_load_explicit(&s->conn, memory_order_relaxed);
      return LP_OK;
    }
    /* Handed a connection that failed validation or had expired: it is gone; go round again. */
  }
}

lp_status lp_pool_acquire_at(lp_pool *p, void **out_conn, const char *file, int line, lp_error *err) {
  if (p == NULL || out_conn == NULL) {
    return lp_error_set(err, LP_EINVAL, "lp_pool_acquire: pool and out_conn must not be NULL");
  }
  *out_conn = NULL;
  if (atomic_load_explicit(&p->is_closing, memory_order_relaxed)) return closed_error(p, err);
  lp__local *loc = lp__local_get(p);
  lp__slot *s = p->cfg.idle_order == LP_POOL_LIFO ? take_recent(p, loc, file, line) : NULL;
  if (s == NULL) return acquire_slow(p, loc, out_conn, file, line, err);
  LP__COUNT(loc, hits, 1);
  *out_conn = atomic_load_explicit(&s->conn, memory_order_relaxed);
  return LP_OK;
}

lp_status(lp_pool_acquire)(lp_pool *pool, void **out_conn, lp_error *err) {
  return lp_pool_acquire_at(pool, out_conn, "unknown", 0, err);
}

lp_pool_lease lp_pool_lease_acquire_at(lp_pool *pool, const char *file, int line, lp_error *err) {
  lp_pool_lease lease = {.pool = pool, .conn = NULL, .status = LP_OK, .is_broken = false};
  lease.status = lp_pool_acquire_at(pool, &lease.conn, file, line, err);
  return lease;
}
