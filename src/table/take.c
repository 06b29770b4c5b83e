/* Random access by position among the live rows. Positions are sorted (remembering where each came
 * from), mapped to (fragment, physical row) with the manifest's live counts and each fragment's deletion
 * vector, read per fragment with lp__datafile_take, then put back in the order asked: the output is cut into
 * the longest pieces that are consecutive in one fragment's result, sliced and concatenated. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/rowids.h"
#include "table/table.h"

typedef struct want {
  uint64_t pos;   /* live position asked for */
  size_t out_idx; /* where it goes in the result */
  size_t frag;    /* fragment index */
  size_t slot;    /* index in that fragment's unique-rows result */
} want;

static int cmp_want(const void *a, const void *b) {
  const want *x = a, *y = b;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  return x->out_idx < y->out_idx ? -1 : x->out_idx > y->out_idx;
}

/* Physical row of live row k of a fragment whose deleted rows are d (ascending): k plus the number of
 * deleted rows before the answer. *di carries the scan position between calls with ascending k. */
static uint64_t physical_row(const lp__deletion_vec *d, uint64_t k, size_t *di) {
  uint64_t p = k + *di;
  while (d && *di < d->n_rows && d->rows[*di] <= p) {
    (*di)++;
    p++;
  }
  return p;
}

typedef struct frag_result {
  struct ArrowArray *cols; /* one per projected field, each with the fragment's unique rows */
} frag_result;

/* Read the wanted rows [lo, hi) of sorted w (all in fragment fi) for every projected field. */
static lp_status take_fragment(lp_table *t, const lp__field **fields, size_t n_fields,
                               const struct ArrowSchema *schemas, want *w, size_t lo, size_t hi, size_t fi,
                               uint64_t frag_first_pos, frag_result *res, lp_error *err) {
  lp__frag_reader fr;
  LP_TRY(lp__frag_reader_open(t, &t->m->fragments[fi], &fr, err));
  uint64_t *rows = malloc((hi - lo) * sizeof *rows);
  res->cols = calloc(n_fields ? n_fields : 1, sizeof *res->cols);
  lp_status rc = rows && res->cols ? LP_OK : lp_error_set(err, LP_ENOMEM, "take: out of memory");
  size_t n = 0, di = 0;
  for (size_t i = lo; rc == LP_OK && i < hi; i++) {
    uint64_t r = physical_row(fr.deleted, w[i].pos - frag_first_pos, &di);
    if (n == 0 || rows[n - 1] != r) rows[n++] = r;
    w[i].slot = n - 1;
  }
  for (size_t f = 0; rc == LP_OK && f < n_fields; f++) {
    rc = lp__frag_read_field(t, &fr, fields[f], &schemas[f], 0, rows, n, &res->cols[f], err);
    if (rc == LP_OK && res->cols[f].length != (int64_t)n)
      rc = lp_error_set(err, LP_ECORRUPT, "take: column %s returned %" PRId64 " rows, expected %zu", fields[f]->name,
                        res->cols[f].length, n);
  }
  if (rc != LP_OK) lp_error_wrap(err, "table %s: fragment %" PRIu64 ": ", t->name, t->m->fragments[fi].id);
  free(rows);
  lp__frag_reader_close(&fr);
  return rc;
}

/* Assemble field f of the result in the asked order from the per-fragment arrays. by_out[i] is the want
 * for output row i. */
static lp_status gather(const want *const *by_out, size_t n, frag_result *res, size_t f,
                        const struct ArrowSchema *schema, struct ArrowArray *out, lp_error *err) {
  struct ArrowArray *pieces = calloc(n ? n : 1, sizeof *pieces);
  if (pieces == NULL) return lp_error_set(err, LP_ENOMEM, "take: out of memory");
  size_t n_pieces = 0;
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n && rc == LP_OK;) {
    size_t j = i + 1;
    while (j < n && by_out[j]->frag == by_out[i]->frag && by_out[j]->slot == by_out[j - 1]->slot + 1) j++;
    rc = lp__arrow_slice_copy(&res[by_out[i]->frag].cols[f], schema, (int64_t)by_out[i]->slot, (int64_t)(j - i),
                              &pieces[n_pieces], err);
    if (rc == LP_OK) n_pieces++;
    i = j;
  }
  if (rc == LP_OK && n_pieces == 1) {
    lp__arrow_move(&pieces[0], out);
  } else if (rc == LP_OK && n_pieces == 0) {
    rc = lp__arrow_make_nulls(out, schema, 0, err); /* no rows asked: an empty column */
  } else if (rc == LP_OK) {
    rc = lp__arrow_concat(pieces, n_pieces, schema, out, err);
  } else {
    for (size_t i = 0; i < n_pieces; i++) lp__arrow_release(&pieces[i]);
  }
  free(pieces);
  return rc;
}

typedef struct take_state {
  const lp__field **fields;
  size_t n_fields;
  struct ArrowSchema *schemas;
  want *w;
  const want **by_out;
  frag_result *res;
  struct ArrowArray *cols;
} take_state;

static void take_state_free(take_state *s, size_t n_frags) {
  for (size_t i = 0; s->res && i < n_frags; i++) {
    for (size_t f = 0; s->res[i].cols && f < s->n_fields; f++) lp__arrow_release(&s->res[i].cols[f]);
    free(s->res[i].cols);
  }
  for (size_t f = 0; f < s->n_fields; f++) {
    if (s->schemas && s->schemas[f].release) s->schemas[f].release(&s->schemas[f]);
    if (s->cols) lp__arrow_release(&s->cols[f]);
  }
  free(s->res);
  free(s->schemas);
  free(s->cols);
  free(s->w);
  free(s->by_out);
  free(s->fields);
}

/* Read every touched fragment, then gather each column. */
static lp_status take_run(lp_table *t, take_state *s, size_t n, lp_error *err) {
  const lp__manifest *m = t->m;
  qsort(s->w, n, sizeof *s->w, cmp_want);
  size_t i = 0;
  uint64_t first = 0;
  for (size_t fi = 0; fi < m->n_fragments && i < n; fi++) {
    uint64_t live = m->fragments[fi].physical_rows - m->fragments[fi].num_deleted_rows;
    size_t lo = i;
    while (i < n && s->w[i].pos < first + live) s->w[i++].frag = fi;
    if (i > lo) LP_TRY(take_fragment(t, s->fields, s->n_fields, s->schemas, s->w, lo, i, fi, first, &s->res[fi], err));
    first += live;
  }
  for (size_t k = 0; k < n; k++) s->by_out[s->w[k].out_idx] = &s->w[k];
  for (size_t f = 0; f < s->n_fields; f++) LP_TRY(gather(s->by_out, n, s->res, f, &s->schemas[f], &s->cols[f], err));
  return LP_OK;
}

lp_status lp_table_take(lp_table *t, const uint64_t *positions, size_t n_positions, const char *const *columns,
                        size_t n_columns, struct ArrowArray *out_array, struct ArrowSchema *out_schema,
                        lp_error *err) {
  if (t == NULL || out_array == NULL || out_schema == NULL || (positions == NULL && n_positions > 0))
    return lp_error_set(err, LP_EINVAL, "lp_table_take: NULL argument");
  memset(out_array, 0, sizeof *out_array);
  memset(out_schema, 0, sizeof *out_schema);
  uint64_t total = lp__manifest_live_rows(t->m);
  for (size_t i = 0; i < n_positions; i++)
    if (positions[i] >= total)
      return lp_error_set(err, LP_EINVAL, "table %s: position %" PRIu64 " is past the end (%" PRIu64 " rows)", t->name,
                          positions[i], total);
  take_state s = {0};
  size_t n_frags = t->m->n_fragments;
  lp_status rc = lp__project(t, columns, n_columns, &s.fields, &s.n_fields, err);
  if (rc == LP_OK) {
    size_t nf = s.n_fields ? s.n_fields : 1, np = n_positions ? n_positions : 1;
    s.schemas = calloc(nf, sizeof *s.schemas);
    s.cols = calloc(nf, sizeof *s.cols);
    s.w = calloc(np, sizeof *s.w);
    s.by_out = calloc(np, sizeof *s.by_out);
    s.res = calloc(n_frags ? n_frags : 1, sizeof *s.res);
    if (!s.schemas || !s.cols || !s.w || !s.by_out || !s.res) rc = lp_error_set(err, LP_ENOMEM, "take: out of memory");
  }
  for (size_t f = 0; rc == LP_OK && f < s.n_fields; f++) rc = lp__field_to_arrow(s.fields[f], &s.schemas[f], err);
  for (size_t i = 0; rc == LP_OK && i < n_positions; i++) {
    s.w[i].pos = positions[i];
    s.w[i].out_idx = i;
  }
  if (rc == LP_OK) rc = take_run(t, &s, n_positions, err);
  if (rc == LP_OK) rc = lp__fields_to_arrow_struct(s.fields, s.n_fields, out_schema, err);
  if (rc == LP_OK) {
    rc = lp__arrow_struct_make(out_array, s.cols, s.n_fields, (int64_t)n_positions, NULL, 0, err);
    if (rc != LP_OK) out_schema->release(out_schema);
  }
  take_state_free(&s, n_frags);
  return rc;
}

/* ---- row addresses and row ids --------------------------------------------------------------- */

bool lp__table_stable_row_ids(const lp_table *t) { return (t->m->reader_flags & 2u) != 0; }

/* Physical row of live row k among a fragment's rows whose deleted rows are d: k + j, where j counts the
 * deleted rows d[i] with d[i] - i <= k (d is strictly ascending, so d[i] - i never decreases). */
static uint64_t physical_of_live(const lp__deletion_vec *d, uint64_t k) {
  size_t lo = 0, hi = d ? d->n_rows : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((uint64_t)d->rows[mid] - mid <= k) lo = mid + 1;
    else hi = mid;
  }
  return k + lo;
}

/* The stable row id of every physical row of frag (decoded from the manifest). Caller frees *out. */
static lp_status fragment_id_sequence(lp_table *t, const lp__fragment *f, uint64_t **out, lp_error *err) {
  char what[96];
  snprintf(what, sizeof what, "fragment %" PRIu64, f->id); /* a cut message is harmless */
  if (f->row_ids_external)
    return lp_error_set(err, LP_EUNSUPPORTED, "table %s: %s: row ids kept in an external file are not read yet",
                        t->name, what);
  if (f->row_ids == NULL)
    return lp_error_set(err, LP_ECORRUPT, "table %s: %s: stable row ids but no row id sequence", t->name, what);
  lp_status rc = lp__rowid_seq_decode(f->row_ids, f->row_ids_len, f->physical_rows, what, out, err);
  if (rc != LP_OK) lp_error_wrap(err, "table %s: ", t->name);
  return rc;
}

typedef struct addr_ctx {
  lp_table *t;
  bool ids;             /* want stable row ids (else row addresses) */
  uint64_t *frag_first; /* live position of each fragment's first row; [n_fragments] = live rows */
  size_t cur;           /* fragment whose deletion vector (and id sequence) is loaded, or SIZE_MAX */
  lp__deletion_vec *del;
  uint64_t *seq;
} addr_ctx;

static lp_status load_fragment(addr_ctx *c, size_t fi, lp_error *err) {
  const lp__fragment *f = &c->t->m->fragments[fi];
  lp__deletion_vec_unref(c->del);
  free(c->seq);
  c->del = NULL;
  c->seq = NULL;
  c->cur = SIZE_MAX;
  if (f->has_deletion) LP_TRY(lp__table_deletions(c->t, f, &c->del, err));
  if (c->ids) LP_TRY(fragment_id_sequence(c->t, f, &c->seq, err));
  c->cur = fi;
  return LP_OK;
}

static lp_status row_at(addr_ctx *c, uint64_t pos, uint64_t *out, lp_error *err) {
  const lp__manifest *m = c->t->m;
  if (pos >= c->frag_first[m->n_fragments])
    return lp_error_set(err, LP_EINVAL, "row address: position %" PRIu64 " past the %" PRIu64 " live rows", pos,
                        c->frag_first[m->n_fragments]);
  size_t lo = 0, hi = m->n_fragments; /* the last fragment whose first position is <= pos */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->frag_first[mid] <= pos) lo = mid;
    else hi = mid;
  }
  if (c->cur != lo) LP_TRY(load_fragment(c, lo, err));
  uint64_t row = physical_of_live(c->del, pos - c->frag_first[lo]);
  *out = c->ids ? c->seq[row] : m->fragments[lo].id << 32 | row;
  return LP_OK;
}

static lp_status rows_of_positions(lp_table *t, bool ids, const uint64_t *positions, uint64_t first, size_t n,
                                   uint64_t *out, lp_error *err) {
  const lp__manifest *m = t->m;
  addr_ctx c = {.t = t, .ids = ids, .cur = SIZE_MAX};
  c.frag_first = malloc((m->n_fragments + 1) * sizeof *c.frag_first);
  if (c.frag_first == NULL) return lp_error_set(err, LP_ENOMEM, "row address: out of memory");
  c.frag_first[0] = 0;
  for (size_t i = 0; i < m->n_fragments; i++)
    c.frag_first[i + 1] = c.frag_first[i] + m->fragments[i].physical_rows - m->fragments[i].num_deleted_rows;
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < n; i++) rc = row_at(&c, positions ? positions[i] : first + i, &out[i], err);
  lp__deletion_vec_unref(c.del);
  free(c.seq);
  free(c.frag_first);
  return rc;
}

lp_status lp__table_row_addrs(lp_table *t, const uint64_t *positions, uint64_t first, size_t n, uint64_t *out,
                              lp_error *err) {
  return rows_of_positions(t, false, positions, first, n, out, err);
}

lp_status lp__table_row_ids(lp_table *t, const uint64_t *positions, uint64_t first, size_t n, uint64_t *out,
                            lp_error *err) {
  return rows_of_positions(t, lp__table_stable_row_ids(t), positions, first, n, out, err);
}

lp_status lp__fragment_row_ids(lp_table *t, const lp__fragment *frag, const uint64_t *rows, size_t n, uint64_t *out,
                               lp_error *err) {
  if (!lp__table_stable_row_ids(t)) {
    for (size_t i = 0; i < n; i++) out[i] = frag->id << 32 | rows[i];
    return LP_OK;
  }
  uint64_t *seq;
  LP_TRY(fragment_id_sequence(t, frag, &seq, err));
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    if (rows[i] >= frag->physical_rows) rc = lp_error_set(err, LP_EINVAL, "row ids: row %" PRIu64 " past the fragment", rows[i]);
    else out[i] = seq[rows[i]];
  }
  free(seq);
  return rc;
}

static const lp__field ROWID_FIELD = {.name = "_rowid", .id = -1, .parent_id = -1, .type = LP__TYPE_UINT64,
                                      .nullable = true};

const lp__field *lp__rowid_field(void) { return &ROWID_FIELD; }

/* A uint64 array taking n values: *vals is its buffer to fill. */
static lp_status u64_array(size_t n, uint64_t **vals, struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  *vals = lp__arrow_buf_alloc((n ? n : 1) * sizeof **vals);
  if (*vals == NULL) return lp_error_set(err, LP_ENOMEM, "row ids: out of memory");
  void *bufs[2] = {NULL, *vals};
  return lp__arrow_array_make(out, (int64_t)n, 0, 2, bufs, NULL, 0, err);
}

lp_status lp__table_rowid_array(lp_table *t, const uint64_t *positions, uint64_t first, size_t n,
                                struct ArrowArray *out, lp_error *err) {
  uint64_t *vals;
  LP_TRY(u64_array(n, &vals, out, err));
  lp_status rc = lp__table_row_ids(t, positions, first, n, vals, err);
  if (rc != LP_OK) lp__arrow_release(out);
  return rc;
}

lp_status lp__fragment_rowid_array(lp_table *t, const lp__fragment *frag, const uint64_t *rows, size_t n,
                                   struct ArrowArray *out, lp_error *err) {
  uint64_t *vals;
  LP_TRY(u64_array(n, &vals, out, err));
  lp_status rc = lp__fragment_row_ids(t, frag, rows, n, vals, err);
  if (rc != LP_OK) lp__arrow_release(out);
  return rc;
}
