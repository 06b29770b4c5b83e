/* The in-memory backend of the storage interface, for tests: objects in an array kept sorted by path,
 * under one mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io/storage_int.h"

typedef struct object {
  char *path;
  uint8_t *data;
  size_t len;
} object;

typedef struct memory {
  pthread_mutex_t mu;
  object *objects;  /* sorted by path */
  size_t n, cap;
} memory;

/* Index of path, or where it would go (*found false). Caller holds mu. */
static size_t find(const memory *m, const char *path, bool *found) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(m->objects[mid].path, path);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  *found = false;
  return lo;
}

static lp_status mem_read(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                          size_t *out_len, lp_error *err) {
  memory *m = st->impl;
  pthread_mutex_lock(&m->mu);
  bool found;
  size_t i = find(m, path, &found);
  lp_status rc = LP_OK;
  if (!found) {
    rc = lp_error_set(err, LP_ENOTFOUND, "memory://%s: no such object", path);
  } else {
    const object *o = &m->objects[i];
    size_t start = offset < o->len ? (size_t)offset : o->len, n = o->len - start;
    if (length >= 0 && (uint64_t)length < n) n = (size_t)length;
    *out = malloc(n ? n : 1);
    if (*out == NULL) rc = lp_error_set(err, LP_ENOMEM, "memory://%s: out of memory", path);
    else memcpy(*out, o->data + start, n), *out_len = n;
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static lp_status mem_size(lp__storage *st, const char *path, uint64_t *out, lp_error *err) {
  memory *m = st->impl;
  pthread_mutex_lock(&m->mu);
  bool found;
  size_t i = find(m, path, &found);
  if (found) *out = m->objects[i].len;
  pthread_mutex_unlock(&m->mu);
  return found ? LP_OK : lp_error_set(err, LP_ENOTFOUND, "memory://%s: no such object", path);
}

/* Room for one more object. Caller holds mu. */
static bool make_room(memory *m) {
  if (m->n < m->cap) return true;
  size_t cap = m->cap ? 2 * m->cap : 64;
  object *objects = realloc(m->objects, cap * sizeof *objects);
  if (objects == NULL) return false;
  m->objects = objects;
  m->cap = cap;
  return true;
}

static lp_status mem_put(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent,
                         lp_error *err) {
  memory *m = st->impl;
  uint8_t *copy = malloc(len ? len : 1);
  char *name = strdup(path);
  if (copy == NULL || name == NULL) {
    free(copy);
    free(name);
    return lp_error_set(err, LP_ENOMEM, "memory://%s: out of memory", path);
  }
  memcpy(copy, data, len);
  lp_status rc = LP_OK;
  pthread_mutex_lock(&m->mu);
  bool found;
  size_t i = find(m, path, &found);
  if (found && if_absent) {
    rc = lp_error_set(err, LP_ECONFLICT, "memory://%s: already exists", path);
  } else if (found) {
    free(m->objects[i].data);
    m->objects[i].data = copy, m->objects[i].len = len;
    copy = NULL;
  } else if (!make_room(m)) {
    rc = lp_error_set(err, LP_ENOMEM, "memory://%s: out of memory", path);
  } else {
    memmove(&m->objects[i + 1], &m->objects[i], (m->n - i) * sizeof *m->objects);
    m->objects[i] = (object){name, copy, len};
    m->n++;
    copy = NULL, name = NULL;
  }
  pthread_mutex_unlock(&m->mu);
  free(copy);
  free(name);
  return rc;
}

static lp_status mem_del(lp__storage *st, const char *path, lp_error *err) {
  (void)err;
  memory *m = st->impl;
  pthread_mutex_lock(&m->mu);
  bool found;
  size_t i = find(m, path, &found);
  if (found) {
    free(m->objects[i].path);
    free(m->objects[i].data);
    memmove(&m->objects[i], &m->objects[i + 1], (m->n - i - 1) * sizeof *m->objects);
    m->n--;
  }
  pthread_mutex_unlock(&m->mu);
  return LP_OK;
}

/* Children of dir: the objects right in it, and each sub-folder once (paths sharing it are adjacent). */
static lp_status mem_list(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err) {
  memory *m = st->impl;
  size_t dlen = strlen(dir);
  char last[1024] = "";
  lp_status rc = LP_OK;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->n && rc == LP_OK; i++) {
    const char *p = m->objects[i].path;
    if (dlen && (strncmp(p, dir, dlen) != 0 || (dir[dlen - 1] != '/' && p[dlen] != '/'))) continue;
    const char *rest = p + dlen + (dlen && dir[dlen - 1] != '/');
    const char *slash = strchr(rest, '/');
    if (slash == NULL) {
      rc = fn(ctx, rest, m->objects[i].len, err);
      continue;
    }
    size_t k = (size_t)(slash - rest) + 1;
    if (k >= sizeof last || (strncmp(last, rest, k) == 0 && last[k] == '\0')) continue;
    memcpy(last, rest, k);
    last[k] = '\0';
    rc = fn(ctx, last, 0, err);
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static void mem_close(lp__storage *st) {
  memory *m = st->impl;
  for (size_t i = 0; i < m->n; i++) {
    free(m->objects[i].path);
    free(m->objects[i].data);
  }
  free(m->objects);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static const lp__storage_ops memory_ops = {"memory", mem_read, mem_size, mem_put, mem_del, mem_list, mem_close};

lp_status lp__storage_memory_open(lp__storage *st, lp_error *err) {
  memory *m = calloc(1, sizeof *m);
  if (m == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  pthread_mutex_init(&m->mu, NULL);
  st->ops = &memory_ops;
  st->impl = m;
  return LP_OK;
}
