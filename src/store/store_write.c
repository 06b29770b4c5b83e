/* Writing the store through one connection: create, add (with the unique-id check) and delete by ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "store/store_index.h"
#include "store/store_int.h"

lp_status lp__store_conn_create(lp_db *db, const char *table, uint32_t dim, lp_error *err) {
  struct ArrowSchema s = {0};
  LP_TRY(lp__store_arrow_schema(dim, &s, err));
  uint64_t v = 0;
  lp_status rc = lp_db_create_table(db, table, &s, NULL, false, NULL, &v, err);
  s.release(&s);
  return rc;
}

/* Through the index: one table open and n hash probes. *out_used false when the index could not answer. */
static lp_status exists_indexed(lp_db *db, const char *table, lp__store_index *idx, const char *const *ids,
                                size_t n, bool *found, bool *out_used, lp_error *err) {
  *out_used = false;
  uint64_t *pos = malloc(n * sizeof *pos);
  if (pos == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  lp_table *t = NULL;
  lp_status rc = lp_table_open(db, table, LP_VERSION_LATEST, &t, err);
  if (rc == LP_OK) rc = lp__store_index_lookup(idx, t, ids, n, pos, out_used, err);
  for (size_t i = 0; rc == LP_OK && *out_used && i < n; i++) found[i] = pos[i] != UINT64_MAX;
  lp_table_close(t);
  free(pos);
  return rc;
}

lp_status lp__store_conn_exists(lp_db *db, const char *table, const char *id_column, lp__store_index *idx,
                                const char *const *ids, size_t n, bool *found, lp_error *err) {
  for (size_t i = 0; i < n; i++) found[i] = false;
  if (n == 0) return LP_OK;
  if (idx != NULL) {
    bool used = false;
    LP_TRY(exists_indexed(db, table, idx, ids, n, found, &used, err));
    if (used) return LP_OK;
  }
  uint64_t *pos = malloc(n * sizeof *pos);
  if (pos == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  lp_table *t = NULL;
  lp_status rc = lp_table_open(db, table, LP_VERSION_LATEST, &t, err);
  if (rc == LP_OK) rc = lp__store_find_ids(t, id_column, ids, n, pos, err);
  for (size_t i = 0; rc == LP_OK && i < n; i++) found[i] = pos[i] != UINT64_MAX;
  lp_table_close(t);
  free(pos);
  return rc;
}

/* Tell the index which ids each committed data file holds (the files split the records in order). */
static void note_files(lp__store_index *idx, const lp__written *files, const lp_store_record *recs, size_t n) {
  const char *stack[64];
  size_t at = 0;
  for (size_t f = 0; f < files->n && at + files->files[f].n_rows <= n; f++) {
    uint64_t rows = files->files[f].n_rows;
    const char **ids = rows <= 64 ? stack : malloc(rows * sizeof *ids);
    if (ids == NULL) return;
    for (uint64_t i = 0; i < rows; i++) ids[i] = recs[at + i].id;
    lp__store_index_note(idx, files->files[f].name, ids, rows);
    if (ids != stack) free((void *)ids);
    at += rows;
  }
}

/* Add with the layout read from the table now (default role columns). */
static lp_status add_fresh_layout(lp_db *db, const char *table, const lp_store_record *recs, size_t n,
                                  const lp_write_options *opts, lp__store_index *idx, bool upsert, lp_error *err) {
  lp__store_layout *lay = NULL;
  LP_TRY(lp__store_conn_layout(db, table, 0, NULL, &lay, err));
  lp_status rc = lp__store_validate(recs, n, lay, err);
  if (rc == LP_OK)
    rc = upsert ? lp__store_conn_upsert(db, table, lay, recs, n, opts, err)
                : lp__store_conn_add(db, table, lay, recs, n, opts, idx, err);
  lp__store_layout_free(lay);
  return rc;
}

lp_status lp__store_conn_add(lp_db *db, const char *table, const lp__store_layout *lay, const lp_store_record *recs,
                             size_t n, const lp_write_options *opts, lp__store_index *idx, lp_error *err) {
  if (n == 0) return LP_OK;
  if (lay == NULL) return add_fresh_layout(db, table, recs, n, opts, idx, false, err);
  const char **ids = calloc(n, sizeof *ids); /* calloc: GCC -O3 cannot follow the loop below */
  bool *found = malloc(n * sizeof *found);
  lp_status rc = ids && found ? LP_OK : lp_error_set(err, LP_ENOMEM, "store add: out of memory");
  for (size_t i = 0; rc == LP_OK && i < n; i++) ids[i] = recs[i].id;
  if (rc == LP_OK) rc = lp__store_conn_exists(db, table, lay->role[LP__COL_ID], idx, ids, n, found, err);
  for (size_t i = 0; rc == LP_OK && i < n; i++)
    if (found[i]) rc = lp_error_set(err, LP_EEXIST, "store add: id '%.64s' is already in table %s", ids[i], table);
  free(ids);
  free(found);
  struct ArrowArrayStream st = {0};
  if (rc == LP_OK) rc = lp__store_records_stream(lay, recs, n, &st, err);
  uint64_t v = 0;
  lp__written files = {0};
  if (rc == LP_OK) rc = lp__db_add_written(db, table, &st, opts, &v, &files, err);
  if (rc == LP_OK && idx != NULL) note_files(idx, &files, recs, n);
  lp__written_reset(&files);
  return rc;
}

/* Append s to the growing buffer *buf (capacity *cap), doubling as needed. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t c = (*cap ? *cap : 256);
    while (c < *len + n + 1) c *= 2;
    char *g = realloc(*buf, c);
    if (g == NULL) return false;
    *buf = g;
    *cap = c;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
  return true;
}

/* "`id` IN ('a', 'b''c')": SQL string literals with quotes doubled. */
char *lp__store_ids_predicate(const char *column, const char *const *ids, size_t n) {
  char *buf = NULL;
  size_t len = 0, cap = 0;
  bool ok = append(&buf, &len, &cap, "`", 1) && append(&buf, &len, &cap, column, strlen(column)) &&
            append(&buf, &len, &cap, "` IN (", 6);
  for (size_t i = 0; ok && i < n; i++) {
    ok = append(&buf, &len, &cap, i ? ", '" : "'", i ? 3 : 1);
    for (const char *p = ids[i]; ok && *p; p++) ok = append(&buf, &len, &cap, p, 1) && (*p != '\'' || append(&buf, &len, &cap, "'", 1));
    ok = ok && append(&buf, &len, &cap, "'", 1);
  }
  ok = ok && append(&buf, &len, &cap, ")", 1);
  if (!ok) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The predicate selecting ids[0..n) (n > 0), after checking none is NULL. Caller frees *out. */
static lp_status ids_predicate_checked(const char *column, const char *const *ids, size_t n, char **out,
                                       lp_error *err) {
  for (size_t i = 0; i < n; i++)
    if (ids[i] == NULL) return lp_error_set(err, LP_EINVAL, "store delete: id %zu is NULL", i);
  *out = lp__store_ids_predicate(column, ids, n);
  return *out != NULL ? LP_OK : lp_error_set(err, LP_ENOMEM, "store delete: out of memory");
}

lp_status lp__store_conn_delete_ids(lp_db *db, const char *table, const char *id_column, const char *const *ids,
                                    size_t n, const lp_write_options *opts, uint64_t *out_deleted, lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  if (n == 0) return LP_OK;
  char *pred = NULL;
  LP_TRY(ids_predicate_checked(id_column, ids, n, &pred, err));
  uint64_t deleted = 0;
  lp_status rc = lp__store_db_delete(db, table, pred, opts, &deleted, err);
  free(pred);
  if (out_deleted) *out_deleted = deleted;
  return rc;
}

/* Through the index: the rows located, then deleted without evaluating a predicate. *out_used false when
 * the index could not answer or the rows moved meanwhile (a concurrent compaction): nothing committed. */
static lp_status delete_located(lp_db *db, const char *table, lp__store_index *idx, const char *const *ids, size_t n,
                                const char *pred, const lp_write_options *opts, bool *found, uint64_t *out_deleted,
                                bool *out_used, lp_error *err) {
  *out_used = false;
  lp__row_ref *refs = malloc(n * sizeof *refs);
  if (refs == NULL) return lp_error_set(err, LP_ENOMEM, "store delete: out of memory");
  lp_table *t = NULL;
  lp_status rc = lp_table_open(db, table, LP_VERSION_LATEST, &t, err);
  bool used = false;
  if (rc == LP_OK) rc = lp__store_index_locate(idx, t, ids, n, refs, found, &used, err);
  size_t k = 0;
  for (size_t i = 0; rc == LP_OK && used && i < n; i++)
    if (found[i]) refs[k++] = refs[i];
  uint64_t v = 0;
  if (rc == LP_OK && used && k > 0) {
    lp_error e;
    lp_status drc = lp__db_delete_rows(db, table, t->m->version, refs, k, pred, opts, out_deleted, &v, &e);
    if (drc != LP_ECONFLICT) { /* a conflict: the caller deletes by predicate */
      rc = drc;
      if (rc != LP_OK && err) *err = e;
      *out_used = true;
    }
  } else if (rc == LP_OK && used) {
    *out_used = true; /* none of them is in the table: nothing to commit */
  }
  lp_table_close(t);
  free(refs);
  return rc;
}

lp_status lp__store_conn_delete_located(lp_db *db, const char *table, const char *id_column, lp__store_index *idx,
                                        const char *const *ids, size_t n, const lp_write_options *opts, bool *found,
                                        uint64_t *out_deleted, lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  for (size_t i = 0; i < n; i++) found[i] = false;
  if (n == 0) return LP_OK;
  char *pred = NULL;
  LP_TRY(ids_predicate_checked(id_column, ids, n, &pred, err));
  uint64_t deleted = 0;
  bool used = false;
  lp_status rc = idx ? delete_located(db, table, idx, ids, n, pred, opts, found, &deleted, &used, err) : LP_OK;
  if (rc == LP_OK && !used) {
    rc = lp__store_conn_exists(db, table, id_column, idx, ids, n, found, err);
    if (rc == LP_OK) rc = lp__store_db_delete(db, table, pred, opts, &deleted, err);
  }
  free(pred);
  if (out_deleted) *out_deleted = deleted;
  return rc;
}

lp_status lp__store_db_delete(lp_db *db, const char *table, const char *predicate, const lp_write_options *opts,
                              uint64_t *out_deleted, lp_error *err) {
  uint64_t v = 0;
  return lp_db_delete(db, table, predicate, opts, out_deleted, &v, err);
}

lp_status lp__store_conn_upsert(lp_db *db, const char *table, const lp__store_layout *lay, const lp_store_record *recs,
                                size_t n, const lp_write_options *opts, lp_error *err) {
  if (n == 0) return LP_OK;
  if (lay == NULL) return add_fresh_layout(db, table, recs, n, opts, NULL, true, err);
  struct ArrowArrayStream st = {0};
  LP_TRY(lp__store_records_stream(lay, recs, n, &st, err));
  uint64_t v = 0;
  return lp_db_upsert(db, table, lay->role[LP__COL_ID], &st, opts, NULL, NULL, &v, err);
}
