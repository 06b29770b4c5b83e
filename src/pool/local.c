/* Per-thread, per-pool records (lp__local): statistics counters and recently used slots, so that the fast
 * path writes only memory of its own thread. A thread finds its record through a small thread-local table
 * keyed by pool id (never by address, which a new pool may reuse, and never dereferencing a pool that may
 * be gone). Records are shared by the pool and the thread and freed by the last of the two to let go. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_int.h"

/* initial-exec: the fast path finds the table with one %fs-relative load even in the shared library (the
 * default model there calls __tls_get_addr on every acquire and release); the table is small enough for the
 * static TLS space a library may use. */
_Thread_local lp__tls lp__tls_table __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Let go of the thread's share: mark it orphan first, so a live pool may hand it to another thread. */
static void thread_drop(lp__local *loc) {
  atomic_store_explicit(&loc->is_orphan, true, memory_order_release);
  if (atomic_fetch_sub_explicit(&loc->refs, 1, memory_order_acq_rel) == 1) free(loc);
}

static void on_thread_exit(void *table) {
  lp__tls *t = table;
  for (int i = 0; i < LP__TLS_POOLS; i++) {
    if (t->e[i].loc != NULL) thread_drop(t->e[i].loc);
    t->e[i].pool_id = 0;
    t->e[i].loc = NULL;
  }
  t->has_exit_hook = false; /* a pool used by a later destructor re-arms it */
}

static void make_exit_key(void) {
  pthread_key_create(&exit_key, on_thread_exit);
}

static void forget_slots(lp__local *loc) {
  loc->n_cache = 0;
  loc->n_held = 0;
}

/* Take an orphan record of p, or make a new one. Caller holds p->mu. */
static lp__local *adopt_or_alloc(lp_pool *p) {
  for (lp__local *l = p->locals; l != NULL; l = l->next) {
    bool expected = true;
    if (atomic_load_explicit(&l->is_orphan, memory_order_relaxed) &&
        atomic_compare_exchange_strong_explicit(&l->is_orphan, &expected, false, memory_order_acq_rel,
                                                memory_order_relaxed)) {
      atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
      forget_slots(l);
      return l;
    }
  }
  lp__local *l = aligned_alloc(LP__CACHE_LINE, sizeof *l);
  if (l == NULL) return NULL;
  memset(l, 0, sizeof *l);
  atomic_init(&l->refs, 2);
  atomic_init(&l->is_orphan, false);
  l->tag = p->n_locals;
  l->home = p->n_locals++ % (uint32_t)p->n_slots;
  l->next = p->locals;
  p->locals = l;
  return l;
}

/* Slow part of lp__local_get: look further down the table, else register with the pool. The entry used
 * moves to the front; the last entry, if the table is full, is let go. */
lp__local *lp__local_get_slow(lp_pool *p) {
  lp__tls *t = &lp__tls_table;
  int at = -1;
  for (int i = 1; i < LP__TLS_POOLS; i++) {
    if (t->e[i].pool_id == p->id) at = i;
  }
  lp__tls_entry entry;
  if (at >= 0) {
    entry = t->e[at];
  } else {
    pthread_mutex_lock(&p->mu);
    lp__local *l = adopt_or_alloc(p);
    pthread_mutex_unlock(&p->mu);
    if (l == NULL) return NULL;
    entry.pool_id = p->id;
    entry.loc = l;
    at = LP__TLS_POOLS - 1;
    if (t->e[at].loc != NULL) thread_drop(t->e[at].loc);
    if (!t->has_exit_hook) {
      pthread_once(&exit_key_once, make_exit_key);
      pthread_setspecific(exit_key, t);
      t->has_exit_hook = true;
    }
  }
  memmove(&t->e[1], &t->e[0], (size_t)at * sizeof t->e[0]);
  t->e[0] = entry;
  return entry.loc;
}

/* The pool lets go of every record (lp_pool_destroy); the calling thread also lets go of its own. */
void lp__locals_free(lp_pool *p) {
  lp__tls *t = &lp__tls_table;
  for (int i = 0; i < LP__TLS_POOLS; i++) {
    if (t->e[i].pool_id != p->id) continue;
    thread_drop(t->e[i].loc);
    memmove(&t->e[i], &t->e[i + 1], (size_t)(LP__TLS_POOLS - 1 - i) * sizeof t->e[0]);
    t->e[LP__TLS_POOLS - 1].pool_id = 0;
    t->e[LP__TLS_POOLS - 1].loc = NULL;
    break;
  }
  lp__local *l = p->locals;
  while (l != NULL) {
    lp__local *next = l->next;
    if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1) free(l);
    l = next;
  }
  p->locals = NULL;
}

/* In a fork child: the records of threads that do not exist here become orphans held by the pool alone;
 * every counter restarts from zero. Runs single-threaded. */
void lp__locals_after_fork(lp_pool *p) {
  lp__tls *t = &lp__tls_table;
  for (lp__local *l = p->locals; l != NULL; l = l->next) {
    bool is_mine = false;
    for (int i = 0; i < LP__TLS_POOLS; i++) is_mine |= t->e[i].loc == l;
    memset(&l->c, 0, sizeof l->c);
    forget_slots(l);
    if (!is_mine) {
      atomic_store(&l->refs, 1);
      atomic_store(&l->is_orphan, true);
    }
  }
  memset(&p->spare.c, 0, sizeof p->spare.c);
}
