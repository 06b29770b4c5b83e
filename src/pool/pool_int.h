/* The pool's private structures, shared by the files of src/pool/ only.
 *
 * Design (HikariCP-like, see README "The pool"):
 * - The pool owns max_connections slots, allocated once. A slot is either empty or holds one connection, so
 *   the slot count is the bound on open connections and "reserving a slot" is one CAS EMPTY -> CREATING.
 * - A connection's state is its slot's atomic `state`, not a list: the acquire/release fast path changes it
 *   by CAS without any lock, which a list could not allow (STYLE.md's "state is the list it is on" habit
 *   does not fit a lock-free fast path). Whoever moves a slot out of IDLE or EMPTY owns it until it stores
 *   the next state; slot fields other than `state` are written only by the owner.
 * - Each thread keeps, per pool, a small list of the slots it released most recently and tries them first
 *   (LIFO order), and its own statistics counters; the snapshot sums them. Nothing shared is written on
 *   the fast path. A slot remembers which thread made it idle (`owner`); that thread takes it back with
 *   plain stores, no locked instruction, and every other claim of an owned idle slot pays the asymmetric
 *   barrier instead (lp__slot_owner_take, lp__slot_claim_idle).
 * - Waiters queue FIFO under `mu` (wait.c). A release looks at `n_waiters` after storing IDLE; if someone
 *   waits it takes the slot back and either hands it to the oldest waiter (once that one has waited
 *   LP__STARVE_NS) or leaves it idle and wakes the oldest waiter to take it. Making a slot free and a waiter
 *   enqueueing are each followed by a re-check of the other side (store state, load n_waiters /
 *   n_waiters++, rescan slots), ordered by seq_cst or by an asymmetric barrier (barrier.c, wait.c's
 *   recheck), so a free slot and a waiter can never both go unnoticed for long.
 * - Ages and idle times use `coarse_ms`, a copy of the clock refreshed by the cleanup thread every tick
 *   (at most a second) and by every slow path, so the fast path reads no clock unless validation or leak
 *   detection needs exact times. */
#ifndef LP_POOL_INT_H
#define LP_POOL_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lancepool/pool.h"

#define LP__CACHE_LINE 128        /* two lines: Intel's adjacent-line prefetch pairs them */
#define LP__LOCAL_CACHE 4         /* slots each thread remembers per pool, most recent first */
#define LP__LOCAL_HELD 8          /* slots each thread remembers holding, to find them on release */
#define LP__TLS_POOLS 4           /* pools a thread keeps a fast-path entry for */
#define LP__MAX_CONNECTIONS 65536 /* slots are allocated up front: keep that bounded */
#define LP__TICK_MS 1000          /* how stale coarse_ms may get while the cleanup thread runs */
#define LP__JITTER_PER_MILLE 25   /* max age jitter: up to 2.5% earlier */
/* A waiter older than this gets released connections directly. Measured in bench/pool_bench 8x4hold on the
 * shared 2-CPU machine: 1 ms left the max wait at 10-90x the median (the median is about this threshold,
 * the max is it plus the time a woken waiter waits for a CPU, up to tens of ms under load); 2 ms gave more
 * throughput and 6-8x; 0.3 ms, or handing off after 16 releases, fell below apr_reslist's throughput. */
#define LP__STARVE_NS 2000000
#define LP__RECHECK_MS 5 /* a waiter rechecks after this, then twice as long each time (wait.c) */

/* Slot states. */
enum {
  LP__EMPTY = 0,     /* no connection */
  LP__CREATING = 1,  /* a thread runs factory.create for this slot */
  LP__IDLE = 2,      /* connection available */
  LP__IN_USE = 3,    /* connection held by a caller (or being handed to a waiter) */
  LP__RESERVED = 4,  /* connection held by the pool: being checked or destroyed */
  LP__CLAIMED_BY = 8 /* and above: being claimed from IDLE by the record whose tag is state - 8 */
};

struct lp__local;

/* One connection place. Aligned to a cache line so that threads using different slots never share one. */
typedef struct lp__slot {
  _Atomic int state;
  /* Owner fast path (membarrier mode only, see lp__slot_owner_take): the record of the thread that made
   * the slot idle, NULL when any thread may claim it with a plain CAS; written while the slot is held. */
  _Atomic(struct lp__local *) owner;
  _Atomic int owner_busy;         /* written by the owner alone: 1 while it is taking the slot back */
  _Atomic(void *) conn;           /* owner-written; NULL when empty */
  _Atomic int64_t created_ms;     /* pool clock */
  _Atomic int64_t expires_ms;     /* created + max age - jitter; INT64_MAX for no limit */
  _Atomic int64_t released_ms;    /* last release (or creation): coarse, exact if validating */
  _Atomic uint64_t release_stamp; /* FIFO mode: pool-wide release order */
  /* Leak detection, written by the holder as a seqlock: lease_seq is odd while being written. */
  _Atomic uint32_t lease_seq;
  _Atomic int64_t acquired_ms;
  _Atomic(const char *) acquired_file;
  _Atomic int acquired_line;
  uint32_t leak_reported_seq; /* under pool->mu: lease_seq already reported */
  _Atomic uint64_t serial;    /* owner-written: connection number, for log lines */
} __attribute__((aligned(LP__CACHE_LINE))) lp__slot;

/* Per-thread counters. Each is written by one thread at a time (relaxed load + store, no lock prefix) and
 * read by snapshots; they only increase. */
typedef struct lp__counters {
  _Atomic uint64_t hits;          /* idle connection handed out at once (the only fast-path acquire count) */
  _Atomic uint64_t misses;        /* had to create or wait */
  _Atomic uint64_t miss_acquired; /* misses that ended with a connection */
  _Atomic uint64_t miss_reused;   /* ... an existing one, handed over after waiting */
  _Atomic uint64_t released;
  _Atomic uint64_t created, create_failures, destroyed, expired, validation_failures;
} lp__counters;

/* What one thread keeps for one pool: its counters and its recent slots. Owned jointly by the pool (its
 * list `locals`) and the thread (its TLS table), freed by whichever drops the last reference. A thread
 * that exits or forgets the pool marks it orphan; the pool then gives it to the next thread that
 * registers, so thread churn does not grow the list. */
typedef struct lp__local {
  lp__counters c;
  uint32_t cache[LP__LOCAL_CACHE]; /* owner thread only: slot indexes, most recently released first */
  int n_cache;
  uint32_t held[LP__LOCAL_HELD]; /* owner thread only: slots it acquired, newest at held[n_held - 1] */
  int n_held;
  _Atomic int refs;       /* pool + thread */
  _Atomic bool is_orphan; /* no thread uses it */
  uint32_t home;          /* where this thread's scans for an idle slot start, so threads spread out */
  uint32_t tag;           /* unique among the pool's records (below 2^30): names its claims (slot.c) */
  bool is_spare;          /* the pool's fallback for threads whose record could not be allocated:
                             shared, so counted with atomic adds and without recent-slot lists */
  struct lp__local *next; /* pool->locals, under pool->mu */
} __attribute__((aligned(LP__CACHE_LINE))) lp__local;

/* A thread's table of its records, most recently used pool first. */
typedef struct lp__tls_entry {
  uint64_t pool_id; /* 0 = unused */
  lp__local *loc;   /* the thread's reference */
} lp__tls_entry;
typedef struct lp__tls {
  lp__tls_entry e[LP__TLS_POOLS];
  bool has_exit_hook;
} lp__tls;
extern _Thread_local lp__tls lp__tls_table __attribute__((tls_model("initial-exec")));

/* Wait-time histogram: log-linear buckets, 16 per power of two, so percentiles are within about 6%. */
#define LP__HIST_SUB 16
#define LP__HIST_BUCKETS (64 * LP__HIST_SUB)
typedef struct lp__hist {
  uint64_t count;
  uint64_t max;
  uint64_t buckets[LP__HIST_BUCKETS];
} lp__hist;

/* A thread waiting in acquire, on its own stack, queued on pool->waiters under pool->mu. */
typedef struct lp__waiter {
  struct lp__waiter *next;
  pthread_cond_t cond;
  lp__slot *slot;       /* handed over: IN_USE with a connection, or CREATING (a ticket to create one) */
  lp_status status;     /* LP_ECLOSED when woken by close */
  int64_t start_ns;     /* when it started waiting (real clock) */
  _Atomic bool is_done; /* slot handed over or status set; written under pool->mu */
  bool is_sleeping;     /* under pool->mu: on its condition variable, needs a signal */
  bool is_woken;        /* under pool->mu: woken to try for an idle connection */
} lp__waiter;

struct lp_pool {
  /* Read-only after creation. */
  lp_pool_config cfg; /* cfg.name points to `name` */
  lp_pool_factory factory;
  char *name;
  uint64_t id; /* unique per process: keys the thread-local tables (pool addresses get reused) */
  lp__slot *slots;
  int n_slots;
  bool has_exact_release_time; /* validate_on_acquire: release stamps read the clock */
  pthread_condattr_t cond_attr;

  /* Read on every release, written rarely. */
  _Atomic int n_waiters __attribute__((aligned(LP__CACHE_LINE)));
  _Atomic bool is_closing;
  _Atomic int64_t coarse_ms;
  _Atomic uint64_t release_seq; /* FIFO mode only */

  /* Everything below is under mu. */
  pthread_mutex_t mu __attribute__((aligned(LP__CACHE_LINE)));
  lp__waiter *wait_head, *wait_tail; /* FIFO */
  bool has_awake_waiter;             /* the oldest waiter was woken to try for an idle connection */
  pthread_cond_t state_cond;         /* slot emptied while closing; cleanup pass finished; stop request */
  bool is_cleaning;                  /* a cleanup pass is running */
  bool is_maintaining;               /* factory.maintain is running (outside the lock) */
  bool is_stopping;                  /* the cleanup thread must exit */
  bool has_thread;
  pthread_t thread;
  _Atomic unsigned fork_gen; /* lp__fork_generation when the cleanup thread was started */
  lp__local *locals;
  uint32_t n_locals; /* records ever made: the next record's home */
  uint64_t wait_count, wait_total_ns, timeouts;
  lp__hist waits;
  lp__local spare; /* see lp__local.is_spare */

  _Atomic uint64_t leaks;       /* leak reports */
  _Atomic uint64_t maint_runs, maint_failures; /* factory.maintain calls and their failures */
  _Atomic uint64_t next_serial; /* connection numbers for log lines */
  struct lp_pool *reg_next;     /* fork registry, under its own lock */
};

/* clock.c */
int64_t lp__real_ns(void);
int64_t lp__pool_clock(lp_pool *p); /* pool clock in ms */
int64_t lp__pool_now(lp_pool *p);   /* pool clock in ms; also refreshes coarse_ms */
int64_t lp__jittered_age(int64_t max_age_ms, uint64_t random);
void lp__abs_deadline(int64_t timeout_ms, struct timespec *out);
void lp__abs_deadline_from(int64_t from_ns, int64_t timeout_ms, struct timespec *out);
uint64_t lp__random(void);

/* local.c */
lp__local *lp__local_get_slow(lp_pool *p);
void lp__locals_free(lp_pool *p);
void lp__locals_after_fork(lp_pool *p);

/* The calling thread's record for p: one compare when p is the pool it used last. Falls back to the
 * pool's shared spare record when a new record cannot be allocated, so it never fails. */
static inline lp__local *lp__local_get(lp_pool *p) {
  if (__builtin_expect(lp__tls_table.e[0].pool_id == p->id, 1)) return lp__tls_table.e[0].loc;
  lp__local *loc = lp__local_get_slow(p);
  return loc != NULL ? loc : &p->spare;
}

/* Add n to one of loc's counters. A record has one writer at a time, so a relaxed load and store do
 * (no locked instruction), except on the shared spare record. */
#define LP__COUNT(loc, field, n) lp__count_add((loc), &(loc)->c.field, (n))
static inline void lp__count_add(lp__local *loc, _Atomic uint64_t *c, uint64_t n) {
  if (__builtin_expect(loc->is_spare, 0)) {
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
    return;
  }
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* slot.c */
static inline uint32_t lp__slot_index(const lp_pool *p, const lp__slot *s) {
  return (uint32_t)(s - p->slots);
}
lp_status lp__slot_fill(lp_pool *p, lp__local *loc, lp__slot *s, int final_state, lp_error *err);
void lp__slot_retire(lp_pool *p, lp__local *loc, lp__slot *s, bool is_expired);
void lp__slot_settle_contended(lp_pool *p, lp__local *loc, lp__slot *s);
int lp__slots_open(const lp_pool *p);

/* Move s from one state to another; true if this thread did it (and now owns s). */
static inline bool lp__slot_claim(lp__slot *s, int from, int to) {
  return atomic_compare_exchange_strong_explicit(&s->state, &from, to, memory_order_acq_rel,
                                                 memory_order_relaxed);
}

static inline bool lp__slot_is_expired(const lp__slot *s, int64_t now_ms) {
  return now_ms >= atomic_load_explicit(&s->expires_ms, memory_order_relaxed);
}

/* Someone waits or the pool is closing: the two events after which a freed slot needs more than a store.
 * seq_cst, to pair with the seq_cst state store before it (see the top of this file). */
static inline bool lp__gate_busy(lp_pool *p) {
  return atomic_load(&p->n_waiters) > 0 || atomic_load(&p->is_closing);
}

/* barrier.c */
extern _Atomic bool lp__has_membarrier;
void lp__barrier_init(void);
void lp__heavy_barrier(void);
void lp__barrier_after_fork(void);

/* Return a connection the caller owns to the idle set. Storing IDLE then re-checking the gate is the fast
 * path (ordered by lp__heavy_barrier() on the other side, else by seq_cst); when someone waits or the pool
 * closes, lp__slot_settle_contended takes the slot back and hands it on (it may have gone to a running
 * thread meanwhile, which is fine). */
static inline void lp__slot_make_idle(lp_pool *p, lp__local *loc, lp__slot *s) {
  if (__builtin_expect(atomic_load_explicit(&lp__has_membarrier, memory_order_relaxed), 1)) {
    atomic_store_explicit(&s->owner, loc->is_spare ? NULL : loc, memory_order_relaxed);
    atomic_store_explicit(&s->state, LP__IDLE, memory_order_release);
    atomic_signal_fence(memory_order_seq_cst); /* keep the compiler from moving the gate load up */
  } else {
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
    atomic_store(&s->state, LP__IDLE);
  }
  if (__builtin_expect(!lp__gate_busy(p), 1)) return;
  if (lp__slot_claim(s, LP__IDLE, LP__RESERVED)) lp__slot_settle_contended(p, loc, s);
}

/* The owner of an idle slot (the thread that released it, on its own record) takes it back without a
 * locked instruction: announce itself in owner_busy, then check the slot is still idle and its own, then
 * store IN_USE. Any other thread claims an owned slot through lp__slot_claim_idle, which moves it to
 * a state of its own (LP__CLAIMED_BY + its record's tag), runs the heavy barrier and then reads owner_busy:
 * either the owner's check sees that state and gives up, or the claimer sees owner_busy set and waits for
 * the owner's verdict: the state still its own (the owner gave up), or overwritten by the owner's IN_USE.
 * The claimer's state names it, so that it cannot mistake a later claim by a third thread (after the
 * owner won and released) for its own.
 * The asymmetric barrier orders the two sides as in lp__slot_make_idle; without membarrier (or on the
 * shared spare record) owners claim by CAS like everyone else. */
static inline bool lp__slot_owner_take(lp__local *loc, lp__slot *s) {
  atomic_store_explicit(&s->owner_busy, 1, memory_order_relaxed);
  atomic_signal_fence(memory_order_seq_cst); /* the loads below stay after the store (barrier.c) */
  bool is_mine = atomic_load_explicit(&s->state, memory_order_acquire) == LP__IDLE &&
                 atomic_load_explicit(&s->owner, memory_order_relaxed) == loc;
  if (is_mine) atomic_store_explicit(&s->state, LP__IN_USE, memory_order_relaxed);
  atomic_store_explicit(&s->owner_busy, 0, memory_order_release);
  return is_mine;
}

/* Claim an idle slot (IDLE -> to) from any thread that may not be its owner; true if this thread now owns
 * it. slot.c. */
bool lp__slot_claim_idle(lp__local *loc, lp__slot *s, int to);

/* idx was just released by this thread: move it to the front of its recent list (LIFO). */
static inline void lp__local_note_released(lp__local *loc, uint32_t idx) {
  if (loc->n_cache > 0 && loc->cache[0] == idx) return;
  if (loc->is_spare) return;
  int at = loc->n_cache; /* where idx is now, n_cache if absent */
  for (int i = 1; i < loc->n_cache; i++) {
    if (loc->cache[i] == idx) at = i;
  }
  if (at == loc->n_cache) {
    if (loc->n_cache < LP__LOCAL_CACHE) {
      loc->n_cache++;
    } else {
      at = LP__LOCAL_CACHE - 1; /* full: the oldest falls off */
    }
  }
  for (int i = at; i > 0; i--) loc->cache[i] = loc->cache[i - 1];
  loc->cache[0] = idx;
}

/* This thread now holds idx; remember it to find it on release. When full, the oldest is forgotten
 * (release then finds it by scanning every slot). */
static inline void lp__local_note_held(lp__local *loc, uint32_t idx) {
  if (loc->is_spare) return;
  if (loc->n_held == LP__LOCAL_HELD) {
    for (int i = 1; i < LP__LOCAL_HELD; i++) loc->held[i - 1] = loc->held[i];
    loc->n_held--;
  }
  loc->held[loc->n_held++] = idx;
}

static inline void lp__local_forget_held(lp__local *loc, int at) {
  for (int i = at + 1; i < loc->n_held; i++) loc->held[i - 1] = loc->held[i];
  loc->n_held--;
}

/* wait.c */
bool lp__give_or_put_back(lp_pool *p, lp__slot *s, bool has_conn);
bool lp__release_contended(lp_pool *p, lp__slot *s);
void lp__offer_free_slots(lp_pool *p, lp__local *loc);
lp_status lp__wait_for_slot(lp_pool *p, lp__local *loc, const struct timespec *deadline, int64_t since_ns,
                            lp__slot **out, lp_error *err);
void lp__wake_all_waiters(lp_pool *p, lp_status status);

/* cleanup.c */
/* One cleanup pass; then factory.maintain when with_maintenance (not for the prefill at creation). */
void lp__cleanup_pass(lp_pool *p, bool with_maintenance);
lp_status lp__cleanup_start(lp_pool *p, lp_error *err);
void lp__cleanup_stop(lp_pool *p);
void lp__ensure_cleanup_thread(lp_pool *p);

/* hist.c */
void lp__hist_record(lp__hist *h, uint64_t value);
uint64_t lp__hist_percentile(const lp__hist *h, double q);

/* fork.c */
extern _Atomic unsigned lp__fork_generation;
void lp__fork_register(lp_pool *p);
void lp__fork_unregister(lp_pool *p);

/* pool.c */
void lp__log(lp_pool *p, lp_pool_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
