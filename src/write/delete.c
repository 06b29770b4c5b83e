/* Deleting rows by predicate (table-format.md 8.4, deletion-files.md section 6): evaluate the predicate
 * over every fragment's rows that are not deleted yet, union the matches with the fragment's current
 * deletion set, write a new deletion file (or drop the fragment when every row is gone), and commit a
 * Delete transaction. After losing a commit race the whole evaluation is redone against the new latest
 * version, so deletions made meanwhile by another writer are merged, never lost. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "format/deletion_write.h"
#include "query/predicate.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

#define EVAL_ROWS 65536 /* physical rows read and evaluated at a time */

typedef struct del_ctx {
  lp_db *db;
  const char *name, *dir, *predicate;
  bool durable;
  uint64_t n_deleted;     /* rows newly deleted by the last prepared plan */
  char **written;         /* deletion files written by the last attempt */
  size_t n_written;
  /* the last full evaluation, reused when only appends were committed since (a cheap rebase) */
  uint64_t eval_version;  /* version it was computed against; 0 = none */
  uint64_t *touched_ids;  /* fragments given a new deletion file */
  lp__deletion_ref *touched_refs;
  size_t n_touched;
  uint64_t *dropped_ids;  /* fragments whose every row is now deleted */
  size_t n_dropped;
  /* deleting known rows (lp__db_delete_rows) instead of evaluating the predicate: the rows, sorted and
   * unique, and the version they were located in */
  const lp__row_ref *rows;
  size_t n_rows;
  lp_table *rows_at;
} del_ctx;

static void forget_eval(del_ctx *c) {
  free(c->touched_ids);
  free(c->touched_refs);
  free(c->dropped_ids);
  c->touched_ids = c->dropped_ids = NULL;
  c->touched_refs = NULL;
  c->n_touched = c->n_dropped = 0;
  c->eval_version = 0;
}

static bool remember_touched(del_ctx *c, uint64_t id, const lp__deletion_ref *d) {
  uint64_t *ni = realloc(c->touched_ids, (c->n_touched + 1) * sizeof *ni);
  if (ni == NULL) return false;
  c->touched_ids = ni;
  lp__deletion_ref *nr = realloc(c->touched_refs, (c->n_touched + 1) * sizeof *nr);
  if (nr == NULL) return false;
  c->touched_refs = nr;
  ni[c->n_touched] = id;
  nr[c->n_touched++] = *d;
  return true;
}

static bool remember_dropped(del_ctx *c, uint64_t id) {
  uint64_t *n = realloc(c->dropped_ids, (c->n_dropped + 1) * sizeof *n);
  if (n == NULL) return false;
  c->dropped_ids = n;
  n[c->n_dropped++] = id;
  return true;
}

/* Were only appends committed between the last evaluation and `base`? */
static bool only_appends_since(const del_ctx *c, const lp__base *base) {
  if (c->eval_version == 0 || base->version <= c->eval_version) return false;
  for (uint64_t v = c->eval_version + 1; v <= base->version; v++) {
    lp__base b;
    if (v == base->version) {
      if (lp__base_txn_op(base) != LP__OP_APPEND) return false;
      continue;
    }
    if (lp__base_load(c->dir, v, &b, NULL) != LP_OK) return false;
    uint32_t op = lp__base_txn_op(&b);
    lp__base_reset(&b);
    if (op != LP__OP_APPEND) return false;
  }
  return true;
}

static lp_status finish_plan(del_ctx *c, const lp__base *base, lp__plan *plan, lp__ptrvec *updated, bool any_deletion,
                             lp_error *err);

/* Rebase the last evaluation over appended fragments: the same deletion files, the new fragment list. */
static lp_status rebase_over_appends(del_ctx *c, const lp__base *base, lp__plan *plan, lp_error *err) {
  lp__ptrvec updated = {0};
  bool any_deletion = false;
  for (size_t i = 0; i < base->m->n_fragments; i++) {
    const lp__fragment *f = &base->m->fragments[i];
    bool dropped = false, touched = false;
    for (size_t k = 0; k < c->n_dropped; k++) dropped |= c->dropped_ids[k] == f->id;
    if (dropped) continue; /* listed in deleted_fragment_ids by finish_plan */
    for (size_t k = 0; k < c->n_touched && !touched; k++)
      if (c->touched_ids[k] == f->id) {
        Lance__Table__DataFragment *nf = lp__fragment_with_deletion(plan->arena, base->pb->fragments[i], &c->touched_refs[k]);
        if (nf == NULL) return lp_error_set(err, LP_ENOMEM, "delete: out of memory");
        lp__ptrvec_push(plan->arena, &plan->fragments, nf);
        lp__ptrvec_push(plan->arena, &updated, nf);
        touched = any_deletion = true;
      }
    if (!touched) {
      lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
      any_deletion |= f->has_deletion;
    }
  }
  return finish_plan(c, base, plan, &updated, any_deletion, err);
}

static void forget_written(del_ctx *c, bool unlink_them) {
  lp__paths_forget(&c->written, &c->n_written, unlink_them);
}

lp_status lp__frag_pred_matches(lp_table *t, lp__frag_reader *r, const lp__pred_bound *b, uint32_t **out,
                                size_t *out_n, lp_error *err) {
  const lp__schema *s = &t->m->schema;
  const size_t *idx;
  size_t n_idx;
  lp__pred_bound_columns(b, &idx, &n_idx);
  uint64_t rows = r->frag->physical_rows;
  *out = NULL;
  *out_n = 0;
  if (rows > UINT32_MAX) return lp_error_set(err, LP_EUNSUPPORTED, "fragment %" PRIu64 ": too many rows", r->frag->id);
  size_t cap = 0;
  const uint32_t *del = r->deleted ? r->deleted->rows : NULL;
  size_t n_del = r->deleted ? r->deleted->n_rows : 0, di = 0;
  struct ArrowArray *cols = calloc(s->n_fields ? s->n_fields : 1, sizeof *cols);
  const struct ArrowArray **colp = calloc(s->n_fields + LP__PRED_N_PSEUDO, sizeof *colp);
  uint8_t *sel = malloc(EVAL_ROWS / 8 + 1);
  bool pseudo = lp__pred_bound_pseudo(b) != 0;
  uint64_t *addrs = pseudo ? malloc(EVAL_ROWS * sizeof *addrs) : NULL, *ids = pseudo ? malloc(EVAL_ROWS * sizeof *ids) : NULL;
  const void *bufs[LP__PRED_N_PSEUDO][2];
  struct ArrowArray views[LP__PRED_N_PSEUDO];
  lp_status rc = (cols && colp && sel && ((addrs && ids) || !pseudo)) ? LP_OK : lp_error_set(err, LP_ENOMEM, "delete: out of memory");
  for (uint64_t start = 0; rc == LP_OK && start < rows; start += EVAL_ROWS) {
    uint64_t n = rows - start < EVAL_ROWS ? rows - start : EVAL_ROWS;
    for (size_t k = 0; rc == LP_OK && k < n_idx; k++) {
      struct ArrowSchema fs;
      rc = lp__field_to_arrow(&s->fields[idx[k]], &fs, err);
      if (rc != LP_OK) break;
      rc = lp__frag_read_field(t, r, &s->fields[idx[k]], &fs, start, NULL, n, &cols[idx[k]], err);
      fs.release(&fs);
      if (rc == LP_OK) colp[idx[k]] = &cols[idx[k]];
    }
    /* _rowaddr is the row address; _rowid the same or, with stable row ids, the id of the sequence. */
    for (uint64_t i = 0; pseudo && i < n; i++) addrs[i] = start + i;
    if (rc == LP_OK && pseudo) rc = lp__fragment_row_ids(t, r->frag, addrs, n, ids, err);
    for (uint64_t i = 0; pseudo && i < n; i++) addrs[i] |= r->frag->id << 32;
    for (int k = 0; pseudo && k < LP__PRED_N_PSEUDO; k++) {
      lp__pred_u64_view(k == LP__PRED_ROWID ? ids : addrs, (int64_t)n, bufs[k], &views[k]);
      colp[s->n_fields + (size_t)k] = &views[k];
    }
    int64_t n_sel = 0;
    if (rc == LP_OK) rc = lp__pred_eval_columns(b, colp, s->n_fields + LP__PRED_N_PSEUDO, (int64_t)n, sel, &n_sel, err);
    for (size_t k = 0; k < n_idx; k++) {
      lp__arrow_release(&cols[idx[k]]);
      colp[idx[k]] = NULL;
    }
    for (uint64_t i = 0; rc == LP_OK && n_sel > 0 && i < n; i++) {
      if (!lp__bit_get(sel, (int64_t)i)) continue;
      uint32_t row = (uint32_t)(start + i);
      while (di < n_del && del[di] < row) di++;
      if (di < n_del && del[di] == row) continue; /* already deleted */
      if (*out_n == cap) {
        cap = cap ? cap * 2 : 256;
        uint32_t *nr = realloc(*out, cap * sizeof *nr);
        if (nr == NULL) {
          rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
          break;
        }
        *out = nr;
      }
      (*out)[(*out_n)++] = row;
    }
  }
  free(cols);
  free(colp);
  free(sel);
  free(addrs);
  free(ids);
  if (rc != LP_OK) {
    free(*out);
    *out = NULL;
    *out_n = 0;
  }
  return rc;
}

/* The Delete operation: fragments given a deletion file, fragments dropped whole, the predicate. */
static lp_status finish_plan(del_ctx *c, const lp__base *base, lp__plan *plan, lp__ptrvec *updated, bool any_deletion,
                             lp_error *err) {
  if (c->n_deleted == 0) {
    plan->noop = true;
    return LP_OK;
  }
  Lance__Table__Transaction__Delete *op = lp__arena_msg(plan->arena, &lance__table__transaction__delete__descriptor);
  uint64_t *dropped = lp__arena_alloc(plan->arena, (c->n_dropped + 1) * sizeof *dropped);
  char *pred = lp__arena_strdup(plan->arena, c->predicate);
  if (op == NULL || dropped == NULL || pred == NULL) return lp_error_set(err, LP_ENOMEM, "delete: out of memory");
  if (c->n_dropped) memcpy(dropped, c->dropped_ids, c->n_dropped * sizeof *dropped);
  op->n_updated_fragments = updated->n;
  op->updated_fragments = (Lance__Table__DataFragment **)updated->v;
  op->n_deleted_fragment_ids = c->n_dropped;
  op->deleted_fragment_ids = dropped;
  op->predicate = pred;
  plan->op_msg = &op->base;
  bool has_max;
  uint64_t max_id;
  (void)lp__next_fragment_id(base, &has_max, &max_id);
  plan->has_max_fragment_id = has_max;
  plan->max_fragment_id = max_id;
  plan->has_deletions = any_deletion;
  plan->keep_index = true;
  plan->op = LP__OP_DELETE;
  /* the deletion files (also those kept from an earlier attempt by rebase_over_appends) */
  for (size_t i = 0; i < c->n_written; i++) LP_TRY(lp__plan_sync(plan, c->written[i], err));
  return lp__plan_status(plan, "delete", err);
}

/* The rows of c->rows in fragment f not deleted yet (rows mode's lp__frag_pred_matches). */
static lp_status listed_matches(const del_ctx *c, const lp__frag_reader *r, uint32_t **out, size_t *out_n,
                                lp_error *err) {
  size_t lo = 0, hi = c->n_rows;
  uint64_t id = r->frag->id;
  while (lo < hi) { /* first row of fragment id */
    size_t mid = lo + (hi - lo) / 2;
    if (c->rows[mid].frag < id) lo = mid + 1;
    else hi = mid;
  }
  size_t end = lo;
  while (end < c->n_rows && c->rows[end].frag == id) end++;
  *out = malloc((end - lo + 1) * sizeof **out);
  *out_n = 0;
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "delete: out of memory");
  const lp__deletion_vec *d = r->deleted;
  size_t di = 0;
  for (size_t i = lo; i < end; i++) {
    uint32_t row = c->rows[i].row;
    while (d && di < d->n_rows && d->rows[di] < row) di++;
    if (d && di < d->n_rows && d->rows[di] == row) continue; /* already deleted */
    if (row < r->frag->physical_rows) (*out)[(*out_n)++] = row;
  }
  return LP_OK;
}

static bool same_data_files(const lp__fragment *a, const lp__fragment *b) {
  if (a->physical_rows != b->physical_rows || a->n_files != b->n_files) return false;
  for (size_t k = 0; k < a->n_files; k++)
    if (strcmp(a->files[k].path, b->files[k].path) != 0) return false;
  return true;
}

/* Rows mode: every listed fragment must still hold the rows it held where they were located. */
static lp_status check_listed_fragments(const del_ctx *c, const lp_table *t, lp_error *err) {
  for (size_t i = 0; i < c->n_rows; i++) {
    if (i > 0 && c->rows[i].frag == c->rows[i - 1].frag) continue;
    const lp__fragment *now = NULL, *then = NULL;
    for (size_t k = 0; k < t->m->n_fragments && now == NULL; k++)
      if (t->m->fragments[k].id == c->rows[i].frag) now = &t->m->fragments[k];
    for (size_t k = 0; k < c->rows_at->m->n_fragments && then == NULL; k++)
      if (c->rows_at->m->fragments[k].id == c->rows[i].frag) then = &c->rows_at->m->fragments[k];
    if (now == NULL || then == NULL || !same_data_files(now, then))
      return lp_error_set(err, LP_ECONFLICT, "fragment %" PRIu64 " changed since version %" PRIu64, c->rows[i].frag,
                          c->rows_at->m->version);
  }
  return LP_OK;
}

static lp_status prepare_delete(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  del_ctx *c = vctx;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  if (c->n_deleted > 0 && only_appends_since(c, base)) return rebase_over_appends(c, base, plan, err);
  forget_written(c, true); /* files of a lost attempt are not referenced by anything */
  forget_eval(c);
  c->n_deleted = 0;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(c->db, c->name, base->version, &t, err));
  lp__pred_bound *b = NULL;
  lp_status rc = c->rows ? check_listed_fragments(c, t, err)
                         : lp__pred_compile(c->predicate, t->m->schema.fields, t->m->schema.n_fields, &b, err);
  lp__ptrvec updated = {0};
  bool any_deletion = false;
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
    const lp__fragment *f = &t->m->fragments[i];
    lp__frag_reader r;
    rc = lp__frag_reader_open(t, f, &r, err);
    if (rc != LP_OK) break;
    uint32_t *match = NULL;
    size_t n_match = 0;
    rc = c->rows ? listed_matches(c, &r, &match, &n_match, err) : lp__frag_pred_matches(t, &r, b, &match, &n_match, err);
    if (rc == LP_OK && n_match == 0) {
      lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
      any_deletion |= f->has_deletion;
    } else if (rc == LP_OK) {
      size_t n_union = 0;
      uint32_t *all = lp__rows_union(r.deleted ? r.deleted->rows : NULL, r.deleted ? r.deleted->n_rows : 0, match, n_match, &n_union);
      if (all == NULL) rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
      c->n_deleted += n_match;
      if (rc == LP_OK && n_union >= f->physical_rows) {
        /* every row gone: the fragment leaves the table (deleted_fragment_ids) */
        if (!remember_dropped(c, f->id)) rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
      } else if (rc == LP_OK) {
        lp__deletion_ref d;
        rc = lp__plan_deletion(plan, c->dir, base, i, f->id, f->has_deletion && f->deletion_kind == LP__DELETION_BITMAP,
                               all, n_union, c->durable, &updated, &c->written, &c->n_written, &d, err);
        if (rc == LP_OK) {
          any_deletion = true;
          if (!remember_touched(c, f->id, &d)) rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
        }
      }
      free(all);
    }
    free(match);
    lp__frag_reader_close(&r);
  }
  if (rc == LP_OK) {
    c->eval_version = base->version;
    rc = finish_plan(c, base, plan, &updated, any_deletion, err);
  }
  lp__pred_bound_free(b);
  lp_table_close(t);
  return rc;
}

/* Delete by predicate, or the listed rows when c->rows is set. */
static lp_status run_delete(lp_db *db, const char *name, const char *predicate, del_ctx *cfg,
                            const lp_write_options *opts, uint64_t *out_deleted, uint64_t *out_version, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  if (predicate == NULL) return lp_error_set(err, LP_EINVAL, "delete: no predicate");
  LP_TRY(lp__table_dir(db, name, &dir, err));
  del_ctx c = *cfg;
  c.db = db;
  c.name = name;
  c.dir = dir;
  c.predicate = predicate;
  c.durable = o.durable;
  lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
  lp_status rc = lp__commit(dir, &co, prepare_delete, &c, out_version, err);
  forget_written(&c, rc != LP_OK);
  forget_eval(&c);
  if (rc == LP_OK && out_deleted) *out_deleted = c.n_deleted;
  if (rc != LP_OK) lp_error_wrap(err, "delete from %s: ", name);
  lp__table_dir_free(dir);
  return rc;
}

lp_status lp_db_delete(lp_db *db, const char *name, const char *predicate, const lp_write_options *opts,
                       uint64_t *out_deleted, uint64_t *out_version, lp_error *err) {
  del_ctx c;
  memset(&c, 0, sizeof c);
  return run_delete(db, name, predicate, &c, opts, out_deleted, out_version, err);
}

static int cmp_row_ref(const void *a, const void *b) {
  const lp__row_ref *x = a, *y = b;
  if (x->frag != y->frag) return x->frag < y->frag ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

lp_status lp__db_delete_rows(lp_db *db, const char *name, uint64_t at_version, const lp__row_ref *rows, size_t n,
                             const char *predicate, const lp_write_options *opts, uint64_t *out_deleted,
                             uint64_t *out_version, lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  if (n == 0) return lp_error_set(err, LP_EINVAL, "delete: no rows");
  lp__row_ref *sorted = malloc(n * sizeof *sorted);
  if (sorted == NULL) return lp_error_set(err, LP_ENOMEM, "delete: out of memory");
  memcpy(sorted, rows, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_row_ref);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (u == 0 || cmp_row_ref(&sorted[u - 1], &sorted[i]) != 0) sorted[u++] = sorted[i];
  del_ctx c;
  memset(&c, 0, sizeof c);
  c.rows = sorted;
  c.n_rows = u;
  lp_status rc = lp_table_open(db, name, at_version, &c.rows_at, err);
  if (rc == LP_OK) rc = run_delete(db, name, predicate, &c, opts, out_deleted, out_version, err);
  lp_table_close(c.rows_at);
  free(sorted);
  return rc;
}
