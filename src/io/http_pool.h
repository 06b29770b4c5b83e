/* Pools of keep-alive HTTP(S) connections, one lp_pool per endpoint (scheme://host:port). A pooled
 * connection is a curl easy handle that keeps at most one live connection of its own, so the pool's
 * max/min connections, idle timeout, max age, acquire timeout and validation of idle connections govern real
 * sockets, and lp_pool's statistics are the endpoint's. All handles of a pool share one curl share handle
 * for TLS session tickets and DNS answers, so a new connection resumes a TLS session instead of a full
 * handshake. Internal; thread-safe. */
#ifndef LP_IO_HTTP_POOL_H
#define LP_IO_HTTP_POOL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "lancepool/pool.h"

typedef struct lp__http_pool_config {
  lp_pool_config pool;          /* lp_pool_config_init() defaults, with validate_on_acquire on */
  const char *ca_file;          /* PEM file of CAs to trust for HTTPS; NULL = the system's */
  bool verify_tls;              /* true: check the server's certificate and host name */
  int64_t connect_timeout_ms;   /* 5000 */
  int64_t request_timeout_ms;   /* 30000: a whole request; 0 = none */
} lp__http_pool_config;

typedef struct lp__http_pool lp__http_pool;

/* Per-endpoint statistics: the lp_pool's, plus how many TCP connections curl actually opened (a handle
 * whose connection the server closed reconnects by itself; that shows here). */
typedef struct lp__http_pool_stats {
  lp_pool_stats pool;
  uint64_t tcp_connects;
  uint64_t requests;
} lp__http_pool_stats;

void lp__http_pool_config_init(lp__http_pool_config *cfg);

/* A pool for origin ("https://host:port", copied). Caller owns *out; free with lp__http_pool_destroy(). */
lp_status lp__http_pool_create(const char *origin, const lp__http_pool_config *cfg, lp__http_pool **out,
                               lp_error *err);
void lp__http_pool_destroy(lp__http_pool *pool);

/* A handle with this pool's base options set (TLS, timeouts, share) and nothing of earlier requests.
 * Give it back with lp__http_release(), as broken after a transport failure. */
lp_status lp__http_acquire(lp__http_pool *pool, CURL **out, lp_error *err);
void lp__http_release(lp__http_pool *pool, CURL *handle, bool is_broken);

/* After a transfer on handle: count the new connections it made. */
void lp__http_note_transfer(lp__http_pool *pool, CURL *handle);

/* Process-wide totals over every pool: TCP connections opened, requests sent, and of the connections that
 * spoke TLS, how many resumed an earlier TLS session (an abbreviated handshake) instead of a full one. */
typedef struct lp__http_totals {
  uint64_t tcp_connects, requests, tls_connects, tls_resumed;
} lp__http_totals;
void lp__http_totals_get(lp__http_totals *out);

const char *lp__http_pool_origin(const lp__http_pool *pool);
void lp__http_pool_stats_get(lp__http_pool *pool, lp__http_pool_stats *out);

#endif
