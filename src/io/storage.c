/* The storage interface (storage.h): picking the backend from the URI, checking paths, and ordering
 * listings, so that every backend behaves alike. */
#include "io/storage.h"

#include <stdlib.h>
#include <string.h>

#include "io/storage_int.h"

#define MAX_PATH_BYTES 1024

/* A relative path of non-empty components, none of them "." or "..": what a table's files are called.
 * Checked for every backend, so a damaged manifest cannot name a file outside the store. */
static lp_status check_path(const char *path, bool allow_empty, lp_error *err) {
  if (path == NULL) return lp_error_set(err, LP_EINVAL, "storage: NULL path");
  size_t n = strlen(path);
  if (n == 0 && allow_empty) return LP_OK;
  if (n == 0 || n > MAX_PATH_BYTES) return lp_error_set(err, LP_EINVAL, "storage: path of %zu bytes", n);
  for (const char *p = path; *p;) {
    size_t k = strcspn(p, "/");
    if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
      return lp_error_set(err, LP_EINVAL, "storage: path \"%s\" is not a plain relative path", path);
    p += k;
    if (*p == '/') {
      p++;
      if (*p == '\0' && !allow_empty) return lp_error_set(err, LP_EINVAL, "storage: path \"%s\" ends in /", path);
    }
  }
  return LP_OK;
}

lp_status lp__storage_open(const char *uri, const lp__s3_options *s3_options, lp__storage **out, lp_error *err) {
  if (uri == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "storage: NULL uri or output");
  lp__storage *st = calloc(1, sizeof *st);
  if (st == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  lp_status rc;
  if (strncmp(uri, "s3://", 5) == 0) {
    rc = s3_options ? lp__storage_s3_open(uri + 5, s3_options, st, err)
                    : lp_error_set(err, LP_EINVAL, "storage %s: S3 options (endpoint, keys) are needed", uri);
  } else if (strcmp(uri, "memory://") == 0) {
    rc = lp__storage_memory_open(st, err);
  } else if (strstr(uri, "://") != NULL) {
    rc = lp_error_set(err, LP_EUNSUPPORTED, "storage %s: only s3://, memory:// and local paths", uri);
  } else {
    rc = lp__storage_local_open(uri, st, err);
  }
  if (rc != LP_OK) {
    free(st);
    return rc;
  }
  *out = st;
  return LP_OK;
}

void lp__storage_close(lp__storage *st) {
  if (st == NULL) return;
  st->ops->close(st);
  free(st);
}

const char *lp__storage_kind(const lp__storage *st) { return st->ops->kind; }

lp_status lp__storage_read(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                           size_t *out_len, lp_error *err) {
  if (st == NULL || out == NULL || out_len == NULL) return lp_error_set(err, LP_EINVAL, "storage read: NULL argument");
  LP_TRY(check_path(path, false, err));
  if (offset > (uint64_t)INT64_MAX) return lp_error_set(err, LP_EINVAL, "storage read %s: offset too large", path);
  return st->ops->read(st, path, offset, length, out, out_len, err);
}

lp_status lp__storage_size(lp__storage *st, const char *path, uint64_t *out_size, lp_error *err) {
  if (st == NULL || out_size == NULL) return lp_error_set(err, LP_EINVAL, "storage size: NULL argument");
  LP_TRY(check_path(path, false, err));
  return st->ops->size(st, path, out_size, err);
}

lp_status lp__storage_put(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent,
                          lp_error *err) {
  if (st == NULL || (data == NULL && len > 0)) return lp_error_set(err, LP_EINVAL, "storage put: NULL argument");
  LP_TRY(check_path(path, false, err));
  return st->ops->put(st, path, data ? data : "", len, if_absent, err);
}

lp_status lp__storage_delete(lp__storage *st, const char *path, lp_error *err) {
  if (st == NULL) return lp_error_set(err, LP_EINVAL, "storage delete: NULL store");
  LP_TRY(check_path(path, false, err));
  return st->ops->del(st, path, err);
}

/* ---- listings: gathered from the backend, sorted, then handed out ---- */

typedef struct child {
  char *name;
  uint64_t size_bytes;
} child;

typedef struct children {
  child *items;
  size_t n, cap;
} children;

static lp_status gather(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  children *c = ctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    child *items = realloc(c->items, cap * sizeof *items);
    if (items == NULL) return lp_error_set(err, LP_ENOMEM, "storage list: out of memory");
    c->items = items;
    c->cap = cap;
  }
  c->items[c->n].name = strdup(name);
  if (c->items[c->n].name == NULL) return lp_error_set(err, LP_ENOMEM, "storage list: out of memory");
  c->items[c->n++].size_bytes = size_bytes;
  return LP_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(((const child *)a)->name, ((const child *)b)->name); }

lp_status lp__storage_list(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err) {
  if (st == NULL || fn == NULL) return lp_error_set(err, LP_EINVAL, "storage list: NULL argument");
  const char *d = dir ? dir : "";
  LP_TRY(check_path(d, true, err));
  children c = {0};
  lp_status rc = st->ops->list(st, d, gather, &c, err);
  if (rc == LP_OK && c.n > 1) qsort(c.items, c.n, sizeof *c.items, by_name);
  for (size_t i = 0; i < c.n && rc == LP_OK; i++) rc = fn(ctx, c.items[i].name, c.items[i].size_bytes, err);
  for (size_t i = 0; i < c.n; i++) free(c.items[i].name);
  free(c.items);
  return rc;
}
