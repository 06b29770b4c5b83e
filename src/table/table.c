/* Tables: opening a version (through the session cache), versions, schema, row counts, and per-fragment
 * access to data files and deletion vectors used by scans and takes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "io/io.h"
#include "table/session.h"
#include "table/table.h"
#include "table/versions.h"

#define MAX_NAME 255

static void *manifest_ref(void *v) { return lp__manifest_ref(v); }
static void manifest_unref(void *v) { lp__manifest_unref(v); }
static void *dv_ref(void *v) { return lp__deletion_vec_ref(v); }
static void dv_unref(void *v) { lp__deletion_vec_unref(v); }
static const lp__cache_ops MANIFEST_OPS = {manifest_ref, manifest_unref};
static const lp__cache_ops DV_OPS = {dv_ref, dv_unref};

static lp__cache *db_cache(const lp_db *db) {
  return db->session ? lp__session_cache(db->session) : NULL;
}

/* LanceDB's rule for table names: ^[A-Za-z0-9_.-]+$. */
static bool valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > MAX_NAME) return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
          c == '-'))
      return false;
  }
  return true;
}

/* Decode (or find in the cache) the manifest of `version`. The cache key includes the file's inode, size
 * and modification time, so a table dropped and re-created under the same name is never served stale. */
/* The manifest of `version` of a table in a store: the V2 name, else the V1 one. Not cached: a bucket
 * offers no cheap identity (inode, mtime) to tell a re-created table's manifest from the old one. */
static lp_status load_store_manifest(const lp_db *db, const char *table_dir, uint64_t version, lp__manifest **out,
                                     lp_error *err) {
  char path[4200], name[32];
  uint8_t *bytes = NULL;
  size_t size = 0;
  lp_status rc = LP_ENOTFOUND;
  for (int v2 = 1; v2 >= 0 && rc == LP_ENOTFOUND; v2--) {
    lp__version_manifest_name(version, v2, name);
    snprintf(path, sizeof path, "%s/_versions/%s", table_dir, name);
    rc = lp__storage_read(db->store, path, 0, -1, &bytes, &size, err);
  }
  if (rc == LP_ENOTFOUND)
    return lp_error_set(err, LP_ENOTFOUND, "%s/%s: version %" PRIu64 " does not exist", db->dir, table_dir, version);
  if (rc != LP_OK) return rc;
  rc = lp__manifest_decode(bytes, size, path, out, err);
  free(bytes);
  if (rc == LP_OK && (*out)->version != version) {
    rc = lp_error_set(err, LP_ECORRUPT, "%s: file name says version %" PRIu64 " but the manifest says %" PRIu64, path,
                      version, (*out)->version);
    lp__manifest_unref(*out);
    *out = NULL;
  }
  return rc;
}

static lp_status load_manifest(const lp_db *db, const char *table_dir, uint64_t version, lp__manifest **out,
                               lp_error *err) {
  char *path = NULL;
  *out = NULL;
  if (db->store) return load_store_manifest(db, table_dir, version, out, err);
  LP_TRY(lp__version_manifest_path(table_dir, version, &path, err));
  struct stat st;
  if (stat(path, &st) != 0) {
    lp_status rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot stat", path);
    free(path);
    return rc;
  }
  char key[4200];
  snprintf(key, sizeof key, "M|%s|%ju|%jd|%jd.%09ld", path, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
           (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  lp__cache *cache = db_cache(db);
  lp__manifest *m = cache ? lp__cache_get(cache, key) : NULL;
  lp_status rc = LP_OK;
  if (m == NULL) {
    rc = lp__manifest_read(path, &m, err);
    if (rc == LP_OK && m->version != version) {
      rc = lp_error_set(err, LP_ECORRUPT, "%s: file name says version %" PRIu64 " but the manifest says %" PRIu64,
                        path, version, m->version);
      lp__manifest_unref(m);
      m = NULL;
    }
    if (rc == LP_OK && cache) lp__cache_put(cache, key, m, m->size_bytes, &MANIFEST_OPS);
  }
  free(path);
  *out = m;
  return rc;
}

/* The newest version of a table in a store: one listing of _versions/. LanceDB keeps no hint file in a
 * bucket, and a remembered version could not be checked as cheaply as with stat(). */
static lp_status latest_in_store(const lp_db *db, const char *table_dir, uint64_t *out, lp_error *err) {
  uint64_t *versions = NULL;
  size_t n = 0;
  LP_TRY(lp__versions_list_store(db->store, table_dir, &versions, &n, err));
  *out = versions[n - 1];
  free(versions);
  return LP_OK;
}

lp_status lp_table_open(lp_db *db, const char *name, uint64_t version, lp_table **out, lp_error *err) {
  if (db == NULL || name == NULL || out == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_table_open: db, name and out must not be NULL");
  *out = NULL;
  if (!valid_name(name)) return lp_error_set(err, LP_EINVAL, "table name \"%s\" is not valid ([A-Za-z0-9_.-]+)", name);
  lp_table *t = calloc(1, sizeof *t);
  if (t == NULL) return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", name);
  t->db = db;
  t->name = strdup(name);
  size_t dl = strlen(db->dir) + strlen(name) + 8;
  t->dir = malloc(dl);   /* in a store: relative to it */
  if (t->name == NULL || t->dir == NULL) {
    free(t->name);
    free(t->dir);
    free(t);
    return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", name);
  }
  if (db->store) snprintf(t->dir, dl, "%s.lance", name);
  else snprintf(t->dir, dl, "%s/%s.lance", db->dir, name);
  lp_status rc = LP_OK;
  if (version == LP_VERSION_LATEST && db->store) {
    rc = latest_in_store(db, t->dir, &version, err);
  } else if (version == LP_VERSION_LATEST) {
    rc = lp__version_latest(t->dir, lp__session_version_hints(db->session), &version, NULL, err);
  }
  if (rc == LP_OK) rc = load_manifest(db, t->dir, version, &t->m, err);
  if (rc != LP_OK) {
    lp_error_wrap(err, "table %s: ", name);
    free(t->name);
    free(t->dir);
    free(t);
    return rc;
  }
  t->next = db->tables;
  if (db->tables) db->tables->prev = t;
  db->tables = t;
  *out = t;
  return LP_OK;
}

void lp_table_close(lp_table *t) {
  if (t == NULL) return;
  if (t->prev) t->prev->next = t->next;
  else t->db->tables = t->next;
  if (t->next) t->next->prev = t->prev;
  lp__manifest_unref(t->m);
  free(t->name);
  free(t->dir);
  free(t);
}

uint64_t lp_table_version(const lp_table *t) { return t->m->version; }
const char *lp_table_name(const lp_table *t) { return t->name; }

lp_status lp_table_versions(lp_table *t, lp_version_info **out, size_t *out_n, lp_error *err) {
  uint64_t *versions = NULL;
  size_t n = 0;
  *out = NULL;
  *out_n = 0;
  if (t->db->store) LP_TRY(lp__versions_list_store(t->db->store, t->dir, &versions, &n, err));
  else LP_TRY(lp__versions_list(t->dir, &versions, &n, err));
  lp_version_info *info = calloc(n, sizeof *info);
  if (info == NULL) {
    free(versions);
    return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
  }
  for (size_t i = 0; i < n; i++) {
    lp__manifest *m = NULL;
    lp_status rc = load_manifest(t->db, t->dir, versions[i], &m, err);
    if (rc != LP_OK) {
      free(versions);
      free(info);
      lp_error_wrap(err, "table %s: ", t->name);
      return rc;
    }
    info[i].version = versions[i];
    info[i].timestamp_us = m->timestamp_us;
    lp__manifest_unref(m);
  }
  free(versions);
  *out = info;
  *out_n = n;
  return LP_OK;
}

lp_status lp__project(const lp_table *t, const char *const *columns, size_t n_columns, const lp__field ***out,
                      size_t *out_n, lp_error *err) {
  const lp__schema *s = &t->m->schema;
  size_t n = columns ? n_columns : s->n_fields;
  const lp__field **fields = calloc(n ? n : 1, sizeof *fields);
  if (fields == NULL) return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
  for (size_t i = 0; i < n; i++) {
    fields[i] = columns ? lp__schema_find(s, columns[i] ? columns[i] : "") : &s->fields[i];
    if (fields[i] == NULL) {
      free(fields);
      return lp_error_set(err, LP_ENOTFOUND, "table %s: no column \"%s\"", t->name, columns[i] ? columns[i] : "");
    }
  }
  *out = fields;
  *out_n = n;
  return LP_OK;
}

lp_status lp__project_with_row_id(lp_table *t, const lp_scan_options *opts, const lp__field ***out, size_t *out_n,
                                  lp_error *err) {
  LP_TRY(lp__project(t, opts->columns, opts->n_columns, out, out_n, err));
  if (!opts->with_row_id) return LP_OK;
  const lp__field **f = realloc(*out, (*out_n + 1) * sizeof *f);
  if (f == NULL) {
    free(*out);
    *out = NULL;
    return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
  }
  f[*out_n] = lp__rowid_field();
  *out = f;
  return LP_OK;
}

lp_status lp_table_schema(lp_table *t, struct ArrowSchema *out, lp_error *err) {
  const lp__field **fields = NULL;
  size_t n = 0;
  LP_TRY(lp__project(t, NULL, 0, &fields, &n, err));
  lp_status rc = lp__fields_to_arrow_struct(fields, n, out, err);
  free(fields);
  return rc;
}

lp_status lp_table_count_rows(lp_table *t, uint64_t *out, lp_error *err) {
  (void)err;
  *out = lp__manifest_live_rows(t->m);
  return LP_OK;
}

/* ---- fragment access ------------------------------------------------------------------------------ */

static lp_status read_store_deletions(lp__storage *store, const char *path, lp__deletion_kind kind,
                                     lp__deletion_vec **out, lp_error *err) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  LP_TRY(lp__storage_read(store, path, 0, -1, &bytes, &size, err));
  lp_status rc = lp__deletion_parse(bytes, size, kind, path, out, err);
  free(bytes);
  return rc;
}

lp_status lp__table_deletions(lp_table *t, const lp__fragment *frag, lp__deletion_vec **out, lp_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", t->dir, frag->id,
           frag->deletion_read_version, frag->deletion_id, frag->deletion_kind == LP__DELETION_BITMAP ? "bin" : "arrow");
  char key[4300];
  snprintf(key, sizeof key, "X|%s%s%s", t->db->store ? t->db->dir : "", t->db->store ? "/" : "", path);
  lp__cache *cache = db_cache(t->db);
  lp__deletion_vec *dv = cache ? lp__cache_get(cache, key) : NULL;
  if (dv == NULL) {
    if (t->db->store) LP_TRY(read_store_deletions(t->db->store, path, frag->deletion_kind, &dv, err));
    else LP_TRY(lp__deletion_read(path, frag->deletion_kind, &dv, err));
    /* Both numbers matter: counts come from the manifest, scans from the file; they must agree. */
    if (dv->n_rows != frag->num_deleted_rows || (dv->n_rows > 0 && dv->rows[dv->n_rows - 1] >= frag->physical_rows)) {
      lp_status rc = lp_error_set(err, LP_ECORRUPT, "%s: holds %zu deleted rows (largest %u), but the manifest says %"
                                  PRIu64 " of %" PRIu64 " rows", path, dv->n_rows,
                                  dv->n_rows ? dv->rows[dv->n_rows - 1] : 0, frag->num_deleted_rows,
                                  frag->physical_rows);
      lp__deletion_vec_unref(dv);
      return rc;
    }
    if (cache) lp__cache_put(cache, key, dv, lp__deletion_vec_size_bytes(dv), &DV_OPS);
  }
  *out = dv;
  return LP_OK;
}



