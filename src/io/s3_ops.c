/* The S3 operations on top of lp__s3_request(): objects, listings, batch deletes, multipart uploads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_int.h"

#define DELETE_BATCH 1000  /* DeleteObjects takes at most 1000 keys */
#define MAX_PARTS 10000    /* S3's limit on parts per upload */

static lp_status check_object(const char *op, const char *bucket, const char *key, lp_error *err) {
  if (bucket == NULL || *bucket == '\0') return lp_error_set(err, LP_EINVAL, "s3 %s: no bucket", op);
  if (key == NULL || *key == '\0') return lp_error_set(err, LP_EINVAL, "s3 %s %s: no key", op, bucket);
  if (strlen(key) > LP__S3_MAX_KEY_BYTES)
    return lp_error_set(err, LP_EINVAL, "s3 %s %s: key of %zu bytes, at most %d", op, bucket, strlen(key), LP__S3_MAX_KEY_BYTES);
  return LP_OK;
}

/* "bytes=A-B" for [offset, offset+length), or "bytes=-N" for the last N bytes. */
static lp_status range_header(int64_t offset, int64_t length, char *out, size_t size, bool *out_has, lp_error *err) {
  *out_has = true;
  if (length < 0 && offset == 0) *out_has = false;
  else if (length < 0 && offset < 0) snprintf(out, size, "bytes=-%" PRId64, -offset);
  else if (length < 0) snprintf(out, size, "bytes=%" PRId64 "-", offset);
  else if (offset >= 0 && length > 0) snprintf(out, size, "bytes=%" PRId64 "-%" PRId64, offset, offset + length - 1);
  else if (offset >= 0 && length == 0) *out_has = false;
  else return lp_error_set(err, LP_EINVAL, "s3 GET: bad range offset %" PRId64 " length %" PRId64, offset, length);
  return LP_OK;
}

lp_status lp__s3_get(lp__s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t length,
                     uint8_t **out, size_t *out_len, lp_error *err) {
  LP_TRY(check_object("GET", bucket, key, err));
  if (c == NULL || out == NULL || out_len == NULL) return lp_error_set(err, LP_EINVAL, "s3 GET: NULL argument");
  *out = NULL;
  *out_len = 0;
  char range[64];
  bool has_range;
  LP_TRY(range_header(offset, length, range, sizeof range, &has_range, err));
  if (length == 0) {
    *out = malloc(1);
    return *out ? LP_OK : lp_error_set(err, LP_ENOMEM, "s3 GET: out of memory");
  }
  lp__s3_req r = {.op = "GET", .bucket = bucket, .key = key, .is_idempotent = true, .max_response_bytes = SIZE_MAX};
  if (length > 0) r.max_response_bytes = (size_t)length;
  if (has_range) r.headers[r.n_headers++] = (lp__kv){"Range", range};
  lp_status rc = lp__s3_request(c, &r, err);
  if (rc == LP_OK) rc = lp__buf_status(&r.response, "s3 GET", err);
  if (rc == LP_OK && r.response.data == NULL) lp__buf_put(&r.response, "", 0), r.response.data = malloc(1);
  if (rc == LP_OK && r.response.data == NULL) rc = lp_error_set(err, LP_ENOMEM, "s3 GET: out of memory");
  if (rc == LP_OK) {
    *out = r.response.data;
    *out_len = r.response.len;
    r.response.data = NULL;
  }
  lp__s3_request_reset(&r);
  return rc;
}

lp_status lp__s3_put(lp__s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                     unsigned flags, lp_error *err) {
  LP_TRY(check_object("PUT", bucket, key, err));
  if (c == NULL || (data == NULL && len > 0)) return lp_error_set(err, LP_EINVAL, "s3 PUT: NULL argument");
  bool is_create = flags & LP__S3_IF_NONE_MATCH;
  /* A conditional PUT retried after a lost answer could find its own object and report a false conflict. */
  lp__s3_req r = {.op = "PUT", .bucket = bucket, .key = key, .body = data ? data : "", .body_len = len,
                  .is_idempotent = !is_create};
  if (is_create) r.headers[r.n_headers++] = (lp__kv){"If-None-Match", "*"};
  lp_status rc = lp__s3_request(c, &r, err);
  lp__s3_request_reset(&r);
  return rc;
}

lp_status lp__s3_head(lp__s3_client *c, const char *bucket, const char *key, lp__s3_object_info *out, lp_error *err) {
  LP_TRY(check_object("HEAD", bucket, key, err));
  if (c == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "s3 HEAD: NULL argument");
  lp__s3_req r = {.op = "HEAD", .bucket = bucket, .key = key, .is_idempotent = true};
  lp_status rc = lp__s3_request(c, &r, err);
  if (rc == LP_OK && !r.has_content_length)
    rc = lp_error_set(err, LP_EIO, "s3 HEAD %s/%s: no Content-Length in the answer", bucket, key);
  if (rc == LP_OK) {
    out->size_bytes = r.content_length;
    snprintf(out->etag, sizeof out->etag, "%s", r.etag);
  }
  lp__s3_request_reset(&r);
  return rc;
}

/* ---- listing ---- */

static lp_status deliver_page(const lp__s3_list_page *page, lp__s3_list_fn fn, void *ctx, lp_error *err) {
  for (size_t i = 0; i < page->n_entries; i++) LP_TRY(fn(ctx, &page->entries[i], NULL, err));
  for (size_t i = 0; i < page->n_prefixes; i++) LP_TRY(fn(ctx, NULL, page->prefixes[i], err));
  return LP_OK;
}

lp_status lp__s3_list(lp__s3_client *c, const char *bucket, const char *prefix, const char *delimiter,
                      const char *start_after, int page_size, lp__s3_list_fn fn, void *ctx, lp_error *err) {
  if (c == NULL || fn == NULL || bucket == NULL || *bucket == '\0') return lp_error_set(err, LP_EINVAL, "s3 LIST: NULL argument");
  if (page_size < 0 || page_size > 1000) return lp_error_set(err, LP_EINVAL, "s3 LIST: page size %d not in 0..1000", page_size);
  char *token = NULL, max_keys[16];
  snprintf(max_keys, sizeof max_keys, "%d", page_size);
  lp_status rc = LP_OK;
  for (bool more = true; more && rc == LP_OK;) {
    lp__s3_req r = {.op = "GET", .bucket = bucket, .is_idempotent = true};
    r.query[r.n_query++] = (lp__kv){"list-type", "2"};
    if (prefix && *prefix) r.query[r.n_query++] = (lp__kv){"prefix", prefix};
    if (delimiter && *delimiter) r.query[r.n_query++] = (lp__kv){"delimiter", delimiter};
    if (start_after && *start_after && token == NULL) r.query[r.n_query++] = (lp__kv){"start-after", start_after};
    if (page_size > 0) r.query[r.n_query++] = (lp__kv){"max-keys", max_keys};
    if (token) r.query[r.n_query++] = (lp__kv){"continuation-token", token};
    lp__s3_list_page page = {0};
    rc = lp__s3_request(c, &r, err);
    if (rc == LP_OK) rc = lp__s3_parse_list((const char *)r.response.data, r.response.len, &page, err);
    if (rc != LP_OK) lp_error_wrap(err, "s3 LIST %s/%s: ", bucket, prefix ? prefix : "");
    if (rc == LP_OK) rc = deliver_page(&page, fn, ctx, err);
    more = page.is_truncated;
    free(token);
    token = page.next_token;
    page.next_token = NULL;
    lp__s3_list_page_reset(&page);
    lp__s3_request_reset(&r);
  }
  free(token);
  return rc;
}

/* ---- batch delete ---- */

static void xml_escape(lp__buf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '&': lp__buf_put(b, "&amp;", 5); break;
      case '<': lp__buf_put(b, "&lt;", 4); break;
      case '>': lp__buf_put(b, "&gt;", 4); break;
      case '"': lp__buf_put(b, "&quot;", 6); break;
      case '\'': lp__buf_put(b, "&apos;", 6); break;
      default: lp__buf_put(b, s, 1);
    }
  }
}

static lp_status delete_batch(lp__s3_client *c, const char *bucket, const char *const *keys, size_t n, lp_error *err) {
  lp__buf body;
  lp__buf_init(&body);
  static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
  lp__buf_put(&body, head, sizeof head - 1);
  for (size_t i = 0; i < n; i++) {
    lp__buf_put(&body, "<Object><Key>", 13);
    xml_escape(&body, keys[i]);
    lp__buf_put(&body, "</Key></Object>", 15);
  }
  lp__buf_put(&body, "</Delete>", 9);
  lp_status rc = lp__buf_status(&body, "s3 DELETE", err);
  char md5[25];
  if (rc == LP_OK) lp__md5_base64(body.data, body.len, md5);
  lp__s3_req r = {.op = "POST", .bucket = bucket, .body = body.data, .body_len = body.len, .is_idempotent = true};
  r.query[r.n_query++] = (lp__kv){"delete", ""};
  r.headers[r.n_headers++] = (lp__kv){"Content-MD5", md5};
  r.headers[r.n_headers++] = (lp__kv){"Content-Type", "application/xml"};
  if (rc == LP_OK) rc = lp__s3_request(c, &r, err);
  size_t n_errors = 0;
  char key[256], code[64];
  if (rc == LP_OK)
    rc = lp__s3_parse_delete_result((const char *)r.response.data, r.response.len, &n_errors, key, sizeof key, code,
                                    sizeof code, err);
  if (rc == LP_OK && n_errors > 0)
    rc = lp_error_set(err, LP_EIO, "s3 DELETE %s: %zu of %zu keys not deleted, first %s: %s", bucket, n_errors, n, key, code);
  lp__s3_request_reset(&r);
  lp__buf_reset(&body);
  return rc;
}

lp_status lp__s3_delete_objects(lp__s3_client *c, const char *bucket, const char *const *keys, size_t n_keys,
                                lp_error *err) {
  if (c == NULL || bucket == NULL || (keys == NULL && n_keys > 0)) return lp_error_set(err, LP_EINVAL, "s3 DELETE: NULL argument");
  for (size_t i = 0; i < n_keys; i++) LP_TRY(check_object("DELETE", bucket, keys[i], err));
  for (size_t at = 0; at < n_keys; at += DELETE_BATCH)
    LP_TRY(delete_batch(c, bucket, keys + at, n_keys - at < DELETE_BATCH ? n_keys - at : DELETE_BATCH, err));
  return LP_OK;
}

/* ---- multipart ---- */

static lp_status multipart_start(lp__s3_client *c, const char *bucket, const char *key, char **out_id, lp_error *err) {
  lp__s3_req r = {.op = "POST", .bucket = bucket, .key = key, .is_idempotent = true};
  r.query[r.n_query++] = (lp__kv){"uploads", ""};
  lp_status rc = lp__s3_request(c, &r, err);
  if (rc == LP_OK) rc = lp__s3_parse_upload_id((const char *)r.response.data, r.response.len, out_id, err);
  lp__s3_request_reset(&r);
  return rc;
}

static lp_status multipart_part(lp__s3_client *c, const char *bucket, const char *key, const char *upload_id, int part,
                                 const void *data, size_t len, lp__buf *manifest, lp_error *err) {
  char number[16];
  snprintf(number, sizeof number, "%d", part);
  lp__s3_req r = {.op = "PUT", .bucket = bucket, .key = key, .body = data, .body_len = len, .is_idempotent = true};
  r.query[r.n_query++] = (lp__kv){"partNumber", number};
  r.query[r.n_query++] = (lp__kv){"uploadId", upload_id};
  lp_status rc = lp__s3_request(c, &r, err);
  if (rc == LP_OK && r.etag[0] == '\0') rc = lp_error_set(err, LP_EIO, "s3 PUT %s/%s part %d: no ETag", bucket, key, part);
  if (rc == LP_OK) {
    char entry[256];
    int n = snprintf(entry, sizeof entry, "<Part><PartNumber>%d</PartNumber><ETag>", part);
    lp__buf_put(manifest, entry, (size_t)n);
    xml_escape(manifest, r.etag);
    lp__buf_put(manifest, "</ETag></Part>", 14);
  }
  lp__s3_request_reset(&r);
  return rc;
}

/* Completion may answer 200 with an <Error> body when it failed late: look inside. */
static lp_status multipart_complete(lp__s3_client *c, const char *bucket, const char *key, const char *upload_id,
                                    const lp__buf *manifest, lp_error *err) {
  lp__s3_req r = {.op = "POST", .bucket = bucket, .key = key, .body = manifest->data, .body_len = manifest->len};
  r.query[r.n_query++] = (lp__kv){"uploadId", upload_id};
  r.headers[r.n_headers++] = (lp__kv){"Content-Type", "application/xml"};
  lp_status rc = lp__s3_request(c, &r, err);
  bool is_error = false;
  char code[64], message[160];
  if (rc == LP_OK && r.response.len > 0)
    (void)lp__s3_parse_error((const char *)r.response.data, r.response.len, &is_error, code, sizeof code, message,
                             sizeof message, NULL);
  if (rc == LP_OK && is_error)
    rc = lp_error_set(err, LP_EIO, "s3 POST %s/%s (complete upload): %s: %s", bucket, key, code, message);
  lp__s3_request_reset(&r);
  return rc;
}

static void multipart_abort(lp__s3_client *c, const char *bucket, const char *key, const char *upload_id) {
  lp__s3_req r = {.op = "DELETE", .bucket = bucket, .key = key, .is_idempotent = true};
  r.query[r.n_query++] = (lp__kv){"uploadId", upload_id};
  (void)lp__s3_request(c, &r, NULL);   /* best effort: the upload's first error is the one reported */
  lp__s3_request_reset(&r);
}

lp_status lp__s3_put_multipart(lp__s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                               lp_error *err) {
  LP_TRY(check_object("PUT", bucket, key, err));
  if (c == NULL || (data == NULL && len > 0)) return lp_error_set(err, LP_EINVAL, "s3 PUT: NULL argument");
  size_t part_bytes = c->o.multipart_part_bytes;
  size_t n_parts = len == 0 ? 1 : (len + part_bytes - 1) / part_bytes;
  if (n_parts > MAX_PARTS)
    return lp_error_set(err, LP_EINVAL, "s3 PUT %s/%s: %zu parts, at most %d", bucket, key, n_parts, MAX_PARTS);
  char *upload_id = NULL;
  LP_TRY(multipart_start(c, bucket, key, &upload_id, err));
  lp__buf manifest;
  lp__buf_init(&manifest);
  lp__buf_put(&manifest, "<CompleteMultipartUpload>", 25);
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n_parts && rc == LP_OK; i++) {
    size_t at = i * part_bytes, n = len - at < part_bytes ? len - at : part_bytes;
    rc = multipart_part(c, bucket, key, upload_id, (int)i + 1, (const uint8_t *)data + at, n, &manifest, err);
  }
  lp__buf_put(&manifest, "</CompleteMultipartUpload>", 26);
  if (rc == LP_OK) rc = lp__buf_status(&manifest, "s3 multipart", err);
  if (rc == LP_OK) rc = multipart_complete(c, bucket, key, upload_id, &manifest, err);
  if (rc != LP_OK) multipart_abort(c, bucket, key, upload_id);
  lp__buf_reset(&manifest);
  free(upload_id);
  return rc;
}

/* ---- buckets (tests) ---- */

lp_status lp__s3_create_bucket(lp__s3_client *c, const char *bucket, lp_error *err) {
  if (c == NULL || bucket == NULL || strlen(bucket) < 3)
    return lp_error_set(err, LP_EINVAL, "s3 create bucket: a name of at least 3 characters is needed");
  lp__s3_req r = {.op = "PUT", .bucket = bucket, .body = "", .body_len = 0, .is_idempotent = true};
  lp_status rc = lp__s3_request(c, &r, err);
  lp__s3_request_reset(&r);
  return rc;
}

lp_status lp__s3_delete_bucket(lp__s3_client *c, const char *bucket, lp_error *err) {
  if (c == NULL || bucket == NULL || *bucket == '\0') return lp_error_set(err, LP_EINVAL, "s3 delete bucket: no name");
  lp__s3_req r = {.op = "DELETE", .bucket = bucket, .is_idempotent = true};
  lp_status rc = lp__s3_request(c, &r, err);
  lp__s3_request_reset(&r);
  return rc;
}
