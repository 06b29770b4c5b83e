/* The S3 client (see s3.h): options, endpoints and their connection pools, one signed request with
 * retries, and the operations built on it. */
#include "io/s3.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/buf.h"
#include "io/io.h"
#include "io/s3_int.h"
#include "io/s3_sigv4.h"


/* ------------------------------------------------------------------ options */

void lp__s3_options_init(lp__s3_options *o) {
  memset(o, 0, sizeof *o);
  o->verify_tls = true;
  o->max_retries = 5;
  o->retry_base_ms = 50;
  o->retry_max_ms = 2000;
  o->multipart_part_bytes = (size_t)8 << 20;
  lp__http_pool_config_init(&o->http);
}

void lp__s3_options_reset(lp__s3_options *o) {
  if (o == NULL) return;
  free(o->endpoint);
  free(o->region);
  free(o->access_key_id);
  free(o->secret_access_key);
  free(o->session_token);
  free(o->ca_file);
  free(o->cache_dir);
  lp__s3_options_init(o);
}

static lp_status set_string(char **slot, const char *value, lp_error *err) {
  char *copy = strdup(value);
  if (copy == NULL) return lp_error_set(err, LP_ENOMEM, "s3 options: out of memory");
  free(*slot);
  *slot = copy;
  return LP_OK;
}

static lp_status parse_bool(const char *key, const char *value, bool *out, lp_error *err) {
  if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0) *out = true;
  else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0) *out = false;
  else return lp_error_set(err, LP_EINVAL, "s3 option %s: expected true or false, found \"%s\"", key, value);
  return LP_OK;
}

/* A non-negative integer; a trailing "s" or "ms" unit is allowed where the option is a time. */
static lp_status parse_i64(const char *key, const char *value, int64_t scale_s, int64_t *out, lp_error *err) {
  char *end;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  int64_t scale = 1;
  if (end != value && strcmp(end, "s") == 0 && scale_s) scale = 1000;
  else if (end != value && strcmp(end, "ms") == 0 && scale_s) scale = 1;
  else if (end != value && *end == '\0') scale = scale_s ? scale_s : 1;
  else return lp_error_set(err, LP_EINVAL, "s3 option %s: expected a number, found \"%s\"", key, value);
  if (errno != 0 || v < 0 || v > INT64_MAX / 1000)
    return lp_error_set(err, LP_EINVAL, "s3 option %s: %s is out of range", key, value);
  *out = (int64_t)v * scale;
  return LP_OK;
}

static lp_status set_int(const char *key, const char *value, int *out, lp_error *err) {
  int64_t v = 0;
  LP_TRY(parse_i64(key, value, 0, &v, err));
  if (v > 1000000) return lp_error_set(err, LP_EINVAL, "s3 option %s: %s is out of range", key, value);
  *out = (int)v;
  return LP_OK;
}

static bool key_is(const char *key, const char *a, const char *b) {
  return strcasecmp(key, a) == 0 || (b != NULL && strcasecmp(key, b) == 0);
}

/* Times given in seconds by LanceDB ("timeout", "connect_timeout", "pool_idle_timeout") also take "30s". */
static lp_status set_pool_option(lp__s3_options *o, const char *key, const char *value, bool *found, lp_error *err) {
  lp__http_pool_config *h = &o->http;
  *found = true;
  if (key_is(key, "max_connections", NULL)) return set_int(key, value, &h->pool.max_connections, err);
  if (key_is(key, "min_connections", NULL)) return set_int(key, value, &h->pool.min_connections, err);
  if (key_is(key, "pool_idle_timeout", NULL)) return parse_i64(key, value, 1000, &h->pool.max_idle_time_ms, err);
  if (key_is(key, "max_idle_time_ms", NULL)) return parse_i64(key, value, 1, &h->pool.max_idle_time_ms, err);
  if (key_is(key, "max_connection_age_ms", NULL)) return parse_i64(key, value, 1, &h->pool.max_connection_age_ms, err);
  if (key_is(key, "acquire_timeout_ms", NULL)) return parse_i64(key, value, 1, &h->pool.acquire_timeout_ms, err);
  if (key_is(key, "connect_timeout", NULL)) return parse_i64(key, value, 1000, &h->connect_timeout_ms, err);
  if (key_is(key, "connect_timeout_ms", NULL)) return parse_i64(key, value, 1, &h->connect_timeout_ms, err);
  if (key_is(key, "timeout", NULL)) return parse_i64(key, value, 1000, &h->request_timeout_ms, err);
  if (key_is(key, "request_timeout_ms", NULL)) return parse_i64(key, value, 1, &h->request_timeout_ms, err);
  *found = false;
  return LP_OK;
}

lp_status lp__s3_options_set(lp__s3_options *o, const char *key, const char *value, lp_error *err) {
  if (o == NULL || key == NULL || value == NULL) return lp_error_set(err, LP_EINVAL, "s3 options: NULL argument");
  if (key_is(key, "endpoint", "aws_endpoint")) return set_string(&o->endpoint, value, err);
  if (key_is(key, "region", "aws_region")) return set_string(&o->region, value, err);
  if (key_is(key, "aws_access_key_id", "access_key_id")) return set_string(&o->access_key_id, value, err);
  if (key_is(key, "aws_secret_access_key", "secret_access_key")) return set_string(&o->secret_access_key, value, err);
  if (key_is(key, "aws_session_token", "session_token") || key_is(key, "token", "aws_token"))
    return set_string(&o->session_token, value, err);
  if (key_is(key, "ca_file", NULL)) return set_string(&o->ca_file, value, err);
  if (key_is(key, "allow_http", "aws_allow_http")) return parse_bool(key, value, &o->allow_http, err);
  if (key_is(key, "virtual_hosted_style_request", "aws_virtual_hosted_style_request")) {
    o->has_virtual_hosted = true;
    return parse_bool(key, value, &o->virtual_hosted, err);
  }
  if (key_is(key, "allow_invalid_certificates", NULL)) {
    bool allow = false;
    LP_TRY(parse_bool(key, value, &allow, err));
    o->verify_tls = !allow;
    return LP_OK;
  }
  if (key_is(key, "max_retries", NULL)) return set_int(key, value, &o->max_retries, err);
  if (key_is(key, "cache_dir", NULL)) return set_string(&o->cache_dir, value, err);
  if (key_is(key, "cache_bytes", NULL)) return parse_i64(key, value, 0, &o->cache_bytes, err);
  bool found;
  LP_TRY(set_pool_option(o, key, value, &found, err));
  if (found) return LP_OK;
  return lp_error_set(err, LP_EINVAL, "s3 options: unknown key \"%s\"", key);
}

static lp_status from_env(char **slot, const char *name, lp_error *err) {
  const char *v = getenv(name);
  if (*slot != NULL || v == NULL || *v == '\0') return LP_OK;
  return set_string(slot, v, err);
}

lp_status lp__s3_options_from_env(lp__s3_options *o, lp_error *err) {
  LP_TRY(from_env(&o->access_key_id, "AWS_ACCESS_KEY_ID", err));
  LP_TRY(from_env(&o->secret_access_key, "AWS_SECRET_ACCESS_KEY", err));
  LP_TRY(from_env(&o->session_token, "AWS_SESSION_TOKEN", err));
  LP_TRY(from_env(&o->region, "AWS_REGION", err));
  LP_TRY(from_env(&o->region, "AWS_DEFAULT_REGION", err));
  LP_TRY(from_env(&o->endpoint, "AWS_ENDPOINT_URL", err));
  LP_TRY(from_env(&o->ca_file, "AWS_CA_BUNDLE", err));
  LP_TRY(from_env(&o->cache_dir, "LANCEPOOL_CACHE_DIR", err));
  const char *cache_bytes = getenv("LANCEPOOL_CACHE_BYTES");
  if (cache_bytes && *cache_bytes && o->cache_bytes == 0)
    LP_TRY(parse_i64("LANCEPOOL_CACHE_BYTES", cache_bytes, 0, &o->cache_bytes, err));
  const char *allow_http = getenv("AWS_ALLOW_HTTP");   /* the variable LanceDB's object store reads */
  if (allow_http && *allow_http) LP_TRY(parse_bool("AWS_ALLOW_HTTP", allow_http, &o->allow_http, err));
  return LP_OK;
}

/* ------------------------------------------------------------------ client and endpoints */

static char *dup_or_null(const char *s, bool *failed) {
  if (s == NULL) return NULL;
  char *d = strdup(s);
  if (d == NULL) *failed = true;
  return d;
}

static lp_status copy_options(const lp__s3_options *src, lp__s3_options *dst, lp_error *err) {
  bool failed = false;
  *dst = *src;
  dst->endpoint = dup_or_null(src->endpoint, &failed);
  dst->region = dup_or_null(src->region ? src->region : "us-east-1", &failed);
  dst->access_key_id = dup_or_null(src->access_key_id, &failed);
  dst->secret_access_key = dup_or_null(src->secret_access_key, &failed);
  dst->session_token = dup_or_null(src->session_token, &failed);
  dst->ca_file = dup_or_null(src->ca_file, &failed);
  dst->cache_dir = dup_or_null(src->cache_dir, &failed);
  dst->http.ca_file = dst->ca_file;
  dst->http.verify_tls = dst->verify_tls;
  if (failed) {
    lp__s3_options_reset(dst);
    return lp_error_set(err, LP_ENOMEM, "s3 client: out of memory");
  }
  return LP_OK;
}

/* Split the endpoint into scheme and authority; a path, user info or query in it is refused. */
static lp_status parse_endpoint(lp__s3_client *c, lp_error *err) {
  char aws[128];
  const char *ep = c->o.endpoint;
  if (ep == NULL) {
    snprintf(aws, sizeof aws, "https://s3.%s.amazonaws.com", c->o.region);
    ep = aws;
    if (!c->o.has_virtual_hosted) c->o.virtual_hosted = true;
  }
  const char *rest;
  if (strncmp(ep, "https://", 8) == 0) c->is_https = true, rest = ep + 8;
  else if (strncmp(ep, "http://", 7) == 0) c->is_https = false, rest = ep + 7;
  else return lp_error_set(err, LP_EINVAL, "s3 endpoint \"%s\": expected http:// or https://", ep);
  if (!c->is_https && !c->o.allow_http)
    return lp_error_set(err, LP_EINVAL, "s3 endpoint \"%s\" is plain HTTP: set allow_http=true to use it", ep);
  size_t n = strcspn(rest, "/?#@");
  if (n == 0 || (rest[n] != '\0' && strcmp(rest + n, "/") != 0))
    return lp_error_set(err, LP_EINVAL, "s3 endpoint \"%s\": expected scheme://host[:port] only", ep);
  c->authority = strndup(rest, n);
  return c->authority ? LP_OK : lp_error_set(err, LP_ENOMEM, "s3 client: out of memory");
}

lp_status lp__s3_client_create(const lp__s3_options *o, lp__s3_client **out, lp_error *err) {
  if (o == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "s3 client: NULL options or output");
  if (o->access_key_id == NULL || o->secret_access_key == NULL)
    return lp_error_set(err, LP_EINVAL, "s3 client: no credentials (aws_access_key_id and aws_secret_access_key, "
                                        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  if (o->max_retries < 0 || o->retry_base_ms < 0 || o->retry_max_ms < 0)
    return lp_error_set(err, LP_EINVAL, "s3 client: negative retry setting");
  if (o->multipart_part_bytes < MIN_PART_BYTES)
    return lp_error_set(err, LP_EINVAL, "s3 client: multipart_part_bytes %zu is below S3's minimum of %zu",
                        o->multipart_part_bytes, MIN_PART_BYTES);
  lp__s3_client *c = calloc(1, sizeof *c);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "s3 client: out of memory");
  lp_status rc = copy_options(o, &c->o, err);
  if (rc != LP_OK) {
    free(c);
    return rc;
  }
  pthread_mutex_init(&c->mu, NULL);
  rc = parse_endpoint(c, err);
  if (rc != LP_OK) {
    lp__s3_client_destroy(c);
    return rc;
  }
  *out = c;
  return LP_OK;
}

void lp__s3_client_destroy(lp__s3_client *c) {
  if (c == NULL) return;
  for (int i = 0; i < c->n_pools; i++) {
    lp__http_pool_destroy(c->pools[i].pool);
    free(c->pools[i].origin);
  }
  pthread_mutex_destroy(&c->mu);
  free(c->authority);
  lp__s3_options_reset(&c->o);
  free(c);
}

uint64_t lp__s3_retries(const lp__s3_client *c) { return atomic_load(&((lp__s3_client *)c)->retries); }

void lp__s3_request_host(const lp__s3_client *c, const char *bucket, char *out, size_t size) {
  if (c->o.virtual_hosted) snprintf(out, size, "%s.%s", bucket, c->authority);
  else snprintf(out, size, "%s", c->authority);
}

lp_status lp__s3_pool_for(lp__s3_client *c, const char *origin, bool create, lp__http_pool **out, lp_error *err) {
  lp_status rc = LP_OK;
  pthread_mutex_lock(&c->mu);
  *out = NULL;
  for (int i = 0; i < c->n_pools && *out == NULL; i++)
    if (strcmp(c->pools[i].origin, origin) == 0) *out = c->pools[i].pool;
  if (*out == NULL && !create) rc = lp_error_set(err, LP_ENOTFOUND, "s3: no connections to %s yet", origin);
  else if (*out == NULL && c->n_pools == MAX_POOLS)
    rc = lp_error_set(err, LP_EINVAL, "s3: more than %d endpoints (buckets with virtual-hosted addressing)", MAX_POOLS);
  else if (*out == NULL) {
    char *name = strdup(origin);
    rc = name ? lp__http_pool_create(origin, &c->o.http, out, err) : lp_error_set(err, LP_ENOMEM, "s3: out of memory");
    if (rc == LP_OK) c->pools[c->n_pools++] = (endpoint_pool){.origin = name, .pool = *out};
    else free(name);
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

lp_status lp__s3_pool_stats(lp__s3_client *c, const char *bucket, lp__http_pool_stats *out, lp_error *err) {
  char host[512], origin[600];
  lp__s3_request_host(c, bucket ? bucket : "", host, sizeof host);
  snprintf(origin, sizeof origin, "%s://%s", c->is_https ? "https" : "http", host);
  lp__http_pool *p;
  LP_TRY(lp__s3_pool_for(c, origin, false, &p, err));
  lp__http_pool_stats_get(p, out);
  return LP_OK;
}
