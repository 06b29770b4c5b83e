/* Listing and resolving manifest versions. The directory listing is authoritative; the hint file
 * (latest_version_hint.json) is never trusted for correctness. */
#include "lance/versions.h"

#include <dirent.h>
#include <errno.h>
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
