/* The store's connection pool: idle lp_db handles on a LIFO stack (LIFO keeps connections warm), created
 * on demand up to max_connections, all sharing one lp_session. A stand-in with the same shape as the
 * generic lp_pool (acquire / release / release_broken / stats) until that module lands. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "store/store_conns.h"

lp_status lp__conns_init(lp__conns *c, const char *dir, uint32_t max, uint32_t timeout_ms, lp_error *err) {
  memset(c, 0, sizeof *c);
  c->dir = dir;
  c->max = max ? max : 1;
  c->timeout_ms = timeout_ms;
  c->idle = calloc(c->max, sizeof *c->idle);
  if (c->idle == NULL) return lp_error_set(err, LP_ENOMEM, "store pool: out of memory");
  lp_status rc = lp_session_create(NULL, &c->session, err);
  if (rc != LP_OK) {
    free(c->idle);
    return rc;
  }
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->freed, &ca);
  pthread_condattr_destroy(&ca);
  return LP_OK;
}

/* Close every idle connection; waits until none is in use. */
void lp__conns_reset(lp__conns *c) {
  pthread_mutex_lock(&c->mu);
  c->closing = true;
  while (c->in_use > 0) pthread_cond_wait(&c->freed, &c->mu);
  for (size_t i = 0; i < c->n_idle; i++) {
    lp_db_close(c->idle[i]);
    c->stats.destroyed++;
  }
  c->n_idle = 0;
  pthread_mutex_unlock(&c->mu);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->freed);
  lp_session_unref(c->session);
  free(c->idle);
}

lp_status lp__conns_acquire(lp__conns *c, lp_db **out, lp_error *err) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += c->timeout_ms / 1000;
  deadline.tv_nsec += (long)(c->timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&c->mu);
  bool waited = false;
  for (;;) {
    if (c->closing) {
      pthread_mutex_unlock(&c->mu);
      return lp_error_set(err, LP_ECLOSED, "store pool: the store is closing");
    }
    if (c->n_idle > 0) {
      *out = c->idle[--c->n_idle];
      c->in_use++;
      c->stats.hits++;
      c->stats.reused++;
      pthread_mutex_unlock(&c->mu);
      return LP_OK;
    }
    if (c->in_use + c->n_creating < c->max) break;
    if (!waited) c->stats.waits++;
    waited = true;
    if (pthread_cond_timedwait(&c->freed, &c->mu, &deadline) == ETIMEDOUT && c->n_idle == 0 &&
        c->in_use + c->n_creating >= c->max) {
      c->stats.timeouts++;
      pthread_mutex_unlock(&c->mu);
      return lp_error_set(err, LP_ETIMEOUT,
                          "store pool: all %u connections stayed busy for %u ms (raise max_connections or "
                          "acquire_timeout_ms)", c->max, c->timeout_ms);
    }
  }
  c->n_creating++; /* reserve the slot; connect outside the lock */
  c->stats.misses++;
  pthread_mutex_unlock(&c->mu);
  lp_db *db = NULL;
  lp_status rc = lp_db_open(c->dir, c->session, &db, err);
  pthread_mutex_lock(&c->mu);
  c->n_creating--;
  if (rc == LP_OK) {
    c->in_use++;
    c->stats.created++;
    *out = db;
  } else {
    pthread_cond_signal(&c->freed);
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

void lp__conns_release(lp__conns *c, lp_db *db, bool broken) {
  if (db == NULL) return;
  pthread_mutex_lock(&c->mu);
  c->in_use--;
  if (broken) {
    lp_db_close(db); /* cheap: an lp_db holds no file open between operations */
    c->stats.destroyed++;
  } else {
    c->idle[c->n_idle++] = db;
  }
  pthread_cond_signal(&c->freed);
  pthread_mutex_unlock(&c->mu);
}

void lp__conns_stats(lp__conns *c, lp_store_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->stats;
  out->in_use = c->in_use;
  out->idle = c->n_idle;
  out->size = c->in_use + c->n_idle;
  pthread_mutex_unlock(&c->mu);
}
