/* Update (LanceDB's `update({valuesSql, where})`): the rows matching the filter get new values for the SET
 * columns, computed from their old values. As LanceDB 0.31.0 does (update mode "rewrite rows"), the old
 * rows are deleted from their fragments (deletion files, or the fragment removed when no row is left) and
 * the new rows are written as new fragments, all in one Update transaction that lists the SET columns' field
 * ids in fields_for_preserving_frag_bitmap. After a lost commit race everything is recomputed against the
 * newest version, so concurrent changes are never lost. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "query/predicate.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

#define READ_ROWS 65536 /* matched rows read back at a time */

typedef struct upd_ctx {
  lp_db *db;
  const char *name, *dir, *where;
  const char *const *columns, *const *values;
  size_t n_set;
  const lp_write_options *o;
  lp__file_version version; /* of the new data files: the table's */
  uint64_t n_updated;
  char **written;    /* deletion files of the last attempt */
  size_t n_written;
  lp__written files; /* data files of the last attempt */
} upd_ctx;

static void forget_attempt(upd_ctx *c, bool unlink_them) {
  lp__paths_forget(&c->written, &c->n_written, unlink_them);
  if (unlink_them) lp__written_unlink(c->dir, &c->files);
  lp__written_reset(&c->files);
}

/* The SET list bound to schema s: target column indices and compiled values. */
typedef struct set_list {
  size_t *col;
  lp__expr **val;
  size_t n;
} set_list;

static void set_list_free(set_list *l) {
  for (size_t i = 0; l->val && i < l->n; i++) lp__expr_free(l->val[i]);
  free(l->val);
  free(l->col);
  memset(l, 0, sizeof *l);
}

static lp_status set_list_bind(const upd_ctx *c, const lp__schema *s, set_list *l, lp_error *err) {
  memset(l, 0, sizeof *l);
  l->col = calloc(c->n_set, sizeof *l->col);
  l->val = calloc(c->n_set, sizeof *l->val);
  if (l->col == NULL || l->val == NULL) return lp_error_set(err, LP_ENOMEM, "update: out of memory");
  for (size_t i = 0; i < c->n_set; i++) {
    const lp__field *f = lp__schema_find(s, c->columns[i]);
    if (f == NULL) return lp_error_set(err, LP_EINVAL, "no column \"%.100s\" to set", c->columns[i]);
    l->col[i] = (size_t)(f - s->fields);
    for (size_t k = 0; k < i; k++)
      if (l->col[k] == l->col[i]) return lp_error_set(err, LP_EINVAL, "column \"%.100s\" is set twice", f->name);
    LP_TRY(lp__expr_compile(c->values[i], s->fields, s->n_fields, f, &l->val[i], err));
    l->n = i + 1;
  }
  return LP_OK;
}

/* Every live row of the fragment open in r (when the update has no filter). */
static lp_status all_live_rows(const lp__frag_reader *r, uint32_t **out, size_t *out_n, lp_error *err) {
  uint64_t rows = r->frag->physical_rows;
  if (rows > UINT32_MAX) return lp_error_set(err, LP_EUNSUPPORTED, "fragment %" PRIu64 ": too many rows", r->frag->id);
  *out = malloc((rows + 1) * sizeof **out);
  *out_n = 0;
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "update: out of memory");
  const lp__deletion_vec *d = r->deleted;
  size_t di = 0;
  for (uint32_t row = 0; row < rows; row++) {
    while (d && di < d->n_rows && d->rows[di] < row) di++;
    if (!(d && di < d->n_rows && d->rows[di] == row)) (*out)[(*out_n)++] = row;
  }
  return LP_OK;
}

/* Rows rows[0..n) of the fragment with the SET columns replaced by their new values: one batch. */
static lp_status updated_batch(lp_table *t, lp__frag_reader *r, const set_list *l, const uint32_t *rows, size_t n,
                               struct ArrowArray *out, lp_error *err) {
  size_t nf = t->m->schema.n_fields;
  struct ArrowArray *cols = calloc(nf + 1, sizeof *cols), *fresh = calloc(l->n + 1, sizeof *fresh);
  const struct ArrowArray **colp = calloc(nf + 1, sizeof *colp);
  if (cols == NULL || fresh == NULL || colp == NULL) {
    free(cols);
    free(fresh);
    free(colp);
    return lp_error_set(err, LP_ENOMEM, "update: out of memory");
  }
  lp_status rc = lp__frag_read_rows(t, r, rows, n, cols, err);
  bool have_cols = rc == LP_OK;
  for (size_t k = 0; rc == LP_OK && k < nf; k++) colp[k] = &cols[k];
  /* every value sees the old row, so all are computed before any column is replaced */
  for (size_t i = 0; rc == LP_OK && i < l->n; i++) rc = lp__expr_eval(l->val[i], colp, nf, (int64_t)n, &fresh[i], err);
  for (size_t i = 0; rc == LP_OK && i < l->n; i++) {
    lp__arrow_release(&cols[l->col[i]]);
    lp__arrow_move(&fresh[i], &cols[l->col[i]]);
  }
  if (rc == LP_OK) rc = lp__arrow_struct_make(out, cols, nf, (int64_t)n, NULL, 0, err); /* takes the columns */
  else
    for (size_t k = 0; have_cols && k < nf; k++) lp__arrow_release(&cols[k]);
  for (size_t i = 0; i < l->n; i++) lp__arrow_release(&fresh[i]);
  free(colp);
  free(cols);
  free(fresh);
  return rc;
}

/* The updated versions of the matched rows, appended to (*batches)[*n_batches]. */
static lp_status collect_updated(lp_table *t, lp__frag_reader *r, const set_list *l, const uint32_t *rows, size_t n,
                                 struct ArrowArray **batches, size_t *n_batches, lp_error *err) {
  for (size_t start = 0; start < n; start += READ_ROWS) {
    size_t len = n - start < READ_ROWS ? n - start : READ_ROWS;
    struct ArrowArray *nb = realloc(*batches, (*n_batches + 1) * sizeof *nb);
    if (nb == NULL) return lp_error_set(err, LP_ENOMEM, "update: out of memory");
    *batches = nb;
    LP_TRY(updated_batch(t, r, l, rows + start, len, &nb[*n_batches], err));
    (*n_batches)++;
  }
  return LP_OK;
}

/* One fragment: its matched rows leave it (a deletion file, or the whole fragment) and their new versions
 * go to the batches. */
static lp_status update_fragment(upd_ctx *c, lp_table *t, const lp__base *base, size_t i, const lp__pred_bound *pb,
                                 const set_list *l, lp__plan *plan, lp__rewrite *rw, struct ArrowArray **batches,
                                 size_t *n_batches, lp_error *err) {
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, &t->m->fragments[i], &r, err));
  uint32_t *match = NULL;
  size_t n_match = 0;
  lp_status rc = pb ? lp__frag_pred_matches(t, &r, pb, &match, &n_match, err) : all_live_rows(&r, &match, &n_match, err);
  c->n_updated += n_match;
  if (rc == LP_OK && n_match > 0) rc = collect_updated(t, &r, l, match, n_match, batches, n_batches, err);
  if (rc == LP_OK)
    rc = lp__rewrite_fragment(rw, plan, c->dir, base, i, &r, match, n_match, c->o->durable, &c->written, &c->n_written, err);
  free(match);
  lp__frag_reader_close(&r);
  return rc;
}

static lp_status prepare_update(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  upd_ctx *c = vctx;
  forget_attempt(c, true); /* files of a lost attempt are not referenced by anything */
  c->n_updated = 0;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__check_file_version(base, c->version, err));
  lp_table *t = NULL;
  LP_TRY(lp_table_open(c->db, c->name, base->version, &t, err));
  const lp__schema *s = &t->m->schema;
  set_list l;
  lp__pred_bound *pb = NULL;
  lp_status rc = set_list_bind(c, s, &l, err);
  if (rc == LP_OK && c->where) rc = lp__pred_compile(c->where, s->fields, s->n_fields, &pb, err);
  lp__rewrite rw = {0};
  if (rc == LP_OK) rc = lp__rewrite_init(&rw, plan, t->m->n_fragments, err);
  size_t n_batches = 0;
  struct ArrowArray *batches = NULL;
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++)
    rc = update_fragment(c, t, base, i, pb, &l, plan, &rw, &batches, &n_batches, err);
  if (rc == LP_OK && n_batches > 0)
    rc = lp__write_batches(c->dir, s, c->o, c->version, batches, n_batches, &c->files, err);
  uint32_t *fields = rc == LP_OK ? calloc(l.n + 1, sizeof *fields) : NULL;
  if (rc == LP_OK && fields == NULL) rc = lp_error_set(err, LP_ENOMEM, "update: out of memory");
  for (size_t i = 0; rc == LP_OK && i < l.n; i++) fields[i] = (uint32_t)s->fields[l.col[i]].id;
  /* as LanceDB does, an update that matched no row still commits (an Update that changes nothing) */
  if (rc == LP_OK) rc = lp__rewrite_finish(&rw, plan, c->dir, base, &c->files, fields, l.n, "update", err);
  free(fields);
  lp__batches_free(batches, n_batches);
  lp__pred_bound_free(pb);
  set_list_free(&l);
  lp_table_close(t);
  return rc;
}

lp_status lp_db_update(lp_db *db, const char *name, const char *const *columns, const char *const *values,
                       size_t n_set, const char *where, const lp_write_options *opts, uint64_t *out_updated,
                       uint64_t *out_version, lp_error *err) {
  if (out_updated) *out_updated = 0;
  if (out_version) *out_version = 0;
  if (db == NULL || out_version == NULL || n_set == 0 || columns == NULL || values == NULL)
    return lp_error_set(err, LP_EINVAL, "update: a database, at least one column to set and out_version are needed");
  for (size_t i = 0; i < n_set; i++)
    if (columns[i] == NULL || values[i] == NULL) return lp_error_set(err, LP_EINVAL, "update: SET item %zu is NULL", i);
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  upd_ctx c;
  memset(&c, 0, sizeof c);
  lp__base base;
  memset(&base, 0, sizeof base);
  char *dir = NULL;
  lp_status rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK) rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, &c.version, err);
  if (rc == LP_OK) {
    c.db = db;
    c.name = name;
    c.dir = dir;
    c.where = where;
    c.columns = columns;
    c.values = values;
    c.n_set = n_set;
    c.o = &o;
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_update, &c, out_version, err);
    forget_attempt(&c, rc != LP_OK);
  }
  if (rc == LP_OK && out_updated) *out_updated = c.n_updated;
  if (rc != LP_OK) lp_error_wrap(err, "update %s: ", name ? name : "");
  lp__base_reset(&base);
  lp__table_dir_free(dir);
  return rc;
}
