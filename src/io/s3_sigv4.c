/* SigV4 signing of S3 requests (see s3_sigv4.h for why it is written here rather than taken from curl).
 * The steps: a canonical request (method, path, sorted query, sorted lower-case headers, their names, the
 * payload hash), a string to sign naming the date and scope, and an HMAC-SHA256 key chain over the date,
 * region, service and "aws4_request". */
#include "io/s3_sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/buf.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_SIGNED_HEADERS 32

static void hex_encode(const unsigned char *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

void lp__sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(data, n, md, &md_len, EVP_sha256(), NULL);
  hex_encode(md, 32, out);
}

void lp__md5_base64(const void *data, size_t n, char out[25]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(data, n, md, &md_len, EVP_md5(), NULL);
  EVP_EncodeBlock((unsigned char *)out, md, 16);
}

static bool is_unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *lp__uri_encode(const char *s, int keep_slash) {
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1);
  if (out == NULL) return NULL;
  char *w = out;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (is_unreserved(*p) || (keep_slash && *p == '/')) {
      *w++ = (char)*p;
    } else {
      w += sprintf(w, "%%%02X", *p); /* upper-case hex, as SigV4 requires */
    }
  }
  *w = '\0';
  return out;
}

typedef struct encoded_kv {
  char *name;
  char *value;
} encoded_kv;

static int compare_encoded(const void *a, const void *b) {
  const encoded_kv *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c != 0 ? c : strcmp(x->value, y->value);
}

char *lp__sigv4_canonical_query(const lp__kv *query, size_t n_query) {
  encoded_kv *kv = calloc(n_query ? n_query : 1, sizeof *kv);
  if (kv == NULL) return NULL;
  char *out = NULL;
  bool ok = true;
  for (size_t i = 0; i < n_query && ok; i++) {
    kv[i].name = lp__uri_encode(query[i].name, 0);
    kv[i].value = lp__uri_encode(query[i].value ? query[i].value : "", 0);
    ok = kv[i].name != NULL && kv[i].value != NULL;
  }
  if (ok) {
    qsort(kv, n_query, sizeof *kv, compare_encoded);
    lp__buf b;
    lp__buf_init(&b);
    for (size_t i = 0; i < n_query; i++) {
      if (i > 0) lp__buf_put(&b, "&", 1);
      lp__buf_put(&b, kv[i].name, strlen(kv[i].name));
      lp__buf_put(&b, "=", 1);
      lp__buf_put(&b, kv[i].value, strlen(kv[i].value));
    }
    lp__buf_put(&b, "", 1);
    if (!b.failed) out = (char *)b.data;
    else lp__buf_reset(&b);
  }
  for (size_t i = 0; i < n_query; i++) {
    free(kv[i].name);
    free(kv[i].value);
  }
  free(kv);
  return out;
}

typedef struct canonical_header {
  char name[64];   /* lower case */
  const char *value;
} canonical_header;

static int compare_header(const void *a, const void *b) {
  return strcmp(((const canonical_header *)a)->name, ((const canonical_header *)b)->name);
}

/* Append a header value trimmed at both ends with inner runs of spaces collapsed to one, as SigV4 wants. */
static void put_trimmed(lp__buf *b, const char *v) {
  while (*v == ' ' || *v == '\t') v++;
  size_t n = strlen(v);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  for (size_t i = 0; i < n; i++) {
    bool space = v[i] == ' ' || v[i] == '\t';
    if (space && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t')) continue;
    lp__buf_put(b, space ? " " : &v[i], 1);
  }
}

/* Lower-case and sort the headers to sign; LP_EINVAL when there are too many or a name is too long. */
static lp_status sort_headers(const lp__sigv4_request *req, canonical_header *out, lp_error *err) {
  if (req->n_headers > MAX_SIGNED_HEADERS)
    return lp_error_set(err, LP_EINVAL, "sigv4: %zu headers to sign, at most %d", req->n_headers, MAX_SIGNED_HEADERS);
  for (size_t i = 0; i < req->n_headers; i++) {
    size_t n = strlen(req->headers[i].name);
    if (n == 0 || n >= sizeof out[i].name)
      return lp_error_set(err, LP_EINVAL, "sigv4: header name of %zu bytes", n);
    for (size_t j = 0; j <= n; j++) out[i].name[j] = (char)tolower((unsigned char)req->headers[i].name[j]);
    out[i].value = req->headers[i].value ? req->headers[i].value : "";
  }
  qsort(out, req->n_headers, sizeof *out, compare_header);
  return LP_OK;
}

/* The canonical request into b, and the signed-header list into signed_names. */
static void build_canonical_request(const lp__sigv4_request *req, const char *query, const canonical_header *h,
                                    lp__buf *b, lp__buf *signed_names) {
  lp__buf_put(b, req->method, strlen(req->method));
  lp__buf_put(b, "\n", 1);
  lp__buf_put(b, req->canonical_path, strlen(req->canonical_path));
  lp__buf_put(b, "\n", 1);
  lp__buf_put(b, query, strlen(query));
  lp__buf_put(b, "\n", 1);
  for (size_t i = 0; i < req->n_headers; i++) {
    lp__buf_put(b, h[i].name, strlen(h[i].name));
    lp__buf_put(b, ":", 1);
    put_trimmed(b, h[i].value);
    lp__buf_put(b, "\n", 1);
    if (i > 0) lp__buf_put(signed_names, ";", 1);
    lp__buf_put(signed_names, h[i].name, strlen(h[i].name));
  }
  lp__buf_put(signed_names, "", 1);
  lp__buf_put(b, "\n", 1);
  lp__buf_put(b, (const char *)signed_names->data, signed_names->len - 1);
  lp__buf_put(b, "\n", 1);
  lp__buf_put(b, req->payload_sha256, strlen(req->payload_sha256));
}

static void hmac(const unsigned char *key, size_t key_len, const char *msg, unsigned char out[32]) {
  unsigned int out_len = 32;
  HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &out_len);
}

/* The signature: HMAC of the string to sign under the key derived from the secret, date and scope. */
static void sign(const lp__sigv4_key *key, const char *date, const char *string_to_sign, char out_hex[65]) {
  size_t secret_len = strlen(key->secret_access_key);
  unsigned char *k0 = malloc(secret_len + 5);
  unsigned char k[32], sig[32];
  if (k0 == NULL) { /* a secret too large to copy: sign nothing sensible, the server will refuse */
    out_hex[0] = '\0';
    return;
  }
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, key->secret_access_key, secret_len);
  hmac(k0, secret_len + 4, date, k);
  free(k0);
  hmac(k, 32, key->region, k);
  hmac(k, 32, key->service, k);
  hmac(k, 32, "aws4_request", k);
  hmac(k, 32, string_to_sign, sig);
  hex_encode(sig, 32, out_hex);
}

static bool is_amz_date(const char *d) {
  if (d == NULL || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return false;
  for (int i = 0; i < 15; i++)
    if (i != 8 && !isdigit((unsigned char)d[i])) return false;
  return true;
}

lp_status lp__sigv4_authorization(const lp__sigv4_key *key, const lp__sigv4_request *req, const char *amz_date,
                                  char *out, size_t out_size, lp_error *err) {
  if (key == NULL || key->access_key_id == NULL || key->secret_access_key == NULL || key->region == NULL ||
      key->service == NULL || req == NULL || req->method == NULL || req->canonical_path == NULL ||
      req->payload_sha256 == NULL || out == NULL)
    return lp_error_set(err, LP_EINVAL, "sigv4: missing key, request field or output");
  if (!is_amz_date(amz_date))
    return lp_error_set(err, LP_EINVAL, "sigv4: date \"%s\" is not of the form YYYYMMDDTHHMMSSZ",
                        amz_date ? amz_date : "(null)");
  canonical_header headers[MAX_SIGNED_HEADERS];
  LP_TRY(sort_headers(req, headers, err));
  char *query = lp__sigv4_canonical_query(req->query, req->n_query);
  if (query == NULL) return lp_error_set(err, LP_ENOMEM, "sigv4: out of memory");
  lp__buf canonical, signed_names;
  lp__buf_init(&canonical);
  lp__buf_init(&signed_names);
  build_canonical_request(req, query, headers, &canonical, &signed_names);
  free(query);
  lp_status rc = lp__buf_status(&canonical, "sigv4 canonical request", err);
  if (rc == LP_OK) rc = lp__buf_status(&signed_names, "sigv4 signed headers", err);
  if (rc == LP_OK) {
    char date[9], canonical_hash[65], string_to_sign[256], signature[65];
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    lp__sha256_hex(canonical.data, canonical.len, canonical_hash);
    snprintf(string_to_sign, sizeof string_to_sign, SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
             date, key->region, key->service, canonical_hash);
    sign(key, date, string_to_sign, signature);
    int n = snprintf(out, out_size, SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                     key->access_key_id, date, key->region, key->service, (const char *)signed_names.data, signature);
    if (n < 0 || (size_t)n >= out_size)
      rc = lp_error_set(err, LP_EINVAL, "sigv4: authorization of %d bytes does not fit in %zu", n, out_size);
  }
  lp__buf_reset(&canonical);
  lp__buf_reset(&signed_names);
  return rc;
}
