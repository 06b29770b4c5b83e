/* lancepool: a generic, thread-safe pool of connections of any kind, given a factory.
 *
 * Thread safety: every function in this header may be called from any thread at any time, except
 * lp_pool_destroy(), which must be the last call on a pool. Factory, clock and log callbacks are never
 * called while the pool holds its lock, so they may block; they must not call back into the same pool.
 *
 * Errors: fallible functions return an lp_status and take `lp_error *err` last (err may be NULL); the
 * message says what failed, including the factory's own text when the factory failed.
 *
 * Fork: after fork() the child's copy of every pool starts empty. The parent's connections are forgotten
 * (the child never validates, resets, hands out or destroys them, and their memory stays allocated in the
 * child), statistics restart from zero, waiters and the cleanup thread (which do not exist in the child)
 * are dropped, and the cleanup thread is started again on the child's first slow-path call. Releasing in
 * the child a connection acquired in the parent is ignored (and logged). */
#ifndef LANCEPOOL_POOL_H
#define LANCEPOOL_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "lancepool/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pool of connections. Opaque; create with lp_pool_create(), free with lp_pool_destroy(). */
typedef struct lp_pool lp_pool;

/* How the pool makes, checks and closes connections. Copied by lp_pool_create(); ctx is borrowed and must
 * outlive the pool. Every callback may run on any thread that uses the pool, or on its cleanup thread. */
typedef struct lp_pool_factory {
  /* Required. Opens a connection into *out_conn (not NULL). On failure fill err; its message is passed on
   * to the caller of lp_pool_acquire(). */
  lp_status (*create)(void *ctx, void **out_conn, lp_error *err);
  /* Required. Closes a connection the pool owns; called once per successful create. */
  void (*destroy)(void *ctx, void *conn);
  /* Optional. Is an idle connection still usable? Called on acquire when validate_on_acquire is set; a
   * failure destroys the connection and the pool tries the next one. */
  lp_status (*validate)(void *ctx, void *conn, lp_error *err);
  /* Optional. Returns a released connection to a clean state; a failure destroys the connection. */
  lp_status (*reset)(void *ctx, void *conn, lp_error *err);
  /* Optional. The resource's own upkeep (say, compacting the table behind the connections), run by every
   * cleanup pass after the pool's own work: on the cleanup thread every cleanup_interval_ms, or by
   * lp_pool_run_cleanup(). Never under the pool lock and never twice at once (a pass that finds it running
   * skips it), so it may acquire and release connections of `pool` (passed in, since the callback may run
   * before lp_pool_create() has returned the pointer to its caller). A failure is logged (WARN) and
   * counted in maintenance_failures; the next pass runs it again. Closing the pool waits for a running call
   * to return; acquires made by it then fail with LP_ECLOSED. */
  lp_status (*maintain)(void *ctx, lp_pool *pool, lp_error *err);
  void *ctx;
} lp_pool_factory;

typedef enum lp_pool_idle_order {
  LP_POOL_LIFO = 0, /* most recently released first: keeps warm connections warm, lets the rest idle out */
  LP_POOL_FIFO = 1  /* least recently released first: spreads use over every connection */
} lp_pool_idle_order;

typedef enum lp_pool_log_level {
  LP_POOL_LOG_DEBUG = 0,
  LP_POOL_LOG_INFO = 1,
  LP_POOL_LOG_WARN = 2,
  LP_POOL_LOG_ERROR = 3
} lp_pool_log_level;

/* A monotonic clock in milliseconds. Called from any thread. */
typedef int64_t (*lp_pool_clock_fn)(void *ctx);
/* Receives one line (no newline) per event: leaks, failed creates, validations and resets. Called from any
 * thread, never under the pool lock; message is valid only during the call. */
typedef void (*lp_pool_log_fn)(void *ctx, lp_pool_log_level level, const char *message);

/* Pool settings: a plain value. lp_pool_config_init() fills the defaults shown; lp_pool_create() copies it.
 * Times are milliseconds; negative times are rejected. */
typedef struct lp_pool_config {
  const char *name;                    /* "lancepool": in log lines and metrics; copied */
  int max_connections;                 /* 10: upper bound on open connections (idle, in use or opening) */
  int min_connections;                 /* 2: kept open by the cleanup task; 0..max_connections */
  int64_t max_idle_time_ms;            /* 300000: idle longer is closed, down to min_connections; 0 = never */
  int64_t max_connection_age_ms;       /* 3600000: older is closed (minus up to 2.5% jitter); 0 = never */
  int64_t acquire_timeout_ms;          /* 30000: how long acquire waits; 0 = fail at once */
  int64_t cleanup_interval_ms;         /* 60000: period of the cleanup thread; 0 = no thread */
  bool validate_on_acquire;            /* false: call factory.validate before handing out an idle one */
  int64_t validation_bypass_ms;        /* 500: skip validation if released less than this ago */
  int64_t leak_detection_threshold_ms; /* 0 = off: log connections held longer, with their acquire site */
  int max_waiters;                     /* 0 = unbounded: beyond it acquire fails at once with LP_EBUSY */
  lp_pool_idle_order idle_order;       /* LP_POOL_LIFO */
  lp_pool_clock_fn clock_ms;           /* NULL = CLOCK_MONOTONIC; for tests. Drives ages, idle times, the
                                          validation bypass and leak detection (not sleeping: see below) */
  void *clock_ctx;                     /* passed to clock_ms; borrowed */
  lp_pool_log_fn log;                  /* NULL = silent */
  void *log_ctx;                       /* passed to log; borrowed */
} lp_pool_config;

/* One snapshot of a pool's counters. Counters only increase; gauges are the state at the snapshot. The
 * snapshot is exact whenever no acquire, release or cleanup is in flight. */
typedef struct lp_pool_stats {
  uint64_t connections_created;   /* counter: successful factory creates */
  uint64_t connections_reused;    /* counter: acquires that got an existing connection */
  uint64_t connections_expired;   /* counter: closed for exceeding max age or max idle time */
  uint64_t pool_hits;             /* counter: an idle connection was handed out at once */
  uint64_t pool_misses;           /* counter: the caller had to create or wait */
  uint64_t current_size;          /* gauge: open connections (created - destroyed) */
  uint64_t available_connections; /* gauge: idle connections */
  uint64_t in_use;                /* gauge: connections held by callers */
  uint64_t waiters;               /* gauge: callers waiting in acquire */
  uint64_t wait_count;            /* counter: acquires that waited (including those that timed out) */
  uint64_t wait_time_total_ns;    /* counter: total time spent waiting */
  uint64_t timeouts;              /* counter: acquires that failed with LP_ETIMEOUT */
  uint64_t validation_failures;   /* counter: validations that failed (the connection was destroyed) */
  uint64_t create_failures;       /* counter: factory creates that failed */
  uint64_t destroyed;             /* counter: connections destroyed, for any reason */
  uint64_t leaks_detected;        /* counter: acquisitions held past leak_detection_threshold_ms */
  uint64_t maintenance_runs;      /* counter: calls of factory.maintain */
  uint64_t maintenance_failures;  /* counter: of those, failures */
  uint64_t wait_p50_ns;           /* wait time of acquires that waited: median (about 6% resolution) */
  uint64_t wait_p99_ns;           /* 99th percentile */
  uint64_t wait_max_ns;           /* maximum, exact */
} lp_pool_stats;

/* Fill cfg with the defaults above. cfg is caller-owned. Thread-safe. */
LP_API void lp_pool_config_init(lp_pool_config *cfg);

/* Create a pool: checks cfg (LP_EINVAL with the offending field: max_connections < 1, min > max, a
 * negative time or count, a missing create/destroy), opens min_connections connections (a failure there is
 * logged and counted, not fatal: the cleanup task retries), and starts the cleanup thread. The injected
 * clock never drives sleeping: acquire timeouts, close deadlines and the cleanup interval use the real
 * monotonic clock. On LP_OK the caller owns *out_pool; free with lp_pool_destroy(). Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_pool_create(const lp_pool_config *cfg, const lp_pool_factory *factory,
                                              lp_pool **out_pool, lp_error *err);

/* Close the pool if lp_pool_close() has not finished, without waiting, then free it. Connections still in
 * use are destroyed too (logged as an error): release everything first, or call lp_pool_close() with a
 * deadline. Must be the last call on the pool, made when no other thread uses it. Accepts NULL. */
LP_API void lp_pool_destroy(lp_pool *pool);

/* Borrow a connection: an idle one if any (validated first if validate_on_acquire), else a new one while
 * the pool is below max_connections (the factory runs without the pool lock), else wait in line (first
 * come, first served among waiters) until one is released, up to acquire_timeout_ms. The calling thread's
 * own most recently released connections are tried first, without any lock.
 * Errors: LP_ETIMEOUT when the wait runs out, LP_EBUSY when max_waiters are already waiting, LP_ECLOSED
 * once lp_pool_close() has begun, LP_EFACTORY with the factory's message when creating failed (the slot is
 * given back), LP_EINVAL for NULL arguments.
 * On LP_OK the caller owns *out_conn until lp_pool_release() or lp_pool_release_broken(); it may release it
 * from another thread. Thread-safe. Must not be called from a factory callback of the same pool.
 * The macro of the same name records the call site (file:line) for leak reports; (lp_pool_acquire)(...)
 * or a function pointer calls the function, which records the site as "unknown". */
LP_API LP_MUST_CHECK lp_status lp_pool_acquire(lp_pool *pool, void **out_conn, lp_error *err);

/* lp_pool_acquire() with an explicit call site for leak reports; file must be a string that outlives the
 * acquisition (a literal). Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_pool_acquire_at(lp_pool *pool, void **out_conn, const char *file, int line,
                                                  lp_error *err);

#define lp_pool_acquire(pool, out_conn, err) lp_pool_acquire_at((pool), (out_conn), __FILE__, __LINE__, (err))

/* Give back a connection from lp_pool_acquire(). The factory's reset runs first (a failure destroys the
 * connection); a connection past its max age, or released while the pool is closing, is destroyed;
 * otherwise it goes back to the idle set, first in line for this thread's next acquire. When callers wait,
 * the oldest is woken to take it, and a waiter that has waited 2 ms or more gets it handed directly, so no
 * waiter is overtaken for long. Ownership returns to the pool. Releasing a connection the pool does not
 * hold is logged and ignored. Thread-safe; any thread may release; accepts NULL conn. */
LP_API void lp_pool_release(lp_pool *pool, void *conn);

/* Give back a connection that must not be reused (an I/O error, a protocol desync): it is destroyed and its
 * slot freed for a new connection. Thread-safe; accepts NULL conn. */
LP_API void lp_pool_release_broken(lp_pool *pool, void *conn);

/* A connection acquired for one scope: see LP_POOL_SCOPED_ACQUIRE. A plain value. */
typedef struct lp_pool_lease {
  lp_pool *pool;    /* borrowed */
  void *conn;       /* the connection, NULL if the acquire failed or after lp_pool_lease_end() */
  lp_status status; /* the acquire's status: check it before using conn */
  bool is_broken;   /* set it to release the connection as broken */
} lp_pool_lease;

/* Acquire into a lease (status and conn filled in; the error, if any, in err). Thread-safe. */
LP_API lp_pool_lease lp_pool_lease_acquire_at(lp_pool *pool, const char *file, int line, lp_error *err);

/* Release a lease's connection (as broken if lease->is_broken) and clear lease->conn; does nothing when it
 * holds none, so it may be called early and again by the scope's cleanup. Thread-safe. */
LP_API void lp_pool_lease_end(lp_pool_lease *lease);

/* Declare `lp_pool_lease name` holding a connection acquired from pool, released when name goes out of
 * scope on every path, early returns included (GCC/Clang cleanup attribute). The acquire site is recorded
 * for leak reports. Check name.status before use:
 *
 *   LP_POOL_SCOPED_ACQUIRE(lease, pool, err);
 *   LP_TRY(lease.status);
 *   my_db *db = lease.conn;
 */
#define LP_POOL_SCOPED_ACQUIRE(name, pool, err)                    \
  lp_pool_lease name __attribute__((cleanup(lp_pool_lease_end))) = \
      lp_pool_lease_acquire_at((pool), __FILE__, __LINE__, (err))

/* Begin closing and wait for the pool to drain: new acquires fail with LP_ECLOSED, waiters are woken with
 * LP_ECLOSED, idle connections are destroyed at once, connections in use are destroyed when released, and
 * the cleanup thread stops. Waits until every connection is destroyed or timeout_ms passes (negative = no
 * limit): LP_ETIMEOUT then, naming how many are still in use; the pool stays closing and may be closed
 * again. Thread-safe; must not be called from a factory callback. */
LP_API LP_MUST_CHECK lp_status lp_pool_close(lp_pool *pool, int64_t timeout_ms, lp_error *err);

/* Run one cleanup pass now on the calling thread: close idle connections past max age or max idle time
 * (not below min_connections), reopen up to min_connections, report leaks, then run factory.maintain (if
 * set and not already running). The cleanup thread runs the same pass every cleanup_interval_ms. Returns LP_ECLOSED on a closing pool, else LP_OK (failures to open
 * are logged and counted). Thread-safe; waits for a pass already running on another thread. */
LP_API lp_status lp_pool_run_cleanup(lp_pool *pool, lp_error *err);

/* Fill *out with a snapshot of the pool's statistics. *out is caller-owned. Thread-safe. */
LP_API void lp_pool_stats_get(lp_pool *pool, lp_pool_stats *out);

/* Render stats in the Prometheus text exposition format (version 0.0.4), every metric labelled
 * pool="<pool_name>" (escaped). On LP_OK the caller owns *out_text, a NUL-terminated string: free() it.
 * LP_ENOMEM, LP_EINVAL for NULL arguments. Thread-safe. */
LP_API LP_MUST_CHECK lp_status lp_pool_stats_prometheus(const lp_pool_stats *stats, const char *pool_name,
                                                        char **out_text, lp_error *err);

/* The pool's name, as configured. Borrowed; valid until lp_pool_destroy(). Thread-safe. */
LP_API const char *lp_pool_name(const lp_pool *pool);

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_POOL_H */
