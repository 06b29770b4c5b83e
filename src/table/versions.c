/* Listing and resolving manifest versions. The directory listing is authoritative; the hint file
 * (latest_version_hint.json) is never trusted for correctness. */
#include "table/versions.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define V2_DIGITS 20

static bool all_digits(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/* Decimal digits to u64, false on overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool lp__version_parse_name(const char *name, uint64_t *version, bool *is_v2) {
  size_t len = strlen(name), suffix = strlen(".manifest");
  if (len <= suffix || strcmp(name + len - suffix, ".manifest") != 0) return false;
  size_t nd = len - suffix;
  uint64_t v;
  if (!all_digits(name, nd) || !parse_u64(name, nd, &v)) return false;
  *is_v2 = nd == V2_DIGITS;
  if (*is_v2) {
    if (v == UINT64_MAX) return false; /* would be version 0, which no table has */
    v = UINT64_MAX - v;
  }
  if (v == 0) return false;
  *version = v;
  return true;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

lp_status lp__versions_list(const char *table_dir, uint64_t **out, size_t *out_n, lp_error *err) {
  char path[4096];
  *out = NULL;
  *out_n = 0;
  snprintf(path, sizeof path, "%s/_versions", table_dir);
  DIR *d = opendir(path);
  if (d == NULL) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return lp_error_set(err, LP_ENOTFOUND, "%s: no _versions directory: not a Lance table", table_dir);
    return lp_error_set_errno(err, LP_EIO, e, "%s: cannot list", path);
  }
  uint64_t *v = NULL;
  size_t n = 0, cap = 0;
  bool seen_v1 = false, seen_v2 = false;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    uint64_t ver;
    bool is_v2;
    if (!lp__version_parse_name(de->d_name, &ver, &is_v2)) continue;
    seen_v1 |= !is_v2;
    seen_v2 |= is_v2;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      uint64_t *nv = realloc(v, cap * sizeof *v);
      if (nv == NULL) {
        closedir(d);
        free(v);
        return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
      }
      v = nv;
    }
    v[n++] = ver;
  }
  closedir(d);
  if (seen_v1 && seen_v2) {
    free(v);
    return lp_error_set(err, LP_ECORRUPT, "%s: both V1 and V2 manifest names in one directory", path);
  }
  if (n == 0) {
    free(v);
    return lp_error_set(err, LP_ENOTFOUND, "%s: no manifest: not a committed Lance table", path);
  }
  qsort(v, n, sizeof *v, cmp_u64);
  *out = v;
  *out_n = n;
  return LP_OK;
}

typedef struct version_set {
  uint64_t *v;
  size_t n, cap;
  bool seen_v1, seen_v2;
} version_set;

static lp_status add_version(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes;
  version_set *s = ctx;
  uint64_t ver;
  bool is_v2;
  if (!lp__version_parse_name(name, &ver, &is_v2)) return LP_OK;
  s->seen_v1 |= !is_v2;
  s->seen_v2 |= is_v2;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    uint64_t *nv = realloc(s->v, cap * sizeof *nv);
    if (nv == NULL) return lp_error_set(err, LP_ENOMEM, "versions: out of memory");
    s->v = nv;
    s->cap = cap;
  }
  s->v[s->n++] = ver;
  return LP_OK;
}

lp_status lp__versions_list_store(lp__storage *store, const char *table_dir, uint64_t **out, size_t *out_n,
                                  lp_error *err) {
  char dir[4096];
  *out = NULL;
  *out_n = 0;
  snprintf(dir, sizeof dir, "%s/_versions", table_dir);
  version_set s = {0};
  lp_status rc = lp__storage_list(store, dir, add_version, &s, err);
  if (rc == LP_OK && s.seen_v1 && s.seen_v2)
    rc = lp_error_set(err, LP_ECORRUPT, "%s: both V1 and V2 manifest names in one directory", dir);
  if (rc == LP_OK && s.n == 0) rc = lp_error_set(err, LP_ENOTFOUND, "%s: no manifest: not a committed Lance table", table_dir);
  if (rc != LP_OK) {
    free(s.v);
    return rc;
  }
  qsort(s.v, s.n, sizeof *s.v, cmp_u64);
  *out = s.v;
  *out_n = s.n;
  return LP_OK;
}

void lp__version_manifest_name(uint64_t version, bool v2, char out[32]) {
  if (v2) snprintf(out, 32, "%020" PRIu64 ".manifest", UINT64_MAX - version);
  else snprintf(out, 32, "%" PRIu64 ".manifest", version);
}

lp_status lp__version_manifest_path(const char *table_dir, uint64_t version, char **out, lp_error *err) {
  char path[4096];
  struct stat st;
  *out = NULL;
  if (version == 0) return lp_error_set(err, LP_EINVAL, "%s: version 0 does not exist", table_dir);
  snprintf(path, sizeof path, "%s/_versions/%020" PRIu64 ".manifest", table_dir, UINT64_MAX - version);
  if (stat(path, &st) != 0) {
    snprintf(path, sizeof path, "%s/_versions/%" PRIu64 ".manifest", table_dir, version);
    if (stat(path, &st) != 0) {
      int e = errno;
      if (e != ENOENT && e != ENOTDIR) return lp_error_set_errno(err, LP_EIO, e, "%s: cannot stat", path);
      return lp_error_set(err, LP_ENOTFOUND, "%s: version %" PRIu64 " does not exist", table_dir, version);
    }
  }
  *out = strdup(path);
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", table_dir);
  return LP_OK;
}

/* ---- the latest version, from a hint -------------------------------------------------------------- *
 * Every commit creates version N+1 of a table whose latest is N, with an atomic link() that fails when
 * the name is taken, and cleanup removes versions oldest first and never the latest. So when version N
 * exists and N+1 does not, N is the latest: two stat() calls instead of listing _versions/, which grows
 * by one file per commit until cleanup. A hint that is behind is walked forward a few versions; one that
 * no longer exists (the table was dropped and made again) or is far behind falls back to the listing. */

#define HINT_SLOTS 32      /* tables remembered per hint set */
#define HINT_MAX_WALK 16   /* versions walked forward from a hint before listing instead */

typedef struct hint {
  char *dir;      /* the table directory, or NULL for a free slot */
  uint64_t version;
  bool v1;        /* the table names its manifests "<n>.manifest" */
} hint;

struct lp__version_hints {
  pthread_mutex_t mu;
  hint slots[HINT_SLOTS];
  size_t next_victim;
};

lp__version_hints *lp__version_hints_new(void) {
  lp__version_hints *h = calloc(1, sizeof *h);
  if (h != NULL) pthread_mutex_init(&h->mu, NULL);
  return h;
}

void lp__version_hints_free(lp__version_hints *h) {
  if (h == NULL) return;
  for (size_t i = 0; i < HINT_SLOTS; i++) free(h->slots[i].dir);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

static bool hint_get(lp__version_hints *h, const char *dir, uint64_t *version, bool *v1) {
  bool found = false;
  pthread_mutex_lock(&h->mu);
  for (size_t i = 0; i < HINT_SLOTS && !found; i++)
    if (h->slots[i].dir != NULL && strcmp(h->slots[i].dir, dir) == 0) {
      *version = h->slots[i].version;
      *v1 = h->slots[i].v1;
      found = true;
    }
  pthread_mutex_unlock(&h->mu);
  return found;
}

void lp__version_hint_put(lp__version_hints *h, const char *dir, uint64_t version, bool v1) {
  if (h == NULL) return;
  pthread_mutex_lock(&h->mu);
  hint *slot = NULL;
  for (size_t i = 0; i < HINT_SLOTS && slot == NULL; i++)
    if (h->slots[i].dir != NULL && strcmp(h->slots[i].dir, dir) == 0) slot = &h->slots[i];
  for (size_t i = 0; i < HINT_SLOTS && slot == NULL; i++)
    if (h->slots[i].dir == NULL) slot = &h->slots[i];
  if (slot == NULL) { /* all taken: replace in turn */
    slot = &h->slots[h->next_victim];
    h->next_victim = (h->next_victim + 1) % HINT_SLOTS;
    free(slot->dir);
    slot->dir = NULL;
  }
  if (slot->dir == NULL) slot->dir = strdup(dir);
  if (slot->dir != NULL) { /* out of memory: no hint, which is only slower */
    slot->version = version;
    slot->v1 = v1;
  }
  pthread_mutex_unlock(&h->mu);
}

static void manifest_name(const char *table_dir, uint64_t version, bool v1, char *out, size_t cap) {
  if (v1)
    snprintf(out, cap, "%s/_versions/%" PRIu64 ".manifest", table_dir, version);
  else
    snprintf(out, cap, "%s/_versions/%020" PRIu64 ".manifest", table_dir, UINT64_MAX - version);
}

/* 1 when the manifest of `version` exists, 0 when it does not, -1 when stat failed otherwise. */
static int manifest_exists(const char *table_dir, uint64_t version, bool v1) {
  char path[4200];
  struct stat st;
  manifest_name(table_dir, version, v1, path, sizeof path);
  if (stat(path, &st) == 0) return 1;
  return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* The latest version from hint `known` (*out 0 when the hint cannot tell). */
static void latest_from_hint(const char *table_dir, uint64_t known, bool v1, uint64_t *out) {
  *out = 0;
  if (known == 0 || known >= UINT64_MAX - HINT_MAX_WALK) return;
  uint64_t v = known;
  int next;
  while ((next = manifest_exists(table_dir, v + 1, v1)) == 1 && v - known < HINT_MAX_WALK) v++;
  if (next != 0) return; /* far ahead, or stat failed: list */
  if (v == known && manifest_exists(table_dir, v, v1) != 1) return; /* the hinted version is gone */
  *out = v;
}

lp_status lp__version_latest(const char *table_dir, lp__version_hints *hints, uint64_t *out, bool *out_v1,
                             lp_error *err) {
  uint64_t known = 0, v = 0;
  bool v1 = false;
  if (hints != NULL && hint_get(hints, table_dir, &known, &v1)) latest_from_hint(table_dir, known, v1, &v);
  if (v == 0) {
    uint64_t *all = NULL;
    size_t n = 0;
    LP_TRY(lp__versions_list(table_dir, &all, &n, err));
    v = all[n - 1];
    free(all);
    v1 = manifest_exists(table_dir, v, true) == 1;
  }
  lp__version_hint_put(hints, table_dir, v, v1);
  *out = v;
  if (out_v1) *out_v1 = v1;
  return LP_OK;
}
