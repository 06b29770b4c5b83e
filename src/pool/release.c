/* Release: find the caller's slot (normally in its own held list), then reset, retire or return it. */
#include <stdatomic.h>
#include <stdint.h>

#include "pool/pool_int.h"

static bool holds(const lp__slot *s, const void *conn) {
  return atomic_load_explicit(&s->conn, memory_order_relaxed) == conn &&
         atomic_load_explicit(&s->state, memory_order_acquire) == LP__IN_USE;
}

/* The slot holding conn: the calling thread's held list first (newest first), else every slot, for a
 * connection acquired on another thread. A live connection is in exactly one slot. */
static lp__slot *find_held(lp_pool *p, lp__local *loc, const void *conn) {
  for (int i = loc->n_held - 1; i >= 0; i--) {
    lp__slot *s = &p->slots[loc->held[i]];
    if (holds(s, conn)) {
      lp__local_forget_held(loc, i);
      return s;
    }
  }
  for (int i = 0; i < p->n_slots; i++) {
    if (holds(&p->slots[i], conn)) return &p->slots[i];
  }
  return NULL;
}

/* Run the factory's reset (there is one); false if it failed (the caller then destroys the connection). */
static bool reset_ok(lp_pool *p, lp__slot *s) {
  lp_error rerr;
  lp_error_clear(&rerr);
  lp_status rc =
      p->factory.reset(p->factory.ctx, atomic_load_explicit(&s->conn, memory_order_relaxed), &rerr);
  if (rc == LP_OK) return true;
  lp__log(p, LP_POOL_LOG_INFO, "pool \"%s\": connection #%llu failed reset, destroyed: %s", p->name,
          (unsigned long long)atomic_load_explicit(&s->serial, memory_order_relaxed),
          rerr.message[0] != '\0' ? rerr.message : lp_status_str(rc));
  return false;
}

/* Stamp the release: the coarse clock, or the real one when validation needs exact idle times. */
static void stamp_release(lp_pool *p, lp__slot *s) {
  int64_t now = p->has_exact_release_time ? lp__pool_clock(p)
                                          : atomic_load_explicit(&p->coarse_ms, memory_order_relaxed);
  if (atomic_load_explicit(&s->released_ms, memory_order_relaxed) != now) {
    atomic_store_explicit(&s->released_ms, now, memory_order_relaxed);
  }
  if (p->cfg.idle_order == LP_POOL_FIFO) {
    atomic_store_explicit(&s->release_stamp,
                          atomic_fetch_add_explicit(&p->release_seq, 1, memory_order_relaxed),
                          memory_order_relaxed);
  }
}

static void release_common(lp_pool *p, void *conn, bool is_broken) {
  if (p == NULL || conn == NULL) return;
  lp__local *loc = lp__local_get(p);
  lp__slot *s = find_held(p, loc, conn);
  if (s == NULL) {
    lp__log(p, LP_POOL_LOG_ERROR, "pool \"%s\": release of a connection the pool does not hold (%p), ignored",
            p->name, conn);
    return;
  }
  LP__COUNT(loc, released, 1);
  if (is_broken || (p->factory.reset != NULL && !reset_ok(p, s)) ||
      atomic_load_explicit(&p->is_closing, memory_order_relaxed)) {
    lp__slot_retire(p, loc, s, false);
    return;
  }
  if (lp__slot_is_expired(s, atomic_load_explicit(&p->coarse_ms, memory_order_relaxed))) {
    lp__slot_retire(p, loc, s, true);
    return;
  }
  stamp_release(p, s);
  lp__local_note_released(loc, lp__slot_index(p, s));
  lp__slot_make_idle(p, loc, s);
}

void lp_pool_release(lp_pool *pool, void *conn) {
  release_common(pool, conn, false);
}

void lp_pool_release_broken(lp_pool *pool, void *conn) {
  release_common(pool, conn, true);
}

void lp_pool_lease_end(lp_pool_lease *lease) {
  if (lease == NULL || lease->conn == NULL) return;
  release_common(lease->pool, lease->conn, lease->is_broken);
  lease->conn = NULL;
}
