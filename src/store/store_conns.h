/* The store's connection pool (see store_conns.c). Internal. */
#ifndef LP_STORE_CONNS_H
#define LP_STORE_CONNS_H

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lancepool/store.h"

typedef struct lp__conns {
  const char *dir;        /* borrowed from the store */
  lp_session *session;    /* shared by every connection */
  pthread_mutex_t mu;
  pthread_cond_t freed;   /* a connection came back or a slot opened */
  lp_db **idle;           /* LIFO stack; under mu */
  size_t n_idle, in_use, n_creating;
  uint32_t max, timeout_ms;
  bool closing;
  lp_store_stats stats;   /* under mu */
} lp__conns;

lp_status lp__conns_init(lp__conns *c, const char *dir, uint32_t max, uint32_t timeout_ms, lp_error *err);
void lp__conns_reset(lp__conns *c);
/* Borrow a connection (waits up to timeout_ms: LP_ETIMEOUT says all are busy). */
LP_MUST_CHECK lp_status lp__conns_acquire(lp__conns *c, lp_db **out, lp_error *err);
/* Give it back; a connection that saw an I/O error is released broken and closed. */
void lp__conns_release(lp__conns *c, lp_db *db, bool broken);
void lp__conns_stats(lp__conns *c, lp_store_stats *out);

/* A connection released on every path out of the enclosing block. */
typedef struct {
  lp__conns *pool;
  lp_db *db;
  lp_status rc; /* set by the block: LP_EIO/LP_ECORRUPT release the connection as broken */
} lp__scoped_conn;

static inline void lp__scoped_conn_release(lp__scoped_conn *sc) {
  if (sc->db != NULL) lp__conns_release(sc->pool, sc->db, sc->rc == LP_EIO || sc->rc == LP_ECORRUPT);
}
#define LP__SCOPED_CONN(name, conns) \
  __attribute__((cleanup(lp__scoped_conn_release))) lp__scoped_conn name = {(conns), NULL, LP_OK}

#endif
