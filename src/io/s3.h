/* An S3 client: GetObject (whole or a byte range), PutObject (plain, or If-None-Match: * for commits),
 * multipart upload, HeadObject, ListObjectsV2 with paging, DeleteObjects, and bucket create/delete for tests.
 * HTTP(S) through libcurl over pooled keep-alive connections (http_pool.h, one lp_pool per endpoint);
 * requests signed with SigV4 (s3_sigv4.h); answers parsed with expat (s3_xml.h).
 *
 * Settings are taken as LanceDB takes its storage options (keys below), with the AWS environment variables
 * as fallbacks. Errors name the request, the HTTP status and S3's error code and message, e.g.
 * "s3 GET bkt/a.txt: HTTP 404 NoSuchKey: ...". Status codes: 404 LP_ENOTFOUND, 412 (and 409 on a
 * conditional PUT) LP_ECONFLICT, timeouts LP_ETIMEOUT, other failures LP_EIO.
 *
 * Idempotent requests (GET, HEAD, PUT without condition, list, delete, part uploads) are retried on
 * timeouts, connection resets and HTTP 5xx (503 SlowDown included) with exponential backoff and full
 * jitter; a conditional PUT and the completion of a multipart upload only on HTTP 503, which S3 sends
 * before acting. A connection that failed is released to its pool as broken.
 *
 * Internal. A client is thread-safe: any number of threads may issue requests at once. */
#ifndef LP_IO_S3_H
#define LP_IO_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/http_pool.h"
#include "io/s3_xml.h"
#include "lancepool/error.h"

/* Settings. lp__s3_options_init() fills defaults; lp__s3_options_set() takes LanceDB's storage option
 * keys; lp__s3_options_from_env() fills what is still unset from the environment. Strings are owned
 * (lp__s3_options_reset frees them). */
typedef struct lp__s3_options {
  char *endpoint;           /* "endpoint"/"aws_endpoint", env AWS_ENDPOINT_URL; NULL = https://s3.<region>.amazonaws.com */
  char *region;             /* "region"/"aws_region", env AWS_REGION, AWS_DEFAULT_REGION; default us-east-1 */
  char *access_key_id;      /* "aws_access_key_id"/"access_key_id", env AWS_ACCESS_KEY_ID */
  char *secret_access_key;  /* "aws_secret_access_key"/"secret_access_key", env AWS_SECRET_ACCESS_KEY */
  char *session_token;      /* "aws_session_token"/"session_token"/"token", env AWS_SESSION_TOKEN */
  char *ca_file;            /* "ca_file": PEM CAs for HTTPS; NULL = the system's */
  bool allow_http;          /* "allow_http": an http:// endpoint is refused unless true */
  bool virtual_hosted;      /* "virtual_hosted_style_request": bucket.host instead of host/bucket; default
                               false with an endpoint (as LanceDB), true for AWS itself */
  bool has_virtual_hosted;  /* virtual_hosted was set explicitly */
  bool verify_tls;          /* "allow_invalid_certificates"=true clears it */
  int max_retries;          /* "max_retries": 5 */
  int64_t retry_base_ms;    /* 50: first backoff; doubles per retry, full jitter */
  int64_t retry_max_ms;     /* 2000: backoff cap */
  size_t multipart_part_bytes; /* 8 MiB: part size of lp__s3_put_multipart (S3's minimum is 5 MiB) */
  char *cache_dir;          /* lancepool's own "cache_dir", env LANCEPOOL_CACHE_DIR: a local disk cache of
                               the table's immutable objects (io/disk_cache.h), shared by the processes
                               using that folder; NULL = none */
  int64_t cache_bytes;      /* "cache_bytes", env LANCEPOOL_CACHE_BYTES: its budget (default 1 GiB) */
  lp__http_pool_config http;  /* pool settings per endpoint: "max_connections", "min_connections",
                                 "pool_idle_timeout" / "max_idle_time_ms", "max_connection_age_ms",
                                 "acquire_timeout_ms", "connect_timeout"/"connect_timeout_ms",
                                 "timeout"/"request_timeout_ms" */
} lp__s3_options;

void lp__s3_options_init(lp__s3_options *o);
void lp__s3_options_reset(lp__s3_options *o);
/* One storage option. LP_EINVAL for an unknown key or a bad value (naming both). */
lp_status lp__s3_options_set(lp__s3_options *o, const char *key, const char *value, lp_error *err);
/* Fill unset credentials, region, endpoint and CA file from AWS_* variables (AWS_CA_BUNDLE for the CA
 * file), and allow_http from AWS_ALLOW_HTTP when that is set. */
lp_status lp__s3_options_from_env(lp__s3_options *o, lp_error *err);

typedef struct lp__s3_client lp__s3_client;

/* A client for the options (copied). LP_EINVAL when credentials are missing, the endpoint is malformed, or
 * http:// without allow_http. Caller owns *out; free with lp__s3_client_destroy(). */
lp_status lp__s3_client_create(const lp__s3_options *o, lp__s3_client **out, lp_error *err);
void lp__s3_client_destroy(lp__s3_client *c);

/* The bytes of bucket/key into a new malloc'd buffer (*out, *out_len; free() it): the whole object when
 * length < 0, else `length` bytes from offset (fewer at the object's end). offset < 0 with length < 0
 * reads the last -offset bytes (a suffix range). */
lp_status lp__s3_get(lp__s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t length,
                     uint8_t **out, size_t *out_len, lp_error *err);

#define LP__S3_IF_NONE_MATCH 1u  /* create only: LP_ECONFLICT when the key exists (HTTP 412) */

lp_status lp__s3_put(lp__s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                     unsigned flags, lp_error *err);

/* A multipart upload of data in parts of o->multipart_part_bytes; aborted when any part fails. */
lp_status lp__s3_put_multipart(lp__s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                               lp_error *err);

typedef struct lp__s3_object_info {
  uint64_t size_bytes;
  char etag[128];
} lp__s3_object_info;

lp_status lp__s3_head(lp__s3_client *c, const char *bucket, const char *key, lp__s3_object_info *out, lp_error *err);

/* Called once per listed object, then once per common prefix (entry NULL, prefix set). Return non-LP_OK to
 * stop the listing with that status. */
typedef lp_status (*lp__s3_list_fn)(void *ctx, const lp__s3_entry *entry, const char *prefix, lp_error *err);

/* ListObjectsV2 of bucket under prefix (may be "" or NULL), following continuation tokens through every
 * page. delimiter and start_after may be NULL. page_size 0 = the server's default (1000). */
lp_status lp__s3_list(lp__s3_client *c, const char *bucket, const char *prefix, const char *delimiter,
                      const char *start_after, int page_size, lp__s3_list_fn fn, void *ctx, lp_error *err);

/* DeleteObjects in batches of 1000 (with Content-MD5). Keys that do not exist count as deleted, as in S3.
 * LP_EIO naming the first key S3 refused. */
lp_status lp__s3_delete_objects(lp__s3_client *c, const char *bucket, const char *const *keys, size_t n_keys,
                                lp_error *err);

lp_status lp__s3_create_bucket(lp__s3_client *c, const char *bucket, lp_error *err);
lp_status lp__s3_delete_bucket(lp__s3_client *c, const char *bucket, lp_error *err);

/* Statistics of the connection pool of the client's endpoint (for bucket, which matters with
 * virtual-hosted addressing). LP_ENOTFOUND when no request went there yet. */
lp_status lp__s3_pool_stats(lp__s3_client *c, const char *bucket, lp__http_pool_stats *out, lp_error *err);

/* Test hook: sleep instead of the backoff's real sleep is not needed; this counts retries made. */
uint64_t lp__s3_retries(const lp__s3_client *c);

#endif
