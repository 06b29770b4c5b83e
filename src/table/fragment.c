/* Reading one fragment's data files: opening them (their metadata through the session cache), mapping a
 * schema field to the file and column that hold it, and reading rows through the data-file decoder. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "table/session.h"
#include "table/table.h"

static void *meta_ref(void *v) { return lp__datafile_meta_ref(v); }
static void meta_unref(void *v) { lp__datafile_meta_unref(v); }
static const lp__cache_ops META_OPS = {meta_ref, meta_unref};

lp_status lp__frag_reader_open(lp_table *t, const lp__fragment *frag, lp__frag_reader *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  out->frag = frag;
  if (frag->n_files > 0) {
    out->files = calloc(frag->n_files, sizeof *out->files);
    if (out->files == NULL) return lp_error_set(err, LP_ENOMEM, "table %s: out of memory", t->name);
    for (size_t i = 0; i < frag->n_files; i++) out->files[i].fd = -1;
  }
  if (frag->has_deletion && frag->num_deleted_rows > 0) {
    lp_status rc = lp__table_deletions(t, frag, &out->deleted, err);
    if (rc != LP_OK) {
      lp__frag_reader_close(out);
      lp_error_wrap(err, "table %s: fragment %" PRIu64 ": ", t->name, frag->id);
      return rc;
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

static lp_status check_rows(const lp__frag_reader *r, const char *path, lp__datafile_meta *meta, lp_error *err) {
  if (lp__datafile_meta_num_rows(meta) == r->frag->physical_rows) return LP_OK;
  lp_status rc = lp_error_set(err, LP_ECORRUPT, "%s: holds %" PRIu64 " rows, but fragment %" PRIu64 " says %" PRIu64,
                              path, lp__datafile_meta_num_rows(meta), r->frag->id, r->frag->physical_rows);
  lp__datafile_meta_unref(meta);
  return rc;
}

/* Data file i of a fragment of a table in a store: its size from the manifest (a HEAD when the manifest
 * has none), its metadata by ranged reads, cached under the store's URI. */
static lp_status open_store_file(lp_table *t, lp__frag_reader *r, size_t i, lp_error *err) {
  lp__open_file *of = &r->files[i];
  uint64_t size = r->frag->files[i].size_bytes;
  if (size == 0) LP_TRY(lp__storage_size(t->db->store, of->path, &size, err));
  char key[4300];
  snprintf(key, sizeof key, "D|%s/%s|%" PRIu64, t->db->dir, of->path, size);
  lp__cache *cache = t->db->session ? lp__session_cache(t->db->session) : NULL;
  lp__datafile_meta *meta = cache ? lp__cache_get(cache, key) : NULL;
  if (meta == NULL) {
    LP_TRY(lp__datafile_meta_read_store(t->db->store, of->path, size, &meta, err));
    if (cache) lp__cache_put(cache, key, meta, lp__datafile_meta_size_bytes(meta), &META_OPS);
  }
  LP_TRY(check_rows(r, of->path, meta, err));
  of->meta = meta;
  return LP_OK;
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
  if (t->db->store) return open_store_file(t, r, i, err);
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
  lp__cache *cache = t->db->session ? lp__session_cache(t->db->session) : NULL;
  lp__datafile_meta *meta = cache ? lp__cache_get(cache, key) : NULL;
  if (meta == NULL) {
    LP_TRY(lp__datafile_meta_read(of->fd, (uint64_t)st.st_size, of->path, &meta, err));
    if (cache) lp__cache_put(cache, key, meta, lp__datafile_meta_size_bytes(meta), &META_OPS);
  }
  LP_TRY(check_rows(r, of->path, meta, err));
  of->meta = meta;
  return LP_OK;
}

/* Column index the data file's manifest entry gives field `id`, or -2 when the file does not list it. */
static int64_t column_of(const lp__data_file *df, int32_t id) {
  for (size_t k = 0; k < df->n_fields; k++)
    if (df->fields[k] == id) return df->column_indices[k];
  return -2;
}

/* The field id under which a 2.1 data file lists the first column of `f`: its first leaf in pre-order,
 * where a packed struct counts as one leaf listed under its own id. -1 when f has no leaf. */
static int32_t first_column_id21(const lp__field *f) {
  bool nested = f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST ||
                (f->type == LP__TYPE_STRUCT && !lp__field_is_packed(f));
  if (!nested) return f->id;
  for (size_t i = 0; i < f->n_children; i++) {
    int32_t id = first_column_id21(&f->children[i]);
    if (id >= 0) return id;
  }
  return -1;
}

lp_status lp__frag_read_field(lp_table *t, lp__frag_reader *r, const lp__field *field,
                              const struct ArrowSchema *field_schema, uint64_t row_start, const uint64_t *rows,
                              uint64_t n, struct ArrowArray *out, lp_error *err) {
  int32_t leaf = first_column_id21(field);
  const lp__fragment *frag = r->frag;
  for (size_t i = 0; leaf >= 0 && i < frag->n_files; i++) {
    const lp__data_file *df = &frag->files[i];
    if (column_of(df, leaf) == -2 && column_of(df, field->id) == -2) continue;
    LP_TRY(open_file(t, r, i, err));
    const lp__datafile_meta *meta = r->files[i].meta;
    uint16_t major, minor;
    lp__datafile_meta_version(meta, &major, &minor);
    /* 2.1 files start a field at its first leaf's column; in 2.0 every field, list and struct parents
     * included, owns a column and the field starts at its own. */
    bool v20 = major == 0;
    int64_t column = column_of(df, v20 ? field->id : leaf);
    uint32_t n_cols = lp__datafile_field_num_columns(meta, field);
    uint32_t have = lp__datafile_meta_num_columns(meta);
    int32_t id = v20 ? field->id : leaf;
    if (column < 0)
      return lp_error_set(err, LP_ECORRUPT, "%s: the manifest gives field \"%s\" (id %d) no column in this %s file",
                          r->files[i].path, field->name, id, v20 ? "2.0" : "2.1");
    if ((uint64_t)column + n_cols > have)
      return lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" (id %d) at column %" PRId64 " spans %u columns, but the file has %u",
                          r->files[i].path, field->name, id, column, n_cols, have);
    lp__datafile_src src = {r->files[i].fd, NULL, r->files[i].path, meta, t->db->store};
    if (rows == NULL) return lp__datafile_read_range(&src, field, (uint32_t)column, row_start, n, out, err);
    return lp__datafile_take(&src, field, (uint32_t)column, rows, (size_t)n, out, err);
  }
  /* The fragment predates this column (e.g. added later): it reads as nulls. */
  return lp__arrow_make_nulls(out, field_schema, (int64_t)n, err);
}
