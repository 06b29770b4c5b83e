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

#include "lance/arrow_util.h"
#include "lance/deletion_write.h"
#include "lance/predicate.h"
#include "lance/table.h"
#include "lance/write_int.h"

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

static lp_status finish_plan(del_ctx *c, const lp__base *base, lp__plan *plan, const lp__buf *deleted_ids, bool any_deletion,
                             lp_error *err);

/* Rebase the last evaluation over appended fragments: the same deletion files, the new fragment list. */
static lp_status rebase_over_appends(del_ctx *c, const lp__base *base, lp__plan *plan, lp_error *err) {
  lp__buf deleted_ids;
  lp__buf_init(&deleted_ids);
  bool any_deletion = false;
  for (size_t i = 0; i < base->m->n_fragments; i++) {
    const lp__fragment *f = &base->m->fragments[i];
    bool dropped = false, touched = false;
    for (size_t k = 0; k < c->n_dropped; k++) dropped |= c->dropped_ids[k] == f->id;
    if (dropped) {
      lp__pb_varint(&deleted_ids, f->id);
      continue;
    }
    for (size_t k = 0; k < c->n_touched && !touched; k++)
      if (c->touched_ids[k] == f->id) {
        lp__encode_fragment_with_deletion(&plan->fragments, 2, &base->frag_raw[i], &c->touched_refs[k]);
        lp__encode_fragment_with_deletion(&plan->op_body, 1, &base->frag_raw[i], &c->touched_refs[k]);
        touched = any_deletion = true;
      }
    if (!touched) {
      lp__pb_bytes(&plan->fragments, 2, base->frag_raw[i].data, base->frag_raw[i].len);
      any_deletion |= f->has_deletion;
    }
  }
  lp_status rc = finish_plan(c, base, plan, &deleted_ids, any_deletion, err);
  lp__buf_reset(&deleted_ids);
  return rc;
}

static void forget_written(del_ctx *c, bool unlink_them) {
  for (size_t i = 0; i < c->n_written; i++) {
    if (unlink_them) unlink(c->written[i]);
    free(c->written[i]);
  }
  free(c->written);
  c->written = NULL;
  c->n_written = 0;
}

/* Row offsets of fragment r matching bound predicate b and not deleted yet. */
static lp_status fragment_matches(lp_table *t, lp__frag_reader *r, const lp__pred_bound *b, uint32_t **out,
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
  const struct ArrowArray **colp = calloc(s->n_fields ? s->n_fields : 1, sizeof *colp);
  uint8_t *sel = malloc(EVAL_ROWS / 8 + 1);
  lp_status rc = (cols && colp && sel) ? LP_OK : lp_error_set(err, LP_ENOMEM, "delete: out of memory");
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
    int64_t n_sel = 0;
    if (rc == LP_OK) rc = lp__pred_eval_columns(b, colp, s->n_fields, (int64_t)n, sel, &n_sel, err);
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
  if (rc != LP_OK) {
    free(*out);
    *out = NULL;
    *out_n = 0;
  }
  return rc;
}

/* Sorted union of two strictly ascending lists. */
static uint32_t *merge_rows(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t *out_n) {
  uint32_t *m = malloc((na + nb + 1) * sizeof *m);
  if (m == NULL) return NULL;
  size_t i = 0, j = 0, k = 0;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && a[i] < b[j])) m[k++] = a[i++];
    else if (i >= na || b[j] < a[i]) m[k++] = b[j++];
    else {
      m[k++] = a[i++];
      j++;
    }
  }
  *out_n = k;
  return m;
}

static lp_status finish_plan(del_ctx *c, const lp__base *base, lp__plan *plan, const lp__buf *deleted_ids, bool any_deletion,
                             lp_error *err) {
  if (c->n_deleted == 0) {
    plan->noop = true;
    return LP_OK;
  }
  if (deleted_ids->len) lp__pb_bytes(&plan->op_body, 2, deleted_ids->data, deleted_ids->len);
  lp__pb_str(&plan->op_body, 3, c->predicate);
  bool has_max = false;
  uint64_t max_id = 0;
  lp__pb_reader pr = {base->msg, base->msg_len};
  lp__pb_field pf;
  bool done;
  while (lp__pb_next(&pr, &pf, &done, "manifest", NULL) == LP_OK && !done)
    if (pf.number == 11 && pf.wire_type == 0) has_max = true, max_id = pf.varint;
  for (size_t i = 0; i < base->m->n_fragments; i++)
    if (!has_max || base->m->fragments[i].id > max_id) has_max = true, max_id = base->m->fragments[i].id;
  plan->has_max_fragment_id = has_max;
  plan->max_fragment_id = max_id;
  plan->has_deletions = any_deletion;
  plan->keep_index = true;
  plan->op = LP__OP_DELETE;
  for (size_t i = 0; i < c->n_written; i++) LP_TRY(lp__plan_sync(plan, c->written[i], err));
  LP_TRY(lp__buf_status(&plan->fragments, "manifest", err));
  LP_TRY(lp__buf_status(&plan->op_body, "transaction", err));
  return lp__buf_status(deleted_ids, "transaction", err);
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
  lp_status rc = lp__pred_compile(c->predicate, t->m->schema.fields, t->m->schema.n_fields, &b, err);
  lp__buf deleted_ids;
  lp__buf_init(&deleted_ids);
  bool any_deletion = false;
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
    const lp__fragment *f = &t->m->fragments[i];
    const lp__pb_field *raw = &base->frag_raw[i];
    lp__frag_reader r;
    rc = lp__frag_reader_open(t, f, &r, err);
    if (rc != LP_OK) break;
    uint32_t *match = NULL;
    size_t n_match = 0;
    rc = fragment_matches(t, &r, b, &match, &n_match, err);
    if (rc == LP_OK && n_match == 0) {
      lp__pb_bytes(&plan->fragments, 2, raw->data, raw->len);
      any_deletion |= f->has_deletion;
    } else if (rc == LP_OK) {
      size_t n_union = 0;
      uint32_t *all = merge_rows(r.deleted ? r.deleted->rows : NULL, r.deleted ? r.deleted->n_rows : 0, match, n_match, &n_union);
      if (all == NULL) rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
      c->n_deleted += n_match;
      if (rc == LP_OK && n_union >= f->physical_rows) {
        lp__pb_varint(&deleted_ids, f->id); /* every row gone: the fragment leaves the table */
        if (!remember_dropped(c, f->id)) rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
      } else if (rc == LP_OK) {
        lp__deletion_kind kind = lp__deletion_kind_for(n_union, f->has_deletion && f->deletion_kind == LP__DELETION_BITMAP);
        uint64_t id;
        char *path = NULL;
        rc = lp__deletion_write(c->dir, f->id, base->version, all, n_union, kind, c->durable, &id, &path, err);
        if (rc == LP_OK) {
          char **nw = realloc(c->written, (c->n_written + 1) * sizeof *nw);
          if (nw == NULL) {
            unlink(path);
            free(path);
            rc = lp_error_set(err, LP_ENOMEM, "delete: out of memory");
          } else {
            c->written = nw;
            c->written[c->n_written++] = path;
          }
        }
        if (rc == LP_OK) {
          lp__deletion_ref d = {(int)kind, base->version, id, n_union};
          lp__encode_fragment_with_deletion(&plan->fragments, 2, raw, &d);
          lp__encode_fragment_with_deletion(&plan->op_body, 1, raw, &d);
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
    rc = finish_plan(c, base, plan, &deleted_ids, any_deletion, err);
  }
  lp__buf_reset(&deleted_ids);
  lp__pred_bound_free(b);
  lp_table_close(t);
  return rc;
}

lp_status lp_db_delete(lp_db *db, const char *name, const char *predicate, const lp_write_options *opts,
                       uint64_t *out_deleted, uint64_t *out_version, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  if (predicate == NULL) return lp_error_set(err, LP_EINVAL, "delete: no predicate");
  LP_TRY(lp__table_dir(db, name, &dir, err));
  del_ctx c;
  memset(&c, 0, sizeof c);
  c.db = db;
  c.name = name;
  c.dir = dir;
  c.predicate = predicate;
  c.durable = o.durable;
  lp__commit_opts co = {o.durable, false, o.max_commit_attempts};
  lp_status rc = lp__commit(dir, &co, prepare_delete, &c, out_version, err);
  forget_written(&c, rc != LP_OK);
  forget_eval(&c);
  if (rc == LP_OK && out_deleted) *out_deleted = c.n_deleted;
  if (rc != LP_OK) lp_error_wrap(err, "delete from %s: ", name);
  free(dir);
  return rc;
}
