/* One S3 request: the URL, the SigV4 headers, the transfer on a pooled connection, the answer's headers
 * and body, the error message, and the retries with exponential backoff and full jitter. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/io.h"
#include "io/s3_int.h"
#include "io/s3_sigv4.h"

#define DEFAULT_MAX_RESPONSE_BYTES ((size_t)64 << 20)
#define MAX_URL_BYTES 4096
#define MAX_ERROR_BODY_BYTES ((size_t)1 << 20)

void lp__s3_request_reset(lp__s3_req *r) {
  lp__buf_reset(&r->response);
  r->http_status = 0;
  r->header_status = 0;
  r->has_content_length = false;
  r->content_length = 0;
  r->etag[0] = '\0';
}

/* Header names are case-insensitive; values lose surrounding blanks. */
void lp__s3_parse_header(lp__s3_req *r, const char *line, size_t len) {
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    r->has_content_length = false;
    r->etag[0] = '\0';
    const char *sp = memchr(line, ' ', len);
    r->header_status = 0;
    for (size_t i = sp ? (size_t)(sp - line) + 1 : len; i < len && isdigit((unsigned char)line[i]) && r->header_status < 1000; i++)
      r->header_status = r->header_status * 10 + (line[i] - '0');
    return;
  }
  const char *colon = memchr(line, ':', len);
  if (colon == NULL) return;
  size_t name_len = (size_t)(colon - line);
  const char *v = colon + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
  size_t v_len = (size_t)(end - v);
  if (name_len == 4 && strncasecmp(line, "ETag", 4) == 0) {
    if (v_len >= sizeof r->etag) v_len = sizeof r->etag - 1;
    memcpy(r->etag, v, v_len);
    r->etag[v_len] = '\0';
  } else if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
    uint64_t n = 0;
    size_t i = 0;
    for (; i < v_len && isdigit((unsigned char)v[i]) && n < UINT64_MAX / 10 - 9; i++) n = n * 10 + (uint64_t)(v[i] - '0');
    r->has_content_length = i == v_len && v_len > 0;
    r->content_length = r->has_content_length ? n : 0;
  }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  lp__s3_req *r = ud;
  lp__s3_parse_header(r, p, size * n);
  return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  lp__s3_req *r = ud;
  size_t cap = r->max_response_bytes ? r->max_response_bytes : DEFAULT_MAX_RESPONSE_BYTES;
  if (r->header_status >= 300) cap = MAX_ERROR_BODY_BYTES;   /* an error's XML, whatever was asked for */
  if (r->response.len + size * n > cap) return 0;   /* curl fails the transfer: CURLE_WRITE_ERROR */
  lp__buf_put(&r->response, p, size * n);
  return r->response.failed ? 0 : size * n;
}

typedef struct body_reader {
  const uint8_t *p;
  size_t len, pos;
} body_reader;

static size_t on_read(char *out, size_t size, size_t n, void *ud) {
  body_reader *b = ud;
  size_t k = b->len - b->pos < size * n ? b->len - b->pos : size * n;
  memcpy(out, b->p + b->pos, k);
  b->pos += k;
  return k;
}

/* curl rewinds the body when it must send it again (a reused connection found closed). */
static int on_seek(void *ud, curl_off_t offset, int origin) {
  body_reader *b = ud;
  if (origin != SEEK_SET || offset < 0 || (size_t)offset > b->len) return CURL_SEEKFUNC_FAIL;
  b->pos = (size_t)offset;
  return CURL_SEEKFUNC_OK;
}

static void amz_now(char out[17]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* What a request sends, computed once and reused by its retries except for the date and signature. */
typedef struct prepared {
  char host[512];
  char origin[600];
  char *path;       /* URI-encoded, "/bucket/key" or "/key" */
  char *query;      /* canonical query string */
  char url[MAX_URL_BYTES];
  char payload_hash[65];
} prepared;

static lp_status prepare(const lp__s3_client *c, const lp__s3_req *r, prepared *p, lp_error *err) {
  lp__s3_request_host(c, r->bucket, p->host, sizeof p->host);
  snprintf(p->origin, sizeof p->origin, "%s://%s", c->is_https ? "https" : "http", p->host);
  const char *key = r->key ? r->key : "";
  size_t n = strlen(r->bucket) + strlen(key) + 3;
  char *raw = malloc(n);
  if (raw == NULL) return lp_error_set(err, LP_ENOMEM, "s3: out of memory");
  if (c->o.virtual_hosted) snprintf(raw, n, "/%s", key);
  else snprintf(raw, n, "/%s%s%s", r->bucket, *key ? "/" : "", key);
  p->path = lp__uri_encode(raw, 1);
  free(raw);
  p->query = lp__sigv4_canonical_query(r->query, r->n_query);
  if (p->path == NULL || p->query == NULL) return lp_error_set(err, LP_ENOMEM, "s3: out of memory");
  int len = snprintf(p->url, sizeof p->url, "%s%s%s%s", p->origin, p->path, *p->query ? "?" : "", p->query);
  if (len < 0 || (size_t)len >= sizeof p->url)
    return lp_error_set(err, LP_EINVAL, "s3 %s %s/%s: URL longer than %d bytes", r->op, r->bucket, key, MAX_URL_BYTES);
  lp__sha256_hex(r->body ? r->body : "", r->body_len, p->payload_hash);
  return LP_OK;
}

/* The signed headers of one attempt into list (curl's), with the date of now. */
static lp_status sign_headers(const lp__s3_client *c, const lp__s3_req *r, const prepared *p,
                              struct curl_slist **list, lp_error *err) {
  char date[17];
  amz_now(date);
  lp__kv h[16];
  size_t n = 0;
  h[n++] = (lp__kv){"host", p->host};
  h[n++] = (lp__kv){"x-amz-content-sha256", p->payload_hash};
  h[n++] = (lp__kv){"x-amz-date", date};
  if (c->o.session_token) h[n++] = (lp__kv){"x-amz-security-token", c->o.session_token};
  for (size_t i = 0; i < r->n_headers; i++) h[n++] = r->headers[i];
  lp__sigv4_key key = {c->o.access_key_id, c->o.secret_access_key, c->o.region, "s3"};
  lp__sigv4_request sr = {r->op, p->path, r->query, r->n_query, h, n, p->payload_hash};
  char auth[1024];
  LP_TRY(lp__sigv4_authorization(&key, &sr, date, auth, sizeof auth, err));
  char line[2048];
  for (size_t i = 0; i < n; i++) {
    snprintf(line, sizeof line, "%s: %s", h[i].name, h[i].value);
    *list = curl_slist_append(*list, line);
  }
  snprintf(line, sizeof line, "Authorization: %s", auth);
  *list = curl_slist_append(*list, line);
  *list = curl_slist_append(*list, "Expect:");   /* no 100-continue round trip before a PUT body */
  if (r->body == NULL) *list = curl_slist_append(*list, "Content-Type:");
  return *list ? LP_OK : lp_error_set(err, LP_ENOMEM, "s3: out of memory");
}

static void set_method(CURL *h, const lp__s3_req *r, body_reader *body) {
  if (strcmp(r->op, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (strcmp(r->op, "PUT") == 0) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, body);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, body);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
  } else if (strcmp(r->op, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
  } else if (strcmp(r->op, "DELETE") == 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
}

/* One attempt on a pooled connection. *out_curl is the transfer's result, r->http_status the status. */
static lp_status attempt(lp__s3_client *c, lp__s3_req *r, const prepared *p, CURLcode *out_curl, char *curl_msg,
                         lp_error *err) {
  lp__http_pool *pool;
  LP_TRY(lp__s3_pool_for(c, p->origin, true, &pool, err));
  struct curl_slist *headers = NULL;
  LP_TRY(sign_headers(c, r, p, &headers, err));
  CURL *h;
  lp_status rc = lp__http_acquire(pool, &h, err);
  if (rc != LP_OK) {
    curl_slist_free_all(headers);
    return rc;
  }
  body_reader body = {r->body, r->body_len, 0};
  lp__s3_request_reset(r);
  curl_easy_setopt(h, CURLOPT_URL, p->url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
  curl_msg[0] = '\0';
  set_method(h, r, &body);
  *out_curl = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http_status);
  lp__http_note_transfer(pool, h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  /* A transfer that failed leaves its connection in an unknown state: never reuse it. */
  lp__http_release(pool, h, *out_curl != CURLE_OK || r->http_status >= 500);
  curl_slist_free_all(headers);
  return LP_OK;
}

static bool is_retryable_transport(CURLcode cc) {
  switch (cc) {
    case CURLE_OPERATION_TIMEDOUT: case CURLE_COULDNT_CONNECT: case CURLE_SEND_ERROR: case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE: case CURLE_SSL_CONNECT_ERROR: case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

/* Sleep a random time in [0, min(max, base * 2^attempt)]: "full jitter", so clients that failed together
 * do not come back together. */
static void backoff(const lp__s3_client *c, int attempt_no) {
  int64_t cap = c->o.retry_base_ms;
  for (int i = 0; i < attempt_no && cap < c->o.retry_max_ms; i++) cap *= 2;
  if (cap > c->o.retry_max_ms) cap = c->o.retry_max_ms;
  int64_t ms = cap > 0 ? (int64_t)(lp__random_u64() % (uint64_t)(cap + 1)) : 0;
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* The error of a finished request: status, S3's code and message from the body when there is one. */
static lp_status http_error(const lp__s3_req *r, lp_error *err) {
  char code[64] = "", message[160] = "";
  bool is_error = false;
  if (r->response.len > 0 && r->response.len < ((size_t)1 << 20))
    (void)lp__s3_parse_error((const char *)r->response.data, r->response.len, &is_error, code, sizeof code, message,
                             sizeof message, NULL);
  if (!is_error) snprintf(code, sizeof code, "%s", r->http_status == 404 ? "NotFound" : "(no error body)");
  lp_status st = LP_EIO;
  if (r->http_status == 404) st = LP_ENOTFOUND;
  else if (r->http_status == 412 || (r->http_status == 409 && strcmp(code, "ConditionalRequestConflict") == 0)) st = LP_ECONFLICT;
  else if (r->http_status == 408 || r->http_status == 504) st = LP_ETIMEOUT;
  return lp_error_set(err, st, "s3 %s %s/%s: HTTP %ld %s%s%s", r->op, r->bucket, r->key ? r->key : "", r->http_status,
                      code, *message ? ": " : "", message);
}

static lp_status transport_error(const lp__s3_req *r, CURLcode cc, const char *msg, lp_error *err) {
  lp_status st = cc == CURLE_OPERATION_TIMEDOUT ? LP_ETIMEOUT : LP_EIO;
  return lp_error_set(err, st, "s3 %s %s/%s: %s%s%s", r->op, r->bucket, r->key ? r->key : "", curl_easy_strerror(cc),
                      *msg ? ": " : "", msg);
}

static void free_prepared(prepared *p) {
  free(p->path);
  free(p->query);
}

/* Run r, retrying what may be retried. On LP_OK the status is 2xx (or 304/412 when the caller asked for
 * If-None-Match: those come back as LP_ECONFLICT). */
lp_status lp__s3_request(lp__s3_client *c, lp__s3_req *r, lp_error *err) {
  if (r->bucket == NULL || *r->bucket == '\0') return lp_error_set(err, LP_EINVAL, "s3 %s: no bucket", r->op);
  prepared p = {0};
  lp_status rc = prepare(c, r, &p, err);
  for (int attempt_no = 0; rc == LP_OK; attempt_no++) {
    CURLcode cc = CURLE_OK;
    char curl_msg[CURL_ERROR_SIZE];
    rc = attempt(c, r, &p, &cc, curl_msg, err);
    if (rc != LP_OK) break;
    bool can_retry = attempt_no < c->o.max_retries;
    if (cc != CURLE_OK) {
      if (can_retry && r->is_idempotent && is_retryable_transport(cc)) goto retry;
      rc = transport_error(r, cc, curl_msg, err);
      break;
    }
    if (r->http_status >= 200 && r->http_status < 300) break;
    if (can_retry && (r->http_status == 503 || (r->is_idempotent && r->http_status >= 500))) goto retry;
    rc = http_error(r, err);
    break;
  retry:
    atomic_fetch_add(&c->retries, 1);
    backoff(c, attempt_no);
  }
  free_prepared(&p);
  return rc;
}
