/* Waiters: callers that found no idle connection and no free slot queue here, first come first served,
 * under pool->mu. A freed slot goes to the oldest waiter directly. A released connection wakes the oldest
 * waiter, or is handed to it directly once it has waited LP__STARVE_NS, so a running thread may overtake a
 * waiter only briefly; waiters never overtake each other. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "pool/pool_int.h"

/* w leaves the queue: if it was the woken one, the next release may wake another. Caller holds p->mu. */
static void left_queue(lp_pool *p, lp__waiter *w) {
  if (w->is_woken) {
    w->is_woken = false;
    p->has_awake_waiter = false;
  }
  atomic_fetch_sub(&p->n_waiters, 1);
}

/* Caller holds p->mu. */
static lp__waiter *pop_oldest(lp_pool *p) {
  lp__waiter *w = p->wait_head;
  if (w == NULL) return NULL;
  p->wait_head = w->next;
  if (p->wait_head == NULL) p->wait_tail = NULL;
  left_queue(p, w);
  return w;
}

/* Caller holds p->mu. */
static void enqueue(lp_pool *p, lp__waiter *w) {
  w->next = NULL;
  if (p->wait_tail != NULL) {
    p->wait_tail->next = w;
  } else {
    p->wait_head = w;
  }
  p->wait_tail = w;
  atomic_fetch_add(&p->n_waiters, 1); /* seq_cst: before the rescan in lp__wait_for_slot */
}

/* Caller holds p->mu; w is queued. */
static void unlink_waiter(lp_pool *p, lp__waiter *w) {
  lp__waiter *prev = NULL;
  for (lp__waiter *it = p->wait_head; it != NULL; prev = it, it = it->next) {
    if (it != w) continue;
    if (prev != NULL) {
      prev->next = w->next;
    } else {
      p->wait_head = w->next;
    }
    if (p->wait_tail == w) p->wait_tail = prev;
    left_queue(p, w);
    return;
  }
}

/* Hand s to w, popped from the queue. Caller holds the pool lock. */
static void hand_to(lp__waiter *w, lp__slot *s, bool has_conn) {
  atomic_store_explicit(&s->state, has_conn ? LP__IN_USE : LP__CREATING, memory_order_relaxed);
  w->slot = s;
  atomic_store_explicit(&w->is_done, true, memory_order_release);
  if (w->is_sleeping) pthread_cond_signal(&w->cond);
}

/* Give s, which the caller owns, to the oldest waiter: a connection (has_conn) or a free place to create
 * one. With nobody waiting, put it back (IDLE or EMPTY) under the lock, so a waiter that enqueues next
 * sees it in its rescan. Returns false only for a connection while closing: the caller must retire it. */
bool lp__give_or_put_back(lp_pool *p, lp__slot *s, bool has_conn) {
  bool is_kept = true;
  pthread_mutex_lock(&p->mu);
  lp__waiter *w = atomic_load(&p->is_closing) ? NULL : pop_oldest(p);
  if (w != NULL) {
    hand_to(w, s, has_conn);
  } else if (has_conn && atomic_load(&p->is_closing)) {
    is_kept = false;
  } else {
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
    atomic_store(&s->state, has_conn ? LP__IDLE : LP__EMPTY);
    if (!has_conn && atomic_load(&p->is_closing)) pthread_cond_broadcast(&p->state_cond);
  }
  pthread_mutex_unlock(&p->mu);
  return is_kept;
}

/* A released connection while someone waits. If the oldest waiter has waited LP__STARVE_NS or more, it
 * gets the connection directly (FIFO). Otherwise the connection goes idle, where a running thread may
 * take it at once (the throughput of a busy pool comes from running threads not stopping for sleeping
 * ones), and the oldest waiter is woken to try for it. Like Go's sync.Mutex: barging while waits are
 * short, strict handoff once a waiter starves, so no waiter waits much longer than the threshold.
 * Returns false while closing: the caller must retire the connection. */
bool lp__release_contended(lp_pool *p, lp__slot *s) {
  pthread_mutex_lock(&p->mu);
  if (atomic_load(&p->is_closing)) {
    pthread_mutex_unlock(&p->mu);
    return false;
  }
  lp__waiter *w = p->wait_head;
  if (w != NULL && lp__real_ns() - w->start_ns >= LP__STARVE_NS) {
    hand_to(pop_oldest(p), s, true);
  } else {
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
    atomic_store(&s->state, LP__IDLE);
    if (w != NULL && !p->has_awake_waiter) {
      p->has_awake_waiter = true;
      w->is_woken = true;
      if (w->is_sleeping) pthread_cond_signal(&w->cond);
    }
  }
  pthread_mutex_unlock(&p->mu);
  return true;
}

/* A waiter just enqueued: hand every idle connection and free slot to the queue, oldest first, in case
 * they were freed before the waiter became visible. */
void lp__offer_free_slots(lp_pool *p, lp__local *loc) {
  for (int i = 0; i < p->n_slots && atomic_load(&p->n_waiters) > 0; i++) {
    lp__slot *s = &p->slots[i];
    int st = atomic_load(&s->state); /* seq_cst: after the n_waiters increment (see pool_int.h) */
    if (st == LP__IDLE && lp__slot_claim_idle(loc, s, LP__RESERVED)) {
      if (!lp__give_or_put_back(p, s, true)) lp__slot_retire(p, loc, s, false);
    } else if (st == LP__EMPTY && lp__slot_claim(s, LP__EMPTY, LP__CREATING)) {
      lp__give_or_put_back(p, s, false);
    }
  }
}

/* Caller holds p->mu. */
static void record_wait(lp_pool *p, int64_t start_ns) {
  int64_t waited = lp__real_ns() - start_ns;
  uint64_t ns = waited > 0 ? (uint64_t)waited : 0;
  p->wait_count++;
  p->wait_total_ns += ns;
  lp__hist_record(&p->waits, ns);
}

static lp_status wait_refused(lp_pool *p, lp_error *err) {
  if (atomic_load(&p->is_closing)) {
    return lp_error_set(err, LP_ECLOSED, "pool \"%s\": closing, acquire refused", p->name);
  }
  return lp_error_set(err, LP_EBUSY, "pool \"%s\": %d callers already waiting (max_waiters %d)", p->name,
                      atomic_load(&p->n_waiters), p->cfg.max_waiters);
}

/* Any idle connection, claimed for the caller (IN_USE); NULL if none. */
static lp__slot *grab_idle(lp_pool *p, lp__local *loc) {
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    if (lp__slot_claim_idle(loc, s, LP__IN_USE)) return s;
  }
  return NULL;
}

/* Woken to try for an idle connection (see lp__release_contended). Caller holds p->mu, which is dropped
 * during the scan. A slot handed over meanwhile wins; the one grabbed is then returned in *extra. */
static void try_when_woken(lp_pool *p, lp__local *loc, lp__waiter *w, lp__slot **extra) {
  w->is_woken = false;
  p->has_awake_waiter = false;
  pthread_mutex_unlock(&p->mu);
  lp__slot *s = grab_idle(p, loc);
  pthread_mutex_lock(&p->mu);
  if (s == NULL) return;
  if (atomic_load_explicit(&w->is_done, memory_order_relaxed)) {
    *extra = s;
    return;
  }
  unlink_waiter(p, w);
  w->slot = s;
  atomic_store_explicit(&w->is_done, true, memory_order_relaxed);
}

/* Earlier of two absolute times. */
static const struct timespec *earlier(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec) ? a : b;
}

/* A release racing with this waiter's enqueue may have missed it while its IDLE was not yet visible to
 * the rescan (with membarrier, releases use plain stores). The next release would see the waiter; in case
 * none comes, the waiter's sleeps are capped (LP__RECHECK_MS, doubling each time) and each is followed by
 * the heavy barrier and a rescan. Paying the barrier only then keeps its cost (an interrupt on every CPU
 * running this process) off short waits. Caller holds p->mu, which is dropped meanwhile. */
static void recheck(lp_pool *p, lp__local *loc) {
  pthread_mutex_unlock(&p->mu);
  lp__heavy_barrier();
  lp__offer_free_slots(p, loc);
  pthread_mutex_lock(&p->mu);
}

/* Sleep until a slot is handed over, the waiter is woken to try for an idle one, or the deadline passes.
 * Caller holds p->mu; w is queued. */
static lp_status wait_loop(lp_pool *p, lp__local *loc, lp__waiter *w, const struct timespec *deadline,
                           lp__slot **extra) {
  bool is_late = false;
  bool has_rechecks = atomic_load_explicit(&lp__has_membarrier, memory_order_relaxed);
  int64_t recheck_ms = LP__RECHECK_MS;
  struct timespec recheck_at;
  lp__abs_deadline(recheck_ms, &recheck_at);
  for (;;) {
    if (atomic_load_explicit(&w->is_done, memory_order_relaxed)) return w->status;
    if (w->is_woken) {
      try_when_woken(p, loc, w, extra);
      continue;
    }
    const struct timespec *until = has_rechecks ? earlier(&recheck_at, deadline) : deadline;
    if (is_late && until == &recheck_at) {
      is_late = false;
      recheck(p, loc);
      recheck_ms *= 2;
      lp__abs_deadline(recheck_ms, &recheck_at);
      continue;
    }
    if (is_late) {
      unlink_waiter(p, w);
      p->timeouts++;
      return LP_ETIMEOUT;
    }
    w->is_sleeping = true;
    is_late = pthread_cond_timedwait(&w->cond, &p->mu, until) == ETIMEDOUT;
    w->is_sleeping = false;
  }
}

/* Queue and wait, up to the absolute CLOCK_MONOTONIC deadline, for a slot: on LP_OK *out is owned by the
 * caller, IN_USE with a connection or CREATING (create one into it). LP_ETIMEOUT, LP_EBUSY (max_waiters),
 * LP_ECLOSED. */
lp_status lp__wait_for_slot(lp_pool *p, lp__local *loc, const struct timespec *deadline, lp__slot **out,
                            lp_error *err) {
  lp__waiter w = {.slot = NULL, .status = LP_OK, .is_done = false};
  pthread_mutex_lock(&p->mu);
  bool is_full = p->cfg.max_waiters > 0 && atomic_load(&p->n_waiters) >= p->cfg.max_waiters;
  if (atomic_load(&p->is_closing) || is_full) {
    pthread_mutex_unlock(&p->mu);
    return wait_refused(p, err);
  }
  pthread_cond_init(&w.cond, &p->cond_attr);
  w.start_ns = lp__real_ns();
  enqueue(p, &w);
  pthread_mutex_unlock(&p->mu);

  lp__offer_free_slots(p, loc); /* see also recheck() */

  lp__slot *extra = NULL;
  pthread_mutex_lock(&p->mu);
  lp_status rc = wait_loop(p, loc, &w, deadline, &extra);
  record_wait(p, w.start_ns);
  int n_waiting = atomic_load(&p->n_waiters);
  pthread_mutex_unlock(&p->mu);
  pthread_cond_destroy(&w.cond);
  if (extra != NULL) lp__slot_make_idle(p, loc, extra);
  if (n_waiting > 0) lp__offer_free_slots(p, loc); /* idle ones freed while this waiter was the awake one */

  if (rc == LP_ETIMEOUT) {
    return lp_error_set(
        err, LP_ETIMEOUT,
        "pool \"%s\": acquire timed out after %lld ms (all %d connections in use, %d waiting)", p->name,
        (long long)p->cfg.acquire_timeout_ms, p->n_slots, n_waiting);
  }
  if (rc != LP_OK)
    return lp_error_set(err, rc, "pool \"%s\": closed while waiting for a connection", p->name);
  *out = w.slot;
  return LP_OK;
}

/* Wake every waiter with status (close). Caller holds p->mu. */
void lp__wake_all_waiters(lp_pool *p, lp_status status) {
  lp__waiter *w;
  while ((w = pop_oldest(p)) != NULL) {
    w->status = status;
    atomic_store_explicit(&w->is_done, true, memory_order_release);
    if (w->is_sleeping) pthread_cond_signal(&w->cond);
  }
  p->has_awake_waiter = false;
}
