/* Merge insert (LanceDB's mergeInsert(on).whenMatchedUpdateAll({where}).whenNotMatchedInsertAll()
 * .whenNotMatchedBySourceDelete({where})): source rows are matched to the table's live rows by the key
 * columns (a NULL key matches nothing). Matched pairs for which the update condition (over `target.col`
 * and `source.col`) holds replace the target row by the source row; unmatched source rows are inserted;
 * unmatched target rows for which the delete condition holds are deleted. As LanceDB 0.31.0 writes it: one
 * Update transaction with deletion files (or removed fragments) for the replaced and deleted rows, new
 * fragments for the written rows, and every field id in fields_for_preserving_frag_bitmap; a merge that
 * changes nothing still commits. The matching is redone against the newest version after a lost commit
 * race. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/write_schema.h"
#include "query/predicate.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

#define MAX_KEYS 16

typedef struct mrg_ctx {
  lp_db *db;
  const char *name, *dir;
  const lp_merge_options *m;
  const lp_write_options *o;
  lp__file_version version;
  size_t key_col[MAX_KEYS];
  lp__type key_type[MAX_KEYS];
  /* the source */
  struct ArrowArray *batches;
  size_t n_batches;
  int64_t *batch_start; /* global index of each batch's row 0; [n_batches] = total */
  uint64_t n_input;
  uint8_t *src_keys;    /* composite keys of all source rows, back to back */
  size_t *src_key_at;   /* [n_input + 1] offsets into src_keys; equal neighbours = a NULL key */
  lp__key_set keys;     /* value = global source row */
  struct ArrowSchema batch_schema;
  /* the last attempt */
  uint8_t *src_matched; /* per source row */
  uint64_t *write_rows; /* global source rows to write, in order */
  size_t n_write, cap_write;
  uint64_t n_updated, n_inserted, n_deleted;
  char **written;
  size_t n_written;
  lp__written files;
} mrg_ctx;

/* ---- composite keys --------------------------------------------------------------------------------- */

typedef struct kbuf {
  uint8_t *p;
  size_t n, cap;
} kbuf;

static bool kbuf_put(kbuf *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (np == NULL) return false;
    b->p = np;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
  return true;
}

/* Append the composite key of row j (cols[k] = key column k's array) to b; false when a part is NULL
 * (nothing appended) or out of memory (*oom). */
static bool composite_key(const mrg_ctx *c, const struct ArrowArray *const *cols, int64_t j, kbuf *b, bool *oom) {
  size_t start = b->n;
  for (size_t k = 0; k < c->m->n_on; k++) {
    const uint8_t *p;
    size_t n;
    if (!lp__key_bytes(cols[k], c->key_type[k], j, &p, &n)) {
      b->n = start;
      return false;
    }
    uint32_t len = (uint32_t)n; /* length prefix: ("ab","c") and ("a","bc") differ */
    if (!kbuf_put(b, &len, sizeof len) || !kbuf_put(b, p, n)) {
      *oom = true;
      b->n = start;
      return false;
    }
  }
  return true;
}

/* The source's composite keys into the key set; LP_EINVAL when a key appears twice. */
static lp_status index_source(mrg_ctx *c, lp_error *err) {
  kbuf b = {0};
  c->src_key_at = calloc(c->n_input + 1, sizeof *c->src_key_at);
  c->batch_start = calloc(c->n_batches + 1, sizeof *c->batch_start);
  if (c->src_key_at == NULL || c->batch_start == NULL || !lp__key_set_init(&c->keys, c->n_input))
    return lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  uint64_t g = 0;
  bool oom = false;
  for (size_t bi = 0; bi < c->n_batches; bi++) {
    c->batch_start[bi] = (int64_t)g;
    const struct ArrowArray *cols[MAX_KEYS];
    for (size_t k = 0; k < c->m->n_on; k++) cols[k] = c->batches[bi].children[c->key_col[k]];
    for (int64_t j = 0; j < c->batches[bi].length; j++, g++) {
      c->src_key_at[g] = b.n;
      (void)composite_key(c, cols, c->batches[bi].offset + j, &b, &oom);
      if (oom) break;
    }
  }
  c->batch_start[c->n_batches] = (int64_t)g;
  c->src_key_at[c->n_input] = b.n;
  c->src_keys = b.p;
  if (oom) return lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  for (uint64_t r = 0; r < c->n_input; r++) {
    size_t n = c->src_key_at[r + 1] - c->src_key_at[r];
    if (n == 0) continue; /* a NULL key: never matched */
    const uint8_t *p = c->src_keys + c->src_key_at[r];
    uint64_t h = lp__key_hash(p, n);
    size_t slot = lp__key_set_find(&c->keys, p, n, h);
    if (c->keys.hash[slot])
      return lp_error_set(err, LP_EINVAL, "the merge key appears twice in the source (rows %" PRIu64 " and %" PRIu64
                          "); each key must be unique", c->keys.value[slot] + 1, r + 1);
    c->keys.hash[slot] = h;
    c->keys.ptr[slot] = p;
    c->keys.len[slot] = (uint32_t)n;
    c->keys.value[slot] = r;
  }
  return LP_OK;
}

/* ---- gathering rows --------------------------------------------------------------------------------- */

/* Source rows rows[0..n) (global indices, any order) as one struct batch of the table's columns. */
static lp_status gather_source(const mrg_ctx *c, const uint64_t *rows, size_t n, struct ArrowArray *out,
                               lp_error *err) {
  struct ArrowArray *parts = calloc(n + 1, sizeof *parts);
  if (parts == NULL) return lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  size_t np = 0;
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < n;) {
    size_t bi = 0;
    while (c->batch_start[bi + 1] <= (int64_t)rows[i]) bi++;
    size_t run = 1; /* consecutive rows of one batch go in one slice */
    while (i + run < n && rows[i + run] == rows[i] + run && (int64_t)rows[i + run] < c->batch_start[bi + 1]) run++;
    rc = lp__arrow_slice_copy(&c->batches[bi], &c->batch_schema, (int64_t)rows[i] - c->batch_start[bi], (int64_t)run,
                              &parts[np], err);
    if (rc == LP_OK) np++;
    i += run;
  }
  if (rc == LP_OK) rc = lp__arrow_concat(parts, np, &c->batch_schema, out, err); /* releases the parts */
  else
    for (size_t k = 0; k < np; k++) lp__arrow_release(&parts[k]);
  free(parts);
  return rc;
}

/* Target rows rows[0..n) of the fragment open in r, every column, as one struct batch. */
static lp_status gather_target(lp_table *t, lp__frag_reader *r, const uint32_t *rows, size_t n, struct ArrowArray *out,
                               lp_error *err) {
  size_t nf = t->m->schema.n_fields;
  struct ArrowArray *cols = calloc(nf + 1, sizeof *cols);
  if (cols == NULL) return lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  lp_status rc = lp__frag_read_rows(t, r, rows, n, cols, err);
  if (rc == LP_OK) rc = lp__arrow_struct_make(out, cols, nf, (int64_t)n, NULL, 0, err);
  free(cols);
  return rc;
}

/* ---- conditions ------------------------------------------------------------------------------------- */

/* The update condition bound to a row of two structs, `target` and `source`, of the table's columns. */
static lp_status bind_pair_condition(const char *text, const lp__schema *s, lp__pred_bound **out, lp_error *err) {
  lp__field pair[2];
  memset(pair, 0, sizeof pair);
  const char *names[2] = {"target", "source"};
  for (int i = 0; i < 2; i++) {
    pair[i].name = (char *)names[i];
    pair[i].id = -1;
    pair[i].parent_id = -1;
    pair[i].type = LP__TYPE_STRUCT;
    pair[i].nullable = true;
    pair[i].children = s->fields;
    pair[i].n_children = s->n_fields;
  }
  lp_status rc = lp__pred_compile(text, pair, 2, out, err);
  if (rc != LP_OK) lp_error_wrap(err, "update condition: ");
  return rc;
}

/* sel[i] = condition holds for pair i (target rows trows of the fragment, source rows srows). */
static lp_status eval_pairs(const mrg_ctx *c, lp_table *t, lp__frag_reader *r, const lp__pred_bound *b,
                            const uint32_t *trows, const uint64_t *srows, size_t n, uint8_t *sel, lp_error *err) {
  struct ArrowArray pair[2];
  memset(pair, 0, sizeof pair);
  lp_status rc = gather_target(t, r, trows, n, &pair[0], err);
  if (rc == LP_OK) rc = gather_source(c, srows, n, &pair[1], err);
  const struct ArrowArray *cols[2] = {&pair[0], &pair[1]};
  if (rc == LP_OK) rc = lp__pred_eval_columns(b, cols, 2, (int64_t)n, sel, NULL, err);
  lp__arrow_release(&pair[0]);
  lp__arrow_release(&pair[1]);
  return rc;
}

/* sel[i] = the delete condition holds for target row rows[i]. */
static lp_status eval_targets(lp_table *t, lp__frag_reader *r, const lp__pred_bound *b, const uint32_t *rows, size_t n,
                              uint8_t *sel, lp_error *err) {
  struct ArrowArray batch;
  LP_TRY(gather_target(t, r, rows, n, &batch, err));
  lp_status rc = lp__pred_eval(b, &batch, sel, NULL, err);
  lp__arrow_release(&batch);
  return rc;
}

/* ---- one fragment ----------------------------------------------------------------------------------- */

typedef struct frag_rows {
  uint32_t *matched_t, *unmatched_t, *gone; /* target rows: matched, not matched, to delete */
  uint64_t *matched_s;                      /* the source row of each matched target row */
  size_t n_matched, n_unmatched, n_gone;
} frag_rows;

static void frag_rows_free(frag_rows *f) {
  free(f->matched_t);
  free(f->unmatched_t);
  free(f->gone);
  free(f->matched_s);
  memset(f, 0, sizeof *f);
}

static bool push_write(mrg_ctx *c, uint64_t row) {
  if (c->n_write == c->cap_write) {
    size_t cap = c->cap_write ? c->cap_write * 2 : 256;
    uint64_t *n = realloc(c->write_rows, cap * sizeof *n);
    if (n == NULL) return false;
    c->write_rows = n;
    c->cap_write = cap;
  }
  c->write_rows[c->n_write++] = row;
  return true;
}

/* Split the fragment's live rows into matched (with their source rows) and not matched. */
static lp_status match_fragment(mrg_ctx *c, lp_table *t, lp__frag_reader *r, frag_rows *fr, lp_error *err) {
  const lp__fragment *f = r->frag;
  const lp__schema *s = &t->m->schema;
  struct ArrowArray keys[MAX_KEYS];
  memset(keys, 0, sizeof keys);
  size_t rows = f->physical_rows;
  fr->matched_t = malloc((rows + 1) * sizeof *fr->matched_t);
  fr->unmatched_t = malloc((rows + 1) * sizeof *fr->unmatched_t);
  fr->matched_s = malloc((rows + 1) * sizeof *fr->matched_s);
  fr->gone = malloc((rows + 1) * sizeof *fr->gone);
  lp_status rc = fr->matched_t && fr->unmatched_t && fr->matched_s && fr->gone
                     ? LP_OK : lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  if (rows > UINT32_MAX) rc = lp_error_set(err, LP_EUNSUPPORTED, "fragment %" PRIu64 ": too many rows", f->id);
  size_t got = 0;
  for (size_t k = 0; rc == LP_OK && k < c->m->n_on; k++) {
    struct ArrowSchema fs;
    rc = lp__field_to_arrow(&s->fields[c->key_col[k]], &fs, err);
    if (rc != LP_OK) break;
    rc = lp__frag_read_field(t, r, &s->fields[c->key_col[k]], &fs, 0, NULL, rows, &keys[k], err);
    fs.release(&fs);
    if (rc == LP_OK) got++;
  }
  const struct ArrowArray *cols[MAX_KEYS];
  for (size_t k = 0; k < got; k++) cols[k] = &keys[k];
  const uint32_t *del = r->deleted ? r->deleted->rows : NULL;
  size_t n_del = r->deleted ? r->deleted->n_rows : 0, di = 0;
  kbuf b = {0};
  bool oom = false;
  for (uint32_t row = 0; rc == LP_OK && row < rows; row++) {
    while (di < n_del && del[di] < row) di++;
    if (di < n_del && del[di] == row) continue;
    b.n = 0;
    size_t slot = 0;
    bool found = composite_key(c, cols, row, &b, &oom);
    if (oom) rc = lp_error_set(err, LP_ENOMEM, "merge: out of memory");
    if (found) {
      slot = lp__key_set_find(&c->keys, b.p, b.n, lp__key_hash(b.p, b.n));
      found = c->keys.hash[slot] != 0;
    }
    if (found) {
      c->src_matched[c->keys.value[slot]] = 1;
      fr->matched_s[fr->n_matched] = c->keys.value[slot];
      fr->matched_t[fr->n_matched++] = row;
    } else {
      fr->unmatched_t[fr->n_unmatched++] = row;
    }
  }
  free(b.p);
  for (size_t k = 0; k < got; k++) lp__arrow_release(&keys[k]);
  return rc;
}

/* Which matched rows are replaced and which unmatched rows deleted: into fr->gone (ascending), and the
 * replacing source rows into c->write_rows. */
static lp_status decide_fragment(mrg_ctx *c, lp_table *t, lp__frag_reader *r, const lp__pred_bound *upd,
                                 const lp__pred_bound *dlt, frag_rows *fr, lp_error *err) {
  size_t n = fr->n_matched > fr->n_unmatched ? fr->n_matched : fr->n_unmatched;
  uint8_t *sel = calloc(n / 8 + 1, 1), *gone_bits = calloc(r->frag->physical_rows / 8 + 1, 1);
  lp_status rc = sel && gone_bits ? LP_OK : lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  if (rc == LP_OK && c->m->update_all && fr->n_matched > 0) {
    if (upd) rc = eval_pairs(c, t, r, upd, fr->matched_t, fr->matched_s, fr->n_matched, sel, err);
    else memset(sel, 0xff, n / 8 + 1);
    for (size_t i = 0; rc == LP_OK && i < fr->n_matched; i++) {
      if (!lp__bit_get(sel, (int64_t)i)) continue;
      lp__bit_set(gone_bits, fr->matched_t[i]);
      c->n_updated++;
      if (!push_write(c, fr->matched_s[i])) rc = lp_error_set(err, LP_ENOMEM, "merge: out of memory");
    }
  }
  if (rc == LP_OK && c->m->delete_not_matched && fr->n_unmatched > 0) {
    memset(sel, 0, n / 8 + 1);
    if (dlt) rc = eval_targets(t, r, dlt, fr->unmatched_t, fr->n_unmatched, sel, err);
    else memset(sel, 0xff, n / 8 + 1);
    for (size_t i = 0; rc == LP_OK && i < fr->n_unmatched; i++) {
      if (!lp__bit_get(sel, (int64_t)i)) continue;
      lp__bit_set(gone_bits, fr->unmatched_t[i]);
      c->n_deleted++;
    }
  }
  for (uint32_t row = 0; rc == LP_OK && row < r->frag->physical_rows; row++)
    if (lp__bit_get(gone_bits, row)) fr->gone[fr->n_gone++] = row;
  free(sel);
  free(gone_bits);
  return rc;
}

static lp_status merge_fragment(mrg_ctx *c, lp_table *t, const lp__base *base, size_t i, const lp__pred_bound *upd,
                                const lp__pred_bound *dlt, lp__plan *plan, lp__rewrite *rw, lp_error *err) {
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, &t->m->fragments[i], &r, err));
  frag_rows fr;
  memset(&fr, 0, sizeof fr);
  lp_status rc = match_fragment(c, t, &r, &fr, err);
  if (rc == LP_OK) rc = decide_fragment(c, t, &r, upd, dlt, &fr, err);
  if (rc == LP_OK)
    rc = lp__rewrite_fragment(rw, plan, c->dir, base, i, &r, fr.gone, fr.n_gone, c->o->durable, &c->written,
                              &c->n_written, err);
  frag_rows_free(&fr);
  lp__frag_reader_close(&r);
  return rc;
}

/* ---- the commit ------------------------------------------------------------------------------------- */

static void forget_attempt(mrg_ctx *c, bool unlink_them) {
  lp__paths_forget(&c->written, &c->n_written, unlink_them);
  if (unlink_them) lp__written_unlink(c->dir, &c->files);
  lp__written_reset(&c->files);
  c->n_write = 0;
  c->n_updated = c->n_inserted = c->n_deleted = 0;
  if (c->src_matched) memset(c->src_matched, 0, c->n_input + 1);
}

/* The source rows to write (replacing rows first, then inserted ones) as data files. */
static lp_status write_new_rows(mrg_ctx *c, const lp__schema *s, lp_error *err) {
  for (uint64_t r = 0; c->m->insert_all && r < c->n_input; r++) {
    if (c->src_matched[r]) continue;
    if (!push_write(c, r)) return lp_error_set(err, LP_ENOMEM, "merge: out of memory");
    c->n_inserted++;
  }
  if (c->n_write == 0) return LP_OK;
  struct ArrowArray batch;
  LP_TRY(gather_source(c, c->write_rows, c->n_write, &batch, err));
  lp_status rc = lp__write_batches(c->dir, s, c->o, c->version, &batch, 1, &c->files, err);
  lp__arrow_release(&batch);
  return rc;
}

static lp_status prepare_merge(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  mrg_ctx *c = vctx;
  forget_attempt(c, true);
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__check_file_version(base, c->version, err));
  lp_table *t = NULL;
  LP_TRY(lp_table_open(c->db, c->name, base->version, &t, err));
  const lp__schema *s = &t->m->schema;
  lp__pred_bound *upd = NULL, *dlt = NULL;
  lp_error ignored = {0};
  lp_status rc = lp__wschema_check_arrow(s, &c->batch_schema, &ignored) == LP_OK
                     ? LP_OK
                     : lp_error_set(err, LP_ECONFLICT, "the table's schema changed since the source was read");
  if (rc == LP_OK && c->m->update_all && c->m->update_where) rc = bind_pair_condition(c->m->update_where, s, &upd, err);
  if (rc == LP_OK && c->m->delete_not_matched && c->m->delete_where) {
    rc = lp__pred_compile(c->m->delete_where, s->fields, s->n_fields, &dlt, err);
    if (rc != LP_OK) lp_error_wrap(err, "delete condition: ");
  }
  lp__rewrite rw = {0};
  if (rc == LP_OK) rc = lp__rewrite_init(&rw, plan, t->m->n_fragments, err);
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) rc = merge_fragment(c, t, base, i, upd, dlt, plan, &rw, err);
  if (rc == LP_OK) rc = write_new_rows(c, s, err);
  /* like LanceDB's, the Update lists every field; a merge that changes nothing still commits */
  uint32_t *fields = rc == LP_OK ? calloc(s->n_fields + 1, sizeof *fields) : NULL;
  if (rc == LP_OK && fields == NULL) rc = lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  for (size_t i = 0; rc == LP_OK && i < s->n_fields; i++) fields[i] = (uint32_t)s->fields[i].id;
  if (rc == LP_OK) rc = lp__rewrite_finish(&rw, plan, c->dir, base, &c->files, fields, s->n_fields, "merge", err);
  free(fields);
  lp__pred_bound_free(upd);
  lp__pred_bound_free(dlt);
  lp_table_close(t);
  return rc;
}

/* The options, checked before anything is read. */
static lp_status check_options(const lp_merge_options *m, lp_error *err) {
  if (m == NULL || m->on == NULL || m->n_on == 0) return lp_error_set(err, LP_EINVAL, "merge: no key columns");
  if (m->n_on > MAX_KEYS) return lp_error_set(err, LP_EINVAL, "merge: more than %d key columns", MAX_KEYS);
  for (size_t k = 0; k < m->n_on; k++)
    if (m->on[k] == NULL) return lp_error_set(err, LP_EINVAL, "merge: key column %zu is NULL", k);
  if (!m->update_all && !m->insert_all && !m->delete_not_matched)
    return lp_error_set(err, LP_EINVAL, "merge: nothing to do (none of update-all, insert-all, delete-not-matched)");
  if (m->update_where && !m->update_all) return lp_error_set(err, LP_EINVAL, "merge: an update condition without update-all");
  if (m->delete_where && !m->delete_not_matched)
    return lp_error_set(err, LP_EINVAL, "merge: a delete condition without delete-not-matched");
  return LP_OK;
}

static lp_status find_keys(mrg_ctx *c, const lp__schema *s, lp_error *err) {
  for (size_t k = 0; k < c->m->n_on; k++) {
    const lp__field *kf = lp__schema_find(s, c->m->on[k]);
    LP_TRY(lp__key_column_check(kf, c->m->on[k], err));
    c->key_col[k] = (size_t)(kf - s->fields);
    c->key_type[k] = kf->type;
    for (size_t j = 0; j < k; j++)
      if (c->key_col[j] == c->key_col[k]) return lp_error_set(err, LP_EINVAL, "key column \"%s\" given twice", kf->name);
  }
  return LP_OK;
}

static void ctx_free(mrg_ctx *c) {
  lp__key_set_free(&c->keys);
  lp__batches_free(c->batches, c->n_batches);
  free(c->batch_start);
  free(c->src_keys);
  free(c->src_key_at);
  free(c->src_matched);
  free(c->write_rows);
  if (c->batch_schema.release) c->batch_schema.release(&c->batch_schema);
}

lp_status lp_db_merge(lp_db *db, const char *name, const lp_merge_options *m, struct ArrowArrayStream *data,
                      const lp_write_options *opts, uint64_t *out_updated, uint64_t *out_inserted,
                      uint64_t *out_deleted, uint64_t *out_version, lp_error *err) {
  if (out_updated) *out_updated = 0;
  if (out_inserted) *out_inserted = 0;
  if (out_deleted) *out_deleted = 0;
  if (out_version) *out_version = 0;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  mrg_ctx c;
  memset(&c, 0, sizeof c);
  lp__base base;
  memset(&base, 0, sizeof base);
  char *dir = NULL;
  lp_status rc = db && data && out_version ? check_options(m, err)
                                           : lp_error_set(err, LP_EINVAL, "merge: a database, data and out_version are needed");
  if (rc == LP_OK) rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK) rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, &c.version, err);
  c.m = m;
  if (rc == LP_OK) rc = find_keys(&c, &base.m->schema, err);
  if (rc == LP_OK) rc = lp__wschema_to_arrow(&base.m->schema, &c.batch_schema, err);
  if (rc == LP_OK) rc = lp__stream_collect(data, &base.m->schema, NULL, &c.batches, &c.n_batches, err);
  for (size_t b = 0; b < c.n_batches; b++) c.n_input += (uint64_t)c.batches[b].length;
  if (rc == LP_OK) rc = index_source(&c, err);
  if (rc == LP_OK && (c.src_matched = calloc(c.n_input + 1, 1)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "merge: out of memory");
  if (rc == LP_OK) {
    c.db = db;
    c.name = name;
    c.dir = dir;
    c.o = &o;
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_merge, &c, out_version, err);
    uint64_t u = c.n_updated, i = c.n_inserted, d = c.n_deleted;
    forget_attempt(&c, rc != LP_OK);
    if (rc == LP_OK) {
      if (out_updated) *out_updated = u;
      if (out_inserted) *out_inserted = i;
      if (out_deleted) *out_deleted = d;
    }
  }
  if (rc != LP_OK) lp_error_wrap(err, "merge into %s: ", name ? name : "");
  ctx_free(&c);
  if (data && data->release) data->release(data);
  lp__base_reset(&base);
  lp__table_dir_free(dir);
  return rc;
}
