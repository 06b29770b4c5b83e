/* AWS Signature Version 4 for S3 requests, written here over OpenSSL's SHA-256 and HMAC.
 *
 * Why not curl's CURLOPT_AWS_SIGV4: the curl of Debian 12 (7.88) leaves out x-amz-content-sha256, does not
 * sort query parameters, signs `?uploads` without its `=` and keeps lower-case `%2f`, so RGW and S3 reject
 * what it signs (see ../shared/object-storage.md). Internal; every function is thread-safe. */
#ifndef LP_IO_S3_SIGV4_H
#define LP_IO_S3_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

/* One query parameter or header, not yet encoded. */
typedef struct lp__kv {
  const char *name;
  const char *value; /* "" for a parameter without value (`?uploads` is signed as `uploads=`) */
} lp__kv;

/* What SigV4 covers of one request. Header names may be in any case; the signer lower-cases and sorts
 * them, and signs every header given (host and x-amz-* at least). */
typedef struct lp__sigv4_request {
  const char *method;           /* "GET" */
  const char *canonical_path;   /* already URI-encoded, as sent: "/bucket/a%20b" */
  const lp__kv *query;          /* raw parameters, in any order */
  size_t n_query;
  const lp__kv *headers;        /* the headers to sign */
  size_t n_headers;
  const char *payload_sha256;   /* lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
} lp__sigv4_request;

typedef struct lp__sigv4_key {
  const char *access_key_id;
  const char *secret_access_key;
  const char *region;           /* "us-east-1" */
  const char *service;          /* "s3" */
} lp__sigv4_key;

/* The Authorization header value for req at amz_date ("20130524T000000Z"), written to out (NUL-terminated).
 * LP_EINVAL when out is too small or an argument is missing, LP_ENOMEM. */
lp_status lp__sigv4_authorization(const lp__sigv4_key *key, const lp__sigv4_request *req, const char *amz_date,
                                  char *out, size_t out_size, lp_error *err);

/* The canonical query string (sorted by encoded name, then value; `%XX` upper case; `name=` for empty
 * values) in a new malloc'd string, which is also what the URL carries. NULL when out of memory. */
char *lp__sigv4_canonical_query(const lp__kv *query, size_t n_query);

/* Percent-encode s for SigV4 (unreserved characters A-Z a-z 0-9 - . _ ~ kept; '/' kept when keep_slash).
 * A new malloc'd string, NULL when out of memory. */
char *lp__uri_encode(const char *s, int keep_slash);

/* Lower-case hex SHA-256 of n bytes (65 bytes with NUL). */
void lp__sha256_hex(const void *data, size_t n, char out[65]);

/* Base64 of the MD5 of n bytes (25 bytes with NUL): the Content-MD5 header S3 wants on DeleteObjects. */
void lp__md5_base64(const void *data, size_t n, char out[25]);

#endif
