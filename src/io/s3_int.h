/* Private to the S3 client's files (s3.c options and client, s3_request.c one request, s3_ops.c the
 * operations). */
#ifndef LP_IO_S3_INT_H
#define LP_IO_S3_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "io/buf.h"
#include "io/s3.h"
#include "io/s3_sigv4.h"

#define MAX_POOLS 64                      /* endpoints per client (virtual-hosted: one per bucket) */
#define MIN_PART_BYTES ((size_t)5 << 20)  /* S3's smallest part but the last */

typedef struct endpoint_pool {
  char *origin;             /* "http://host:port" */
  lp__http_pool *pool;
} endpoint_pool;

struct lp__s3_client {
  lp__s3_options o;         /* owned copy */
  bool is_https;
  char *authority;          /* "host:port" or "host" of the endpoint */
  pthread_mutex_t mu;       /* guards pools */
  endpoint_pool pools[MAX_POOLS];
  int n_pools;
  _Atomic uint64_t retries;
};

/* The host a request for bucket goes to: the endpoint's, or bucket.<endpoint's> when virtual-hosted. */
void lp__s3_request_host(const lp__s3_client *c, const char *bucket, char *out, size_t size);

/* The pool of origin ("http://host:port"), made on first use when create. */
lp_status lp__s3_pool_for(lp__s3_client *c, const char *origin, bool create, lp__http_pool **out, lp_error *err);

/* One S3 request. The caller fills the inputs; lp__s3_request() fills the outputs (reset them with
 * lp__s3_request_reset). */
typedef struct lp__s3_req {
  const char *op;              /* "GET", "PUT", "HEAD", "POST", "DELETE" */
  const char *bucket;          /* required */
  const char *key;             /* NULL or "" for bucket-level requests */
  lp__kv query[8];             /* raw parameters */
  size_t n_query;
  lp__kv headers[8];           /* extra headers, signed too: Range, If-None-Match, Content-MD5 */
  size_t n_headers;
  const void *body;            /* PUT/POST body, borrowed */
  size_t body_len;
  bool is_idempotent;          /* retried on transport failures and 5xx, else only on 503 */
  size_t max_response_bytes;   /* a longer answer fails (0 = 64 MiB) */
  /* outputs */
  long http_status;
  long header_status;          /* of the last status line seen, while the answer arrives */
  lp__buf response;            /* the body */
  uint64_t content_length;     /* from the headers, when has_content_length */
  bool has_content_length;
  char etag[128];
} lp__s3_req;

lp_status lp__s3_request(lp__s3_client *c, lp__s3_req *r, lp_error *err);
void lp__s3_request_reset(lp__s3_req *r);

/* One response header line ("Name: value\r\n") into r's outputs (ETag, Content-Length); a status line
 * ("HTTP/1.1 200 OK") clears them, since curl passes the headers of every response (100 Continue too). */
void lp__s3_parse_header(lp__s3_req *r, const char *line, size_t len);

#endif
