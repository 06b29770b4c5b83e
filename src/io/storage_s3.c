/* The S3 backend of the storage interface: objects under s3://bucket/prefix through the S3 client.
 * If-absent puts are If-None-Match PUTs, the commit LanceDB makes on S3; listings use the delimiter '/'
 * so a folder's sub-folders come back as common prefixes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/disk_cache.h"
#include "io/storage_int.h"

#define MULTIPART_ABOVE_BYTES ((size_t)16 << 20) /* plain PUTs up to this size, multipart uploads above */

#define N_LARGE_SLOTS 1024 /* remembered objects too large for the disk cache */

typedef struct s3_store {
  lp__s3_client *client;
  char *bucket;  /* owned */
  char *prefix;  /* owned: "" or "db/path/" (with its trailing '/') */
  lp__disk_cache *cache;   /* or NULL */
  char *endpoint;          /* owned: names cached objects together with bucket and key */
  pthread_mutex_t large_mu;
  uint64_t large[N_LARGE_SLOTS]; /* hashes of keys found too large to cache (0 = empty slot) */
} s3_store;

static uint64_t key_hash(const char *key) { /* FNV-1a; never 0 */
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211ull;
  return h ? h : 1;
}

static bool known_large(s3_store *s, const char *key) {
  uint64_t h = key_hash(key);
  pthread_mutex_lock(&s->large_mu);
  bool found = s->large[h % N_LARGE_SLOTS] == h;
  pthread_mutex_unlock(&s->large_mu);
  return found;
}

static void remember_large(s3_store *s, const char *key) {
  uint64_t h = key_hash(key);
  pthread_mutex_lock(&s->large_mu);
  s->large[h % N_LARGE_SLOTS] = h;
  pthread_mutex_unlock(&s->large_mu);
}

/* The bytes [offset, offset+length) (length < 0: to the end) of whole, as a new buffer; false when the range
 * does not lie inside it (the plain request then gives S3's own answer). */
static bool slice(const uint8_t *whole, size_t len, uint64_t offset, int64_t length, uint8_t **out, size_t *out_len) {
  if (offset > len) return false;
  size_t n = length < 0 || (uint64_t)length > len - offset ? len - offset : (size_t)length;
  uint8_t *b = malloc(n ? n : 1);
  if (b == NULL) return false;
  memcpy(b, whole + offset, n);
  *out = b;
  *out_len = n;
  return true;
}

/* A read through the disk cache: a hit is served from disk; on a miss the whole object is fetched (one GET;
 * a HEAD first for a ranged read, so a large data file is never fetched whole), kept, and the range cut out
 * of it. Objects too large to keep are remembered and read with plain ranged GETs. */
static lp_status cached_read(s3_store *s, const char *key, uint64_t offset, int64_t length, uint8_t **out,
                             size_t *out_len, bool *done, lp_error *err) {
  *done = false;
  size_t n = strlen(s->endpoint) + strlen(s->bucket) + strlen(key) + 3;
  char *loc = malloc(n);
  if (loc == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  snprintf(loc, n, "%s/%s/%s", s->endpoint, s->bucket, key);
  lp_status rc = LP_OK;
  if (lp__disk_cache_get(s->cache, loc, offset, length, out, out_len)) {
    *done = true;
  } else if (!known_large(s, key)) {
    uint64_t max = lp__disk_cache_max_object(s->cache);
    lp__s3_object_info info = {0};
    if (length >= 0) rc = lp__s3_head(s->client, s->bucket, key, &info, err);
    if (rc == LP_OK && length >= 0 && info.size_bytes > max) {
      remember_large(s, key);
    } else if (rc == LP_OK) {
      uint8_t *whole = NULL;
      size_t whole_len = 0;
      rc = lp__s3_get(s->client, s->bucket, key, 0, -1, &whole, &whole_len, err);
      if (rc == LP_OK) {
        lp__disk_cache_put(s->cache, loc, whole, whole_len);
        *done = slice(whole, whole_len, offset, length, out, out_len);
      }
      free(whole);
    }
  }
  free(loc);
  return rc;
}


static char *object_key(const s3_store *s, const char *path) {
  size_t n = strlen(s->prefix) + strlen(path) + 2;
  char *key = malloc(n);
  if (key != NULL) snprintf(key, n, "%s%s", s->prefix, path);
  return key;
}

static lp_status s3_read(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                         size_t *out_len, lp_error *err) {
  s3_store *s = st->impl;
  char *key = object_key(s, path);
  if (key == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  bool done = false;
  lp_status rc = LP_OK;
  if (s->cache != NULL && lp__disk_cache_wants(path)) rc = cached_read(s, key, offset, length, out, out_len, &done, err);
  if (rc == LP_OK && !done) rc = lp__s3_get(s->client, s->bucket, key, (int64_t)offset, length, out, out_len, err);
  free(key);
  return rc;
}

static lp_status s3_size(lp__storage *st, const char *path, uint64_t *out, lp_error *err) {
  s3_store *s = st->impl;
  char *key = object_key(s, path);
  if (key == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  lp__s3_object_info info;
  lp_status rc = lp__s3_head(s->client, s->bucket, key, &info, err);
  if (rc == LP_OK) *out = info.size_bytes;
  free(key);
  return rc;
}

static lp_status s3_put(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent,
                        lp_error *err) {
  s3_store *s = st->impl;
  char *key = object_key(s, path);
  if (key == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  lp_status rc;
  if (!if_absent && len > MULTIPART_ABOVE_BYTES) /* large data files: parts retried alone, as LanceDB does */
    rc = lp__s3_put_multipart(s->client, s->bucket, key, data, len, err);
  else
    rc = lp__s3_put(s->client, s->bucket, key, data, len, if_absent ? LP__S3_IF_NONE_MATCH : 0, err);
  free(key);
  return rc;
}

static lp_status s3_del(lp__storage *st, const char *path, lp_error *err) {
  s3_store *s = st->impl;
  char *key = object_key(s, path);
  if (key == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  const char *keys[1] = {key};
  lp_status rc = lp__s3_delete_objects(s->client, s->bucket, keys, 1, err);
  free(key);
  return rc;
}

typedef struct list_ctx {
  size_t strip;   /* bytes of the listed folder's key prefix */
  lp__storage_list_fn fn;
  void *ctx;
} list_ctx;

static lp_status s3_child(void *ctx, const lp__s3_entry *e, const char *prefix, lp_error *err) {
  list_ctx *l = ctx;
  const char *full = e ? e->key : prefix;
  if (strlen(full) <= l->strip) return LP_OK;   /* the folder's own marker object, if any */
  return l->fn(l->ctx, full + l->strip, e ? e->size_bytes : 0, err);
}

static lp_status s3_list(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err) {
  s3_store *s = st->impl;
  size_t n = strlen(s->prefix) + strlen(dir) + 2;
  char *key_prefix = malloc(n);
  if (key_prefix == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  size_t dlen = strlen(dir);
  snprintf(key_prefix, n, "%s%s%s", s->prefix, dir, dlen && dir[dlen - 1] != '/' ? "/" : "");
  list_ctx l = {strlen(key_prefix), fn, ctx};
  lp_status rc = lp__s3_list(s->client, s->bucket, key_prefix, "/", NULL, 0, s3_child, &l, err);
  free(key_prefix);
  return rc;
}

static void s3_close(lp__storage *st) {
  s3_store *s = st->impl;
  lp__s3_client_destroy(s->client);
  lp__disk_cache_close(s->cache);
  free(s->endpoint);
  pthread_mutex_destroy(&s->large_mu);
  free(s->bucket);
  free(s->prefix);
  free(s);
}

static const lp__storage_ops s3_ops = {"s3", s3_read, s3_size, s3_put, s3_del, s3_list, s3_close};

/* "bucket/some/prefix" (after "s3://") into bucket and "some/prefix/". */
static lp_status split_location(const char *loc, s3_store *s, lp_error *err) {
  size_t b = strcspn(loc, "/");
  if (b < 3) return lp_error_set(err, LP_EINVAL, "storage s3://%s: a bucket name of at least 3 characters is needed", loc);
  const char *rest = loc[b] ? loc + b + 1 : "";
  size_t r = strlen(rest);
  while (r > 0 && rest[r - 1] == '/') r--;
  s->bucket = strndup(loc, b);
  s->prefix = malloc(r + 2);
  if (s->bucket == NULL || s->prefix == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  memcpy(s->prefix, rest, r);
  s->prefix[r] = '\0';
  if (r > 0) strcat(s->prefix, "/");
  return LP_OK;
}

lp_status lp__storage_s3_open(const char *loc, const lp__s3_options *o, lp__storage *st, lp_error *err) {
  s3_store *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  pthread_mutex_init(&s->large_mu, NULL);
  st->ops = &s3_ops;
  st->impl = s;
  lp_status rc = split_location(loc, s, err);
  if (rc == LP_OK) rc = lp__s3_client_create(o, &s->client, err);
  if (rc == LP_OK && o->cache_dir != NULL) {
    s->endpoint = strdup(o->endpoint ? o->endpoint : "aws");
    rc = s->endpoint ? lp__disk_cache_open(o->cache_dir, (uint64_t)o->cache_bytes, &s->cache, err)
                     : lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  }
  if (rc != LP_OK) s3_close(st);
  return rc;
}
