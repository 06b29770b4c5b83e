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

#include "lance/arrow_util.h"
#include "lance/io.h"
#include "lance/session.h"
#include "lance/table.h"
#include "lance/versions.h"

#define MAX_NAME 255

static void *manifest_ref(void *v) { return lp__manifest_ref(v); }
static void manifest_unref(void *v) { lp__manifest_unref(v); }
static void *meta_ref(void *v) { return lp__datafile_meta_ref(v); }
static void meta_unref(void *v) { lp__datafile_meta_unref(v); }
static void *dv_ref(void *v) { return lp__deletion_vec_ref(v); }
static void dv_unref(void *v) { lp__deletion_vec_unref(v); }
static const lp__cache_ops MANIFEST_OPS = {manifest_ref, manifest_unref};
static const lp__cache_ops META_OPS = {meta_ref, meta_unref};
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
static lp_status load_manifest(const lp_db *db, const char *table_dir, uint64_t version, lp__manifest **out,
                               lp_error *err) {
  char *path = NULL;
  *out = NULL;
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
  t->dir = malloc(dl);
  if (t->name == NULL || t->dir == NULL) {
    free(t->name);
    free(t->dir);
    free(t);
    return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", name);
  }
  snprintf(t->dir, dl, "%s/%s.lance", db->dir, name);
  lp_status rc = LP_OK;
  if (version == LP_VERSION_LATEST) {
    uint64_t *versions = NULL;
    size_t n = 0;
    rc = lp__versions_list(t->dir, &versions, &n, err);
    if (rc == LP_OK) version = versions[n - 1];
    free(versions);
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
  LP_TRY(lp__versions_list(t->dir, &versions, &n, err));
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
      return lp_error_wrap(err, "table %s: ", t->name);
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

static lp_status load_deletions(lp_table *t, const lp__fragment *frag, lp__deletion_vec **out, lp_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", t->dir, frag->id,
           frag->deletion_read_version, frag->deletion_id, frag->deletion_kind == LP__DELETION_BITMAP ? "bin" : "arrow");
  char key[4300];
  snprintf(key, sizeof key, "X|%s", path);
  lp__cache *cache = db_cache(t->db);
  lp__deletion_vec *dv = cache ? lp__cache_get(cache, key) : NULL;
  if (dv == NULL) {
    LP_TRY(lp__deletion_read(path, frag->deletion_kind, &dv, err));
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

lp_status lp__frag_reader_open(lp_table *t, const lp__fragment *frag, lp__frag_reader *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  out->frag = frag;
  if (frag->n_files > 0) {
    out->files = calloc(frag->n_files, sizeof *out->files);
    if (out->files == NULL) return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
    for (size_t i = 0; i < frag->n_files; i++) out->files[i].fd = -1;
  }
  if (frag->has_deletion && frag->num_deleted_rows > 0) {
    lp_status rc = load_deletions(t, frag, &out->deleted, err);
    if (rc != LP_OK) {
      lp__frag_reader_close(out);
      return lp_error_wrap(err, "table %s: fragment %" PRIu64 ": ", t->name, frag->id);
    }
  }
  return LP_OK;
}

void lp__frag_reader_close(lp__frag_reader *r) {
  if (r->files) {
    for (size_t i = 0; i < r->frag->n_files; i++) {
      if (r->files[i].fd >= 0) close(r->files[i].fd);
      free(r->files[i].path);
      lp__datafile_meta_unref(r->files[i].meta);
    }
    free(r->files);
  }
  lp__deletion_vec_unref(r->deleted);
  memset(r, 0, sizeof *r);
}

/* Open data file i of the fragment and get its metadata (from the cache when the session has it). */
static lp_status open_file(lp_table *t, lp__frag_reader *r, size_t i, lp_error *err) {
  lp__open_file *of = &r->files[i];
  const lp__data_file *df = &r->frag->files[i];
  if (of->meta) return LP_OK;
  size_t pl = strlen(t->dir) + strlen(df->path) + 8;
  if (of->path == NULL && (of->path = malloc(pl)) == NULL)
    return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
  snprintf(of->path, pl, "%s/data/%s", t->dir, df->path);
  if (of->fd < 0) of->fd = open(of->path, O_RDONLY | O_CLOEXEC);
  if (of->fd < 0) {
    int e = errno;
    return lp_error_set_errno(err, e == ENOENT ? LP_ENOTFOUND : LP_EIO, e, "%s: data file of fragment %" PRIu64,
                              of->path, r->frag->id);
  }
  struct stat st;
  if (fstat(of->fd, &st) != 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot stat", of->path);
  if (df->size_bytes != 0 && (uint64_t)st.st_size != df->size_bytes)
    return lp_error_set(err, LP_ECORRUPT, "%s: %jd bytes, but the manifest says %" PRIu64, of->path,
                        (intmax_t)st.st_size, df->size_bytes);
  char key[4300];
  snprintf(key, sizeof key, "D|%s|%jd", of->path, (intmax_t)st.st_size);
  lp__cache *cache = db_cache(t->db);
  lp__datafile_meta *meta = cache ? lp__cache_get(cache, key) : NULL;
  if (meta == NULL) {
    LP_TRY(lp__datafile_meta_read(of->fd, (uint64_t)st.st_size, of->path, &meta, err));
    if (cache) lp__cache_put(cache, key, meta, lp__datafile_meta_size_bytes(meta), &META_OPS);
  }
  if (lp__datafile_meta_num_rows(meta) != r->frag->physical_rows) {
    lp_status rc = lp_error_set(err, LP_ECORRUPT, "%s: holds %" PRIu64 " rows, but fragment %" PRIu64 " says %" PRIu64,
                                of->path, lp__datafile_meta_num_rows(meta), r->frag->id, r->frag->physical_rows);
    lp__datafile_meta_unref(meta);
    return rc;
  }
  of->meta = meta;
  return LP_OK;
}

lp_status lp__frag_read_field(lp_table *t, lp__frag_reader *r, const lp__field *field,
                              const struct ArrowSchema *field_schema, uint64_t row_start, const uint64_t *rows,
                              uint64_t n, struct ArrowArray *out, lp_error *err) {
  int32_t leaf = lp__field_first_leaf_id(field);
  const lp__fragment *frag = r->frag;
  for (size_t i = 0; leaf >= 0 && i < frag->n_files; i++) {
    const lp__data_file *df = &frag->files[i];
    for (size_t k = 0; k < df->n_fields; k++) {
      if (df->fields[k] != leaf) continue;
      int32_t column = df->column_indices[k];
      LP_TRY(open_file(t, r, i, err));
      if (column < 0 || (uint32_t)column + lp__field_num_leaves(field) > lp__datafile_meta_num_columns(r->files[i].meta))
        return lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" at column %d, but the file has %u columns",
                            r->files[i].path, field->name, column, lp__datafile_meta_num_columns(r->files[i].meta));
      lp__datafile_src src = {r->files[i].fd, NULL, r->files[i].path, r->files[i].meta};
      if (rows == NULL) return lp__datafile_read_range(&src, field, (uint32_t)column, row_start, n, out, err);
      return lp__datafile_take(&src, field, (uint32_t)column, rows, (size_t)n, out, err);
    }
  }
  /* The fragment predates this column (e.g. added later): it reads as nulls. */
  return lp__arrow_make_nulls(out, field_schema, (int64_t)n, err);
}
