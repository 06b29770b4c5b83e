/* Slot transitions that own a connection's life: fill (factory create), make idle, retire (factory
 * destroy). The caller always owns the slot it passes (it moved it out of IDLE or EMPTY itself). */
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>

#include "pool/pool_int.h"

/* Connections open or opening: every slot that is not empty. A racy count, exact when quiet. */
int lp__slots_open(const lp_pool *p) {
  int n = 0;
  for (int i = 0; i < p->n_slots; i++)
    n += atomic_load_explicit(&p->slots[i].state, memory_order_relaxed) != LP__EMPTY;
  return n;
}

/* A slot just became EMPTY (seq_cst store done): wake close() if closing, else let the oldest waiter use
 * the freed place to create a connection. */
static void after_emptied(lp_pool *p, lp__slot *s) {
  if (atomic_load(&p->is_closing)) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->state_cond);
    pthread_mutex_unlock(&p->mu);
    return;
  }
  if (atomic_load(&p->n_waiters) > 0 && lp__slot_claim(s, LP__EMPTY, LP__CREATING)) {
    lp__give_or_put_back(p, s, false);
  }
}

/* Tags for claims made on the shared spare record, which several threads may use at once. */
static _Atomic uint32_t spare_tags;

bool lp__slot_claim_idle(lp__local *loc, lp__slot *s, int to) {
  if (atomic_load_explicit(&s->state, memory_order_relaxed) != LP__IDLE) return false;
  /* Records' tags are below 2^30; the spare's claims take tags from 2^30 up, so none is another's. */
  uint32_t tag =
      loc->is_spare
          ? (1u << 30) | (atomic_fetch_add_explicit(&spare_tags, 1, memory_order_relaxed) & 0x1fffffffu)
          : loc->tag & 0x3fffffffu;
  int mine = LP__CLAIMED_BY + (int)tag;
  if (!lp__slot_claim(s, LP__IDLE, mine)) return false;
  lp__local *owner = atomic_load_explicit(&s->owner, memory_order_relaxed);
  if (owner != NULL && owner != loc) {
    /* The owner may be inside lp__slot_owner_take: after the barrier it either sees our state or has
     * announced itself; then wait for its few instructions to end and see whether it overwrote us. */
    lp__heavy_barrier();
    while (atomic_load_explicit(&s->owner_busy, memory_order_acquire) != 0) sched_yield();
    return lp__slot_claim(s, mine, to);
  }
  atomic_store_explicit(&s->state, to, memory_order_relaxed);
  return true;
}

/* Destroy the slot's connection (outside any lock) and free the slot. */
void lp__slot_retire(lp_pool *p, lp__local *loc, lp__slot *s, bool is_expired) {
  void *conn = atomic_load_explicit(&s->conn, memory_order_relaxed);
  atomic_store_explicit(&s->conn, NULL, memory_order_relaxed);
  p->factory.destroy(p->factory.ctx, conn);
  LP__COUNT(loc, destroyed, 1);
  if (is_expired) LP__COUNT(loc, expired, 1);
  atomic_store(&s->state, LP__EMPTY);
  after_emptied(p, s);
}

/* s (holding a connection, owned by the caller) was freed while someone waits or the pool closes. */
void lp__slot_settle_contended(lp_pool *p, lp__local *loc, lp__slot *s) {
  if (!lp__release_contended(p, s)) lp__slot_retire(p, loc, s, false);
}

static lp_status fill_failed(lp_pool *p, lp__local *loc, lp__slot *s, lp_status rc, const lp_error *ferr,
                             lp_error *err) {
  LP__COUNT(loc, create_failures, 1);
  atomic_store(&s->state, LP__EMPTY);
  after_emptied(p, s); /* the place is free again: never leak a slot */
  const char *why = ferr->message[0] != '\0' ? ferr->message : lp_status_str(rc);
  lp__log(p, LP_POOL_LOG_WARN, "pool \"%s\": factory create failed: %s", p->name, why);
  return lp_error_set(err, LP_EFACTORY, "pool \"%s\": factory create failed: %s", p->name, why);
}

/* Open a connection into s, which the caller holds in CREATING, running the factory without any lock.
 * final_state IN_USE keeps it for the caller; IDLE gives it to the pool. On failure the slot is freed
 * and LP_EFACTORY carries the factory's message. */
lp_status lp__slot_fill(lp_pool *p, lp__local *loc, lp__slot *s, int final_state, lp_error *err) {
  lp_error ferr;
  lp_error_clear(&ferr);
  void *conn = NULL;
  lp_status rc = p->factory.create(p->factory.ctx, &conn, &ferr);
  if (rc == LP_OK && conn == NULL)
    rc = lp_error_set(&ferr, LP_EFACTORY, "create gave LP_OK but no connection");
  if (rc != LP_OK) return fill_failed(p, loc, s, rc, &ferr, err);

  int64_t now = lp__pool_now(p);
  int64_t life = lp__jittered_age(p->cfg.max_connection_age_ms, lp__random());
  atomic_store_explicit(&s->conn, conn, memory_order_relaxed);
  atomic_store_explicit(&s->created_ms, now, memory_order_relaxed);
  atomic_store_explicit(&s->expires_ms, life > 0 ? now + life : INT64_MAX, memory_order_relaxed);
  atomic_store_explicit(&s->released_ms, now, memory_order_relaxed);
  atomic_store_explicit(&s->serial, atomic_fetch_add(&p->next_serial, 1) + 1, memory_order_relaxed);
  LP__COUNT(loc, created, 1);
  if (atomic_load(&p->is_closing)) {
    lp__slot_retire(p, loc, s, false);
    return lp_error_set(err, LP_ECLOSED, "pool \"%s\": closed while opening a connection", p->name);
  }
  if (final_state == LP__IDLE) {
    lp__slot_make_idle(p, loc, s);
  } else {
    atomic_store_explicit(&s->state, LP__IN_USE, memory_order_release);
  }
  return LP_OK;
}
