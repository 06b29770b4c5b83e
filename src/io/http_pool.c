/* Keep-alive HTTP(S) connections pooled with lp_pool (see http_pool.h). */
#include "io/http_pool.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct lp__http_pool {
  char *origin;                          /* owned: "http://127.0.0.1:8000" */
  bool is_https;
  lp__http_pool_config cfg;              /* ca_file points to ca_file_copy */
  char *ca_file_copy;                    /* owned */
  CURLSH *share;                         /* TLS sessions and DNS, shared by every handle of the pool */
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  lp_pool *pool;                         /* of CURL * */
  _Atomic uint64_t tcp_connects;
  _Atomic uint64_t requests;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void lp__http_pool_config_init(lp__http_pool_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  lp_pool_config_init(&cfg->pool);
  cfg->pool.name = "http";
  cfg->pool.min_connections = 0;          /* no connection before the first request */
  cfg->pool.max_idle_time_ms = 60000;     /* servers drop idle keep-alives after about a minute or more */
  cfg->pool.max_connection_age_ms = 600000;
  cfg->pool.cleanup_interval_ms = 10000;
  cfg->pool.validate_on_acquire = true;
  cfg->verify_tls = true;
  cfg->connect_timeout_ms = 5000;
  cfg->request_timeout_ms = 30000;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx) {
  (void)h, (void)access;
  lp__http_pool *p = ctx;
  pthread_mutex_lock(&p->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx) {
  (void)h;
  lp__http_pool *p = ctx;
  pthread_mutex_unlock(&p->share_locks[data]);
}

static lp_status conn_create(void *ctx, void **out_conn, lp_error *err) {
  (void)ctx;
  CURL *h = curl_easy_init();
  if (h == NULL) return lp_error_set(err, LP_ENOMEM, "http: curl_easy_init failed");
  *out_conn = h;
  return LP_OK;
}

static void conn_destroy(void *ctx, void *conn) {
  (void)ctx;
  curl_easy_cleanup(conn);  /* closes its connection */
}

/* An idle keep-alive connection has nothing to read: readable means the server closed it (recv gives 0) or
 * sent something unasked. Over TLS a readable socket may also hold a late session ticket, so only plain
 * HTTP treats data as a fault; curl itself notices a dead TLS connection when it reuses it. A handle with no
 * connection yet is fine: its next request connects. */
static lp_status conn_validate(void *ctx, void *conn, lp_error *err) {
  lp__http_pool *p = ctx;
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(conn, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) return LP_OK;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  if (poll(&pfd, 1, 0) <= 0) return LP_OK;
  char byte;
  ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (pfd.revents & (POLLERR | POLLHUP)))
    return lp_error_set(err, LP_EIO, "http %s: idle connection closed by the server", p->origin);
  if (n > 0 && !p->is_https) return lp_error_set(err, LP_EIO, "http %s: unasked bytes on an idle connection", p->origin);
  return LP_OK;
}

static lp_status check_origin(const char *origin, bool *out_https, lp_error *err) {
  if (origin == NULL) return lp_error_set(err, LP_EINVAL, "http pool: NULL origin");
  if (strncmp(origin, "https://", 8) == 0) *out_https = true;
  else if (strncmp(origin, "http://", 7) == 0) *out_https = false;
  else return lp_error_set(err, LP_EINVAL, "http pool: origin \"%s\" is not http:// or https://", origin);
  return LP_OK;
}

static lp_status make_share(lp__http_pool *p, lp_error *err) {
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&p->share_locks[i], NULL);
  p->share = curl_share_init();
  if (p->share == NULL) return lp_error_set(err, LP_ENOMEM, "http pool: curl_share_init failed");
  curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
  curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  return LP_OK;
}

lp_status lp__http_pool_create(const char *origin, const lp__http_pool_config *cfg, lp__http_pool **out,
                               lp_error *err) {
  bool is_https = false;
  LP_TRY(check_origin(origin, &is_https, err));
  if (cfg == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "http pool: NULL config or output");
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK) return lp_error_set(err, LP_EIO, "http: curl_global_init: %s", curl_easy_strerror(curl_init_rc));
  lp__http_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "http pool: out of memory");
  p->is_https = is_https;
  p->cfg = *cfg;
  p->origin = strdup(origin);
  p->ca_file_copy = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
  p->cfg.ca_file = p->ca_file_copy;
  lp_status rc = LP_OK;
  if (p->origin == NULL || (cfg->ca_file && p->ca_file_copy == NULL)) rc = lp_error_set(err, LP_ENOMEM, "http pool: out of memory");
  if (rc == LP_OK) rc = make_share(p, err);
  if (rc == LP_OK) {
    lp_pool_factory factory = {.create = conn_create, .destroy = conn_destroy, .validate = conn_validate, .ctx = p};
    lp_pool_config pc = cfg->pool;
    pc.name = p->origin;  /* the endpoint names the pool in logs and metrics */
    rc = lp_pool_create(&pc, &factory, &p->pool, err);
  }
  if (rc != LP_OK) {
    lp__http_pool_destroy(p);
    return rc;
  }
  *out = p;
  return LP_OK;
}

void lp__http_pool_destroy(lp__http_pool *p) {
  if (p == NULL) return;
  lp_pool_destroy(p->pool);  /* the handles first: they hold the share */
  if (p->share) curl_share_cleanup(p->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&p->share_locks[i]);
  free(p->origin);
  free(p->ca_file_copy);
  free(p);
}

/* The options every request of this pool carries. curl_easy_reset() before keeps the handle's live
 * connection and its share, and forgets the previous request's method, headers and callbacks. */
static _Atomic uint64_t total_connects, total_requests, total_tls_connects, total_tls_resumed;
static pthread_once_t tls_mark_once = PTHREAD_ONCE_INIT;
static int tls_mark_index = -1; /* OpenSSL ex_data slot marking a TLS connection already counted */

static void tls_mark_init(void) { tls_mark_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }

/* Called by curl once a request's connection is ready (CURLOPT_PREREQFUNCTION): count each new TLS
 * connection once, and whether OpenSSL resumed a session for it (curl's share handle keeps sessions). The
 * connection's SSL object is only reachable while the transfer runs, hence here and not afterwards. */
static int note_tls(void *handle, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                    int conn_local_port) {
  (void)conn_primary_ip, (void)conn_local_ip, (void)conn_primary_port, (void)conn_local_port;
  struct curl_tlssessioninfo *info = NULL;
  pthread_once(&tls_mark_once, tls_mark_init);
  if (tls_mark_index < 0 || curl_easy_getinfo(handle, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == NULL ||
      info->backend != CURLSSLBACKEND_OPENSSL || info->internals == NULL)
    return CURL_PREREQFUNC_OK;
  SSL *ssl = info->internals;
  if (SSL_get_ex_data(ssl, tls_mark_index) != NULL) return CURL_PREREQFUNC_OK; /* a kept-alive connection */
  SSL_set_ex_data(ssl, tls_mark_index, &total_tls_connects);
  atomic_fetch_add(&total_tls_connects, 1);
  if (SSL_session_reused(ssl)) atomic_fetch_add(&total_tls_resumed, 1);
  return CURL_PREREQFUNC_OK;
}

static void set_base_options(const lp__http_pool *p, CURL *h) {
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_SHARE, p->share);
  curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);   /* one live connection per handle: the pool counts sockets */
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);  /* S3 does not multiplex */
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)p->cfg.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)p->cfg.request_timeout_ms);
  if (p->cfg.pool.max_connection_age_ms > 0)
    curl_easy_setopt(h, CURLOPT_MAXLIFETIME_CONN, (long)(p->cfg.pool.max_connection_age_ms / 1000 + 1));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, p->cfg.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, p->cfg.verify_tls ? 2L : 0L);
  if (p->cfg.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, p->cfg.ca_file);
  if (strncmp(p->origin, "https:", 6) == 0) {
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, note_tls);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, (void *)h);
  }
}

lp_status lp__http_acquire(lp__http_pool *p, CURL **out, lp_error *err) {
  void *conn = NULL;
  lp_status rc = lp_pool_acquire(p->pool, &conn, err);
  if (rc != LP_OK) {
    lp_error_wrap(err, "http %s: ", p->origin);
    return rc;
  }
  set_base_options(p, conn);
  *out = conn;
  return LP_OK;
}

void lp__http_release(lp__http_pool *p, CURL *h, bool is_broken) {
  if (h == NULL) return;
  if (is_broken) lp_pool_release_broken(p->pool, h);
  else lp_pool_release(p->pool, h);
}


void lp__http_note_transfer(lp__http_pool *p, CURL *h) {
  long n = 0;
  if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0) {
    atomic_fetch_add(&p->tcp_connects, (uint64_t)n);
    atomic_fetch_add(&total_connects, (uint64_t)n);
  }
  atomic_fetch_add(&p->requests, 1);
  atomic_fetch_add(&total_requests, 1);
}

void lp__http_totals_get(lp__http_totals *out) {
  out->tcp_connects = atomic_load(&total_connects);
  out->requests = atomic_load(&total_requests);
  out->tls_connects = atomic_load(&total_tls_connects);
  out->tls_resumed = atomic_load(&total_tls_resumed);
}

const char *lp__http_pool_origin(const lp__http_pool *p) { return p->origin; }

void lp__http_pool_stats_get(lp__http_pool *p, lp__http_pool_stats *out) {
  lp_pool_stats_get(p->pool, &out->pool);
  out->tcp_connects = atomic_load(&p->tcp_connects);
  out->requests = atomic_load(&p->requests);
}
