/* Pool lifetime: configuration, create, close (drain) and destroy, logging. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_int.h"

#define LOG_LINE_BYTES 512

static _Atomic uint64_t next_pool_id = 1;

void lp_pool_config_init(lp_pool_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->name = "lancepool";
  cfg->max_connections = 10;
  cfg->min_connections = 2;
  cfg->max_idle_time_ms = 300000;
  cfg->max_connection_age_ms = 3600000;
  cfg->acquire_timeout_ms = 30000;
  cfg->cleanup_interval_ms = 60000;
  cfg->validate_on_acquire = false;
  cfg->validation_bypass_ms = 500;
  cfg->leak_detection_threshold_ms = 0;
  cfg->max_waiters = 0;
  cfg->idle_order = LP_POOL_LIFO;
}

void lp__log(lp_pool *p, lp_pool_log_level level, const char *fmt, ...) {
  if (p->cfg.log == NULL) return;
  char line[LOG_LINE_BYTES];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  p->cfg.log(p->cfg.log_ctx, level, line);
}

static lp_status check_times(const lp_pool_config *c, lp_error *err) {
  const struct {
    const char *name;
    int64_t value;
  } times[] = {
      {"max_idle_time_ms", c->max_idle_time_ms},
      {"max_connection_age_ms", c->max_connection_age_ms},
      {"acquire_timeout_ms", c->acquire_timeout_ms},
      {"cleanup_interval_ms", c->cleanup_interval_ms},
      {"validation_bypass_ms", c->validation_bypass_ms},
      {"leak_detection_threshold_ms", c->leak_detection_threshold_ms},
  };
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
    if (times[i].value < 0) {
      return lp_error_set(err, LP_EINVAL, "pool config: %s must be 0 or more, got %lld", times[i].name,
                          (long long)times[i].value);
    }
  }
  return LP_OK;
}

static lp_status check_config(const lp_pool_config *c, const lp_pool_factory *f, lp_error *err) {
  if (c->max_connections < 1 || c->max_connections > LP__MAX_CONNECTIONS) {
    return lp_error_set(err, LP_EINVAL, "pool config: max_connections must be 1..%d, got %d",
                        LP__MAX_CONNECTIONS, c->max_connections);
  }
  if (c->min_connections < 0 || c->min_connections > c->max_connections) {
    return lp_error_set(err, LP_EINVAL,
                        "pool config: min_connections must be 0..max_connections (%d), got %d",
                        c->max_connections, c->min_connections);
  }
  if (c->max_waiters < 0) {
    return lp_error_set(err, LP_EINVAL, "pool config: max_waiters must be 0 (unbounded) or more, got %d",
                        c->max_waiters);
  }
  if (c->idle_order != LP_POOL_LIFO && c->idle_order != LP_POOL_FIFO) {
    return lp_error_set(err, LP_EINVAL,
                        "pool config: idle_order must be LP_POOL_LIFO or LP_POOL_FIFO, got %d",
                        (int)c->idle_order);
  }
  if (f == NULL || f->create == NULL || f->destroy == NULL) {
    return lp_error_set(err, LP_EINVAL, "pool factory: create and destroy are required");
  }
  return check_times(c, err);
}

/* Allocate and initialise everything but connections and the thread. */
static lp_status pool_new(const lp_pool_config *cfg, const lp_pool_factory *factory, lp_pool **out,
                          lp_error *err) {
  lp_pool *p = NULL;
  if (posix_memalign((void **)&p, LP__CACHE_LINE, sizeof *p) != 0) goto fail_oom;
  memset(p, 0, sizeof *p);
  p->cfg = *cfg;
  p->factory = *factory;
  p->name = strdup(cfg->name != NULL ? cfg->name : "lancepool");
  if (p->name == NULL) goto fail_pool;
  p->cfg.name = p->name;
  p->n_slots = cfg->max_connections;
  if (posix_memalign((void **)&p->slots, LP__CACHE_LINE, (size_t)p->n_slots * sizeof *p->slots) != 0)
    goto fail_name;
  memset(p->slots, 0, (size_t)p->n_slots * sizeof *p->slots);
  p->id = atomic_fetch_add(&next_pool_id, 1);
  p->has_exact_release_time = cfg->validate_on_acquire && factory->validate != NULL;
  p->spare.is_spare = true;
  pthread_condattr_init(&p->cond_attr);
  pthread_condattr_setclock(&p->cond_attr, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->state_cond, &p->cond_attr);
  *out = p;
  return LP_OK;
fail_name:
  free(p->name);
fail_pool:
  free(p);
fail_oom:
  return lp_error_set(err, LP_ENOMEM, "pool: out of memory");
}

static void pool_free(lp_pool *p) {
  lp__locals_free(p);
  pthread_cond_destroy(&p->state_cond);
  pthread_mutex_destroy(&p->mu);
  pthread_condattr_destroy(&p->cond_attr);
  free(p->slots);
  free(p->name);
  free(p);
}

lp_status lp_pool_create(const lp_pool_config *cfg, const lp_pool_factory *factory, lp_pool **out_pool,
                         lp_error *err) {
  if (cfg == NULL || out_pool == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_pool_create: cfg and out_pool must not be NULL");
  *out_pool = NULL;
  LP_TRY(check_config(cfg, factory, err));
  lp__barrier_init();
  lp_pool *p = NULL;
  LP_TRY(pool_new(cfg, factory, &p, err));
  lp__pool_now(p);
  lp__fork_register(p);
  lp__cleanup_pass(p, false); /* prefill min_connections; the resource is upkept from the first interval on */
  lp_status rc = lp__cleanup_start(p, err);
  if (rc != LP_OK) {
    lp_pool_destroy(p);
    return rc;
  }
  *out_pool = p;
  return LP_OK;
}

/* Set is_closing and wake every waiter with LP_ECLOSED; stop the cleanup thread. */
static void begin_close(lp_pool *p) {
  pthread_mutex_lock(&p->mu);
  if (!atomic_load(&p->is_closing)) {
    atomic_store(&p->is_closing, true); /* seq_cst: pairs with the re-check after a release's store */
    lp__wake_all_waiters(p, LP_ECLOSED);
  }
  pthread_mutex_unlock(&p->mu);
  lp__heavy_barrier(); /* every release from now on sees is_closing, or its IDLE is seen by destroy_idle */
  lp__cleanup_stop(p);
}

static void destroy_idle(lp_pool *p, lp__local *loc) {
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    if (lp__slot_claim_idle(loc, s, LP__RESERVED)) {
      lp__slot_retire(p, loc, s, false);
    }
  }
}

lp_status lp_pool_close(lp_pool *p, int64_t timeout_ms, lp_error *err) {
  if (p == NULL) return lp_error_set(err, LP_EINVAL, "lp_pool_close: pool must not be NULL");
  begin_close(p);
  destroy_idle(p, lp__local_get(p));
  struct timespec deadline;
  lp__abs_deadline(timeout_ms < 0 ? 0 : timeout_ms, &deadline);
  int open;
  pthread_mutex_lock(&p->mu);
  while ((open = lp__slots_open(p)) > 0) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&p->state_cond, &p->mu);
    } else if (pthread_cond_timedwait(&p->state_cond, &p->mu, &deadline) == ETIMEDOUT) {
      open = lp__slots_open(p);
      break;
    }
  }
  pthread_mutex_unlock(&p->mu);
  if (open == 0) return LP_OK;
  return lp_error_set(err, LP_ETIMEOUT, "pool \"%s\": close: %d connections still in use after %lld ms",
                      p->name, open, (long long)timeout_ms);
}

/* Destroy connections still held by callers at lp_pool_destroy(): a caller bug, logged. */
static void destroy_remaining(lp_pool *p, lp__local *loc) {
  for (int i = 0; i < p->n_slots; i++) {
    lp__slot *s = &p->slots[i];
    if (atomic_load(&s->state) == LP__EMPTY) continue;
    if (atomic_load_explicit(&s->conn, memory_order_relaxed) == NULL) { /* a create never finished */
      atomic_store(&s->state, LP__EMPTY);
      continue;
    }
    lp__log(p, LP_POOL_LOG_ERROR, "pool \"%s\": destroyed while connection #%llu was still in use", p->name,
            (unsigned long long)atomic_load_explicit(&s->serial, memory_order_relaxed));
    atomic_store(&s->state, LP__RESERVED);
    lp__slot_retire(p, loc, s, false);
  }
}

void lp_pool_destroy(lp_pool *p) {
  if (p == NULL) return;
  begin_close(p);
  lp__local *loc = lp__local_get(p);
  destroy_idle(p, loc);
  destroy_remaining(p, loc);
  lp__fork_unregister(p);
  pool_free(p);
}

lp_status lp_pool_run_cleanup(lp_pool *p, lp_error *err) {
  if (p == NULL) return lp_error_set(err, LP_EINVAL, "lp_pool_run_cleanup: pool must not be NULL");
  if (atomic_load(&p->is_closing))
    return lp_error_set(err, LP_ECLOSED, "pool \"%s\": closing, no cleanup", p->name);
  lp__ensure_cleanup_thread(p);
  lp__cleanup_pass(p, true);
  return LP_OK;
}

const char *lp_pool_name(const lp_pool *p) {
  return p->name;
}
