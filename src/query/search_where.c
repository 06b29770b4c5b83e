/* Filtered scans and counts (lp_table_scan_where, lp_table_count_where): the filter's columns are scanned
 * and evaluated batch by batch; a scan then takes the projected columns of the matching rows by live
 * position, so columns the filter does not read are decoded only for rows that pass. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "query/search_int.h"
#include "table/stream.h"
#include "table/table.h"

#define DEFAULT_BATCH_ROWS 8192

typedef struct wscan {
  lp_table *t;                  /* borrowed */
  lp__pred_bound *pb;
  const char **filter_names;    /* columns the filter reads (or the first column) */
  size_t n_filter_names;
  const size_t *idx;            /* their schema indices (borrowed from pb) */
  size_t n_idx;
  const lp__field **fields;     /* projected fields, then lp__rowid_field() when with_row_id */
  size_t n_fields;              /* the table fields among them */
  bool with_row_id;
  const char **proj_names;      /* their names, for take */
  struct ArrowArrayStream inner;
  bool inner_done;
  uint64_t pos;                 /* live position of the inner stream's next row */
  uint64_t skip, remaining;
  uint32_t batch_rows;
  uint64_t *want;               /* positions gathered for the next output batch */
  size_t n_want, cap_want;
  uint8_t *sel;
} wscan;

static lp_status push_pos(wscan *s, uint64_t p, lp_error *err) {
  if (s->n_want == s->cap_want) {
    size_t cap = s->cap_want ? s->cap_want * 2 : 1024;
    uint64_t *w = realloc(s->want, cap * sizeof *w);
    if (w == NULL) return lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
    s->want = w;
    s->cap_want = cap;
  }
  s->want[s->n_want++] = p;
  return LP_OK;
}

/* Pull one inner batch and gather its matching positions (after the offset, within the limit). */
static lp_status pull(wscan *s, lp_error *err) {
  struct ArrowArray b = {0};
  if (s->inner.get_next(&s->inner, &b) != 0) {
    const char *msg = s->inner.get_last_error(&s->inner);
    return lp_error_set(err, LP_EIO, "%s", msg ? msg : "scan failed");
  }
  if (b.release == NULL) {
    s->inner_done = true;
    return LP_OK;
  }
  size_t nc = s->t->m->schema.n_fields + LP__PRED_N_PSEUDO;
  const struct ArrowArray **cols = calloc(nc, sizeof *cols);
  lp_status rc = cols ? LP_OK : lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
  if (rc == LP_OK && (uint64_t)b.length > (uint64_t)s->batch_rows)
    rc = lp_error_set(err, LP_ECORRUPT, "filtered scan: batch of %" PRId64 " rows", b.length);
  for (size_t i = 0; rc == LP_OK && i < s->n_idx; i++) cols[s->idx[i]] = b.children[i];
  if (rc == LP_OK) rc = lp__search_eval(s->t, s->pb, cols, b.length, s->pos, NULL, s->sel, NULL, err);
  for (int64_t i = 0; rc == LP_OK && i < b.length && s->remaining > 0; i++) {
    if (!lp__bit_get(s->sel, i)) continue;
    if (s->skip > 0) {
      s->skip--;
      continue;
    }
    rc = push_pos(s, s->pos + (uint64_t)i, err);
    s->remaining--;
  }
  s->pos += (uint64_t)b.length;
  if (s->remaining == 0) s->inner_done = true;
  free(cols);
  b.release(&b);
  return rc;
}

/* Add the `_rowid` column of the rows taken (s->want) to batch *out. */
static lp_status append_row_ids(wscan *s, struct ArrowArray *out, lp_error *err) {
  size_t n = (size_t)out->n_children;
  struct ArrowArray *kids = calloc(n + 1, sizeof *kids);
  lp_status rc = kids ? LP_OK : lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
  if (rc == LP_OK) rc = lp__table_rowid_array(s->t, s->want, 0, s->n_want, &kids[n], err);
  if (rc == LP_OK) {
    for (size_t i = 0; i < n; i++) lp__arrow_move(out->children[i], &kids[i]);
    int64_t len = out->length;
    out->release(out);
    rc = lp__arrow_struct_make(out, kids, n + 1, len, NULL, 0, err);
  } else if (out->release) {
    out->release(out);
  }
  free(kids);
  return rc;
}

static lp_status wscan_next(wscan *s, struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  while (!s->inner_done && s->n_want < s->batch_rows) LP_TRY(pull(s, err));
  if (s->n_want == 0) return LP_OK; /* end of stream */
  struct ArrowSchema sc = {0};
  lp_status rc = lp_table_take(s->t, s->want, s->n_want, s->proj_names, s->n_fields, out, &sc, err);
  if (sc.release) sc.release(&sc);
  if (rc == LP_OK && s->with_row_id) rc = append_row_ids(s, out, err);
  s->n_want = 0;
  return rc;
}

static void wscan_free(wscan *s) {
  if (s->inner.release) s->inner.release(&s->inner);
  lp__pred_bound_free(s->pb);
  free(s->filter_names);
  free(s->fields);
  free(s->proj_names);
  free(s->want);
  free(s->sel);
  free(s);
}

static lp_status ops_next(void *s, struct ArrowArray *out, lp_error *err) { return wscan_next(s, out, err); }
static lp_status ops_schema(void *state, struct ArrowSchema *out, lp_error *err) {
  wscan *s = state;
  return lp__fields_to_arrow_struct(s->fields, s->n_fields + s->with_row_id, out, err);
}
static void ops_free(void *s) { wscan_free(s); }
static const lp__stream_ops WSCAN_OPS = {.next = ops_next, .schema = ops_schema, .free_state = ops_free};

/* Names of the filter's columns (the first column when it reads none, so batches keep their length). */
static lp_status filter_names(wscan *s, lp_error *err) {
  lp__pred_bound_columns(s->pb, &s->idx, &s->n_idx);
  s->n_filter_names = s->n_idx ? s->n_idx : 1;
  s->filter_names = calloc(s->n_filter_names, sizeof *s->filter_names);
  if (s->filter_names == NULL) return lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
  for (size_t i = 0; i < s->n_idx; i++) s->filter_names[i] = s->t->m->schema.fields[s->idx[i]].name;
  if (s->n_idx == 0) s->filter_names[0] = s->t->m->schema.fields[0].name;
  return LP_OK;
}

lp_status lp_table_scan_where(lp_table *t, const lp_scan_options *opts, const char *where,
                              struct ArrowArrayStream *out, lp_error *err) {
  if (where == NULL || where[0] == '\0') return lp_table_scan(t, opts, out, err);
  if (t == NULL || out == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_table_scan_where: table and out must not be NULL");
  lp_scan_options dflt;
  if (opts == NULL) {
    lp_scan_options_init(&dflt);
    opts = &dflt;
  }
  memset(out, 0, sizeof *out);
  wscan *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
  s->t = t;
  s->skip = opts->offset;
  s->remaining = opts->limit;
  s->batch_rows = opts->batch_rows ? opts->batch_rows : DEFAULT_BATCH_ROWS;
  lp_status rc = lp__search_compile_filter(t, where, &s->pb, err);
  if (rc == LP_OK && t->m->schema.n_fields == 0) s->inner_done = true;
  else if (rc == LP_OK) rc = filter_names(s, err);
  if (rc == LP_OK) rc = lp__project_with_row_id(t, opts, &s->fields, &s->n_fields, err);
  s->with_row_id = opts->with_row_id;
  if (rc == LP_OK) {
    s->proj_names = calloc(s->n_fields ? s->n_fields : 1, sizeof *s->proj_names);
    s->sel = malloc(s->batch_rows / 8 + 8);
    if (s->proj_names == NULL || s->sel == NULL) rc = lp_error_set(err, LP_ENOMEM, "filtered scan: out of memory");
  }
  for (size_t i = 0; rc == LP_OK && i < s->n_fields; i++) s->proj_names[i] = s->fields[i]->name;
  if (rc == LP_OK && !s->inner_done) {
    lp_scan_options so;
    lp_scan_options_init(&so);
    so.columns = s->filter_names;
    so.n_columns = s->n_filter_names;
    so.batch_rows = s->batch_rows;
    rc = lp_table_scan(t, &so, &s->inner, err);
  }
  if (s->remaining == 0) s->inner_done = true;
  if (rc != LP_OK) {
    wscan_free(s);
    return rc;
  }
  return lp__stream_wrap(&WSCAN_OPS, s, out, err);
}

static lp_status count_sel(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                           lp_error *err) {
  (void)first_pos;
  (void)sel;
  (void)n_rows;
  (void)err;
  *(uint64_t *)ctx += (uint64_t)n_sel;
  return LP_OK;
}

lp_status lp_table_count_where(lp_table *t, const char *where, uint64_t *out, lp_error *err) {
  if (t == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "lp_table_count_where: table and out must not be NULL");
  if (where == NULL || where[0] == '\0') return lp_table_count_rows(t, out, err);
  lp__pred_bound *pb = NULL;
  LP_TRY(lp__search_compile_filter(t, where, &pb, err));
  uint64_t n = 0;
  lp_status rc = lp__search_filter_pass(t, pb, count_sel, &n, err);
  lp__pred_bound_free(pb);
  if (rc == LP_OK) *out = n;
  return rc;
}
