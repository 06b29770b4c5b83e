/* Scans: an ArrowArrayStream over a table's live rows. Each batch lies inside one fragment; the deletion
 * vector splits the fragment into runs of live rows, a batch without deleted rows inside it is one
 * contiguous read (lp__datafile_read_range), otherwise its live rows are taken by number. Fragments that
 * lie wholly inside the offset are skipped from manifest counts, without opening any file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "table/stream.h"
#include "table/table.h"

#define DEFAULT_BATCH_ROWS 8192

typedef struct scan {
  lp_table *t;                  /* borrowed */
  const lp__field **fields;     /* projected top-level fields, then lp__rowid_field() when with_row_id */
  size_t n_fields;              /* the table fields among them */
  bool with_row_id;
  struct ArrowSchema *schemas;  /* Arrow schema of each projected field (for null columns) */
  uint64_t skip, remaining;     /* live rows still to skip / still to return */
  uint32_t batch_rows;
  size_t frag_idx;              /* fragment being read, or next to open */
  bool frag_open;
  lp__frag_reader fr;
  uint64_t row;                 /* next physical row of the open fragment */
  size_t del_idx;               /* first deleted row >= row */
  uint64_t *rowbuf;             /* batch_rows physical row numbers */
} scan;

/* The run of live rows starting at or after s->row: [*start, *end). Advances over deleted rows. */
static void live_run(scan *s, uint64_t *start, uint64_t *end) {
  const lp__deletion_vec *d = s->fr.deleted;
  uint64_t phys = s->fr.frag->physical_rows;
  while (d && s->del_idx < d->n_rows && d->rows[s->del_idx] == s->row) {
    s->row++;
    s->del_idx++;
  }
  *start = s->row < phys ? s->row : phys;
  *end = d && s->del_idx < d->n_rows ? d->rows[s->del_idx] : phys;
  if (*end < *start) *end = *start;
}

static void close_frag(scan *s) {
  if (s->frag_open) lp__frag_reader_close(&s->fr);
  s->frag_open = false;
  s->frag_idx++;
}

/* Open the next fragment that has rows left after the offset; false at the end of the table. */
static lp_status next_frag(scan *s, bool *found, lp_error *err) {
  const lp__manifest *m = s->t->m;
  *found = false;
  while (s->frag_idx < m->n_fragments) {
    const lp__fragment *f = &m->fragments[s->frag_idx];
    uint64_t live = f->physical_rows - f->num_deleted_rows;
    if (s->skip >= live) {
      s->skip -= live;
      s->frag_idx++;
      continue;
    }
    LP_TRY(lp__frag_reader_open(s->t, f, &s->fr, err));
    s->frag_open = true;
    s->row = 0;
    s->del_idx = 0;
    *found = true;
    return LP_OK;
  }
  return LP_OK;
}

/* Collect up to `want` live rows of the open fragment into s->rowbuf; *contiguous when they form one
 * physical range. */
static uint64_t collect_rows(scan *s, uint64_t want, bool *contiguous) {
  uint64_t n = 0, start, end;
  *contiguous = true;
  while (s->skip > 0) {
    live_run(s, &start, &end);
    if (start == end) break;
    uint64_t k = end - start < s->skip ? end - start : s->skip;
    s->row = start + k;
    s->skip -= k;
  }
  while (n < want) {
    live_run(s, &start, &end);
    if (start == end) break;
    if (n > 0 && start != s->rowbuf[n - 1] + 1) *contiguous = false;
    for (uint64_t r = start; r < end && n < want; r++) s->rowbuf[n++] = r;
    s->row = s->rowbuf[n - 1] + 1;
  }
  return n;
}

static lp_status read_batch(scan *s, uint64_t n, bool contiguous, struct ArrowArray *out, lp_error *err) {
  struct ArrowArray *cols = calloc(s->n_fields + 1, sizeof *cols);
  if (cols == NULL) return lp_error_set(err, LP_ENOMEM, "scan: out of memory");
  lp_status rc = LP_OK;
  for (size_t i = 0; i < s->n_fields && rc == LP_OK; i++)
    rc = lp__frag_read_field(s->t, &s->fr, s->fields[i], &s->schemas[i], s->rowbuf[0],
                             contiguous ? NULL : s->rowbuf, n, &cols[i], err);
  for (size_t i = 0; i < s->n_fields && rc == LP_OK; i++)
    if (cols[i].length != (int64_t)n)
      rc = lp_error_set(err, LP_ECORRUPT, "scan: column %s returned %" PRId64 " rows, expected %" PRIu64,
                        s->fields[i]->name, cols[i].length, n);
  if (rc == LP_OK && s->with_row_id) rc = lp__fragment_rowid_array(s->t, s->fr.frag, s->rowbuf, n, &cols[s->n_fields], err);
  size_t n_cols = s->n_fields + s->with_row_id;
  if (rc == LP_OK) rc = lp__arrow_struct_make(out, cols, n_cols, (int64_t)n, NULL, 0, err);
  else
    for (size_t i = 0; i < n_cols; i++) lp__arrow_release(&cols[i]);
  free(cols);
  return rc;
}

static lp_status scan_next(scan *s, struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  while (s->remaining > 0) {
    if (!s->frag_open) {
      bool found;
      LP_TRY(next_frag(s, &found, err));
      if (!found) break;
    }
    uint64_t want = s->remaining < s->batch_rows ? s->remaining : s->batch_rows;
    bool contiguous;
    uint64_t n = collect_rows(s, want, &contiguous);
    if (n == 0) {
      close_frag(s);
      continue;
    }
    lp_status rc = read_batch(s, n, contiguous, out, err);
    if (rc != LP_OK) {
      lp_error_wrap(err, "table %s: fragment %" PRIu64 ": ", s->t->name, s->fr.frag->id);
      return rc;
    }
    s->remaining -= n;
    return LP_OK;
  }
  out->release = NULL; /* end of stream */
  return LP_OK;
}

static lp_status scan_schema(scan *s, struct ArrowSchema *out, lp_error *err) {
  return lp__fields_to_arrow_struct(s->fields, s->n_fields + s->with_row_id, out, err);
}

static void scan_free(scan *s) {
  if (s->frag_open) lp__frag_reader_close(&s->fr);
  for (size_t i = 0; s->schemas && i < s->n_fields; i++)
    if (s->schemas[i].release) s->schemas[i].release(&s->schemas[i]);
  free(s->schemas);
  free(s->fields);
  free(s->rowbuf);
  free(s);
}

static lp_status ops_next(void *s, struct ArrowArray *out, lp_error *err) { return scan_next(s, out, err); }
static lp_status ops_schema(void *s, struct ArrowSchema *out, lp_error *err) { return scan_schema(s, out, err); }
static void ops_free(void *s) { scan_free(s); }
static const lp__stream_ops SCAN_OPS = {.next = ops_next, .schema = ops_schema, .free_state = ops_free};

void lp_scan_options_init(lp_scan_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->limit = UINT64_MAX;
}

lp_status lp_table_scan(lp_table *t, const lp_scan_options *opts, struct ArrowArrayStream *out, lp_error *err) {
  lp_scan_options dflt;
  if (opts == NULL) {
    lp_scan_options_init(&dflt);
    opts = &dflt;
  }
  if (t == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "lp_table_scan: table and out must not be NULL");
  memset(out, 0, sizeof *out);
  scan *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "scan: out of memory");
  s->t = t;
  s->skip = opts->offset;
  s->remaining = opts->limit;
  s->batch_rows = opts->batch_rows ? opts->batch_rows : DEFAULT_BATCH_ROWS;
  lp_status rc = lp__project_with_row_id(t, opts, &s->fields, &s->n_fields, err);
  s->with_row_id = opts->with_row_id;
  if (rc == LP_OK) {
    s->schemas = calloc(s->n_fields ? s->n_fields : 1, sizeof *s->schemas);
    s->rowbuf = malloc(s->batch_rows * sizeof *s->rowbuf);
    if (s->schemas == NULL || s->rowbuf == NULL) rc = lp_error_set(err, LP_ENOMEM, "scan: out of memory");
  }
  for (size_t i = 0; rc == LP_OK && i < s->n_fields; i++) rc = lp__field_to_arrow(s->fields[i], &s->schemas[i], err);
  if (rc != LP_OK) {
    scan_free(s);
    return rc;
  }
  return lp__stream_wrap(&SCAN_OPS, s, out, err);
}
