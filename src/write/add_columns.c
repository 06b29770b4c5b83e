/* New columns with SQL values (LanceDB's addColumns([{name, valueSql}])), as LanceDB 0.31.0 writes them:
 * every fragment gets one new data file holding only the new columns (all its physical rows, deleted ones
 * as NULLs, so offsets line up), with field ids after the largest id the table has used; the fragments
 * and the new schema go in one Merge transaction. Each value is the filter language's value expression
 * over the existing columns and keeps its own type (DataFusion's), nullable unless it cannot be NULL.
 * After a lost commit race everything is recomputed against the newest version. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/write_schema.h"
#include "query/predicate.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

#define READ_ROWS 65536 /* rows read and computed at a time */

typedef struct add_ctx {
  lp_db *db;
  const char *name, *dir;
  const char *const *names, *const *values;
  size_t n;
  const lp_write_options *o;
  lp__file_version version; /* of the new data files: the table's */
  lp__schema schema;        /* the last attempt's new schema */
  lp__written files;        /* data files of the last attempt */
} add_ctx;

/* The new columns bound to a version: their fields (ids set) and compiled values. */
typedef struct new_cols {
  lp__field *fields;
  lp__expr **val;
  size_t n;
} new_cols;

static void new_cols_free(new_cols *nc) {
  for (size_t i = 0; i < nc->n; i++) {
    lp__field_reset(&nc->fields[i]);
    lp__expr_free(nc->val[i]);
  }
  free(nc->fields);
  free(nc->val);
  memset(nc, 0, sizeof *nc);
}

/* The largest field id the version uses, in its schema or in any data file (ids of dropped columns are
 * not given again, as LanceDB does not). */
static int32_t max_field_id(const lp__manifest *m) {
  int32_t max = lp__wschema_max_id(&m->schema);
  for (size_t i = 0; i < m->n_fragments; i++)
    for (size_t k = 0; k < m->fragments[i].n_files; k++)
      for (size_t j = 0; j < m->fragments[i].files[k].n_fields; j++)
        if (m->fragments[i].files[k].fields[j] > max) max = m->fragments[i].files[k].fields[j];
  return max;
}

static lp_status check_name(const lp__schema *s, const new_cols *nc, const char *name, lp_error *err) {
  if (name[0] == '\0') return lp_error_set(err, LP_EINVAL, "a new column needs a name");
  if (strchr(name, '.')) return lp_error_set(err, LP_EINVAL, "column name \"%.100s\" contains '.'", name);
  bool taken = lp__schema_find(s, name) != NULL;
  for (size_t i = 0; i < nc->n; i++) taken |= strcmp(nc->fields[i].name, name) == 0;
  if (taken) return lp_error_set(err, LP_EINVAL, "there is a column \"%.100s\" already", name);
  return LP_OK;
}

static lp_status bind_new(const add_ctx *c, const lp__manifest *m, new_cols *nc, lp_error *err) {
  memset(nc, 0, sizeof *nc);
  nc->fields = calloc(c->n, sizeof *nc->fields);
  nc->val = calloc(c->n, sizeof *nc->val);
  if (nc->fields == NULL || nc->val == NULL) return lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  int32_t next_id = max_field_id(m) + 1;
  for (size_t i = 0; i < c->n; i++) {
    LP_TRY(check_name(&m->schema, nc, c->names[i], err));
    LP_TRY(lp__expr_compile_new(c->values[i], m->schema.fields, m->schema.n_fields, c->names[i], &nc->fields[i],
                                &nc->val[i], err));
    nc->fields[i].id = next_id++;
    nc->n = i + 1;
  }
  return LP_OK;
}

/* The new columns' values of rows[0..n) of the fragment (ascending offsets): fresh[i] for new column i. */
static lp_status compute(lp_table *t, lp__frag_reader *r, const new_cols *nc, const uint64_t *rows, size_t n,
                         struct ArrowArray *fresh, lp_error *err) {
  const lp__schema *s = &t->m->schema;
  struct ArrowArray *in = calloc(s->n_fields + 1, sizeof *in);
  const struct ArrowArray **inp = calloc(s->n_fields + 1, sizeof *inp);
  lp_status rc = in && inp ? LP_OK : lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  for (size_t i = 0; rc == LP_OK && n > 0 && i < nc->n; i++) {
    const size_t *used;
    size_t n_used;
    lp__expr_columns(nc->val[i], &used, &n_used);
    for (size_t k = 0; rc == LP_OK && k < n_used; k++) {
      size_t f = used[k];
      if (inp[f]) continue;
      struct ArrowSchema fs;
      rc = lp__field_to_arrow(&s->fields[f], &fs, err);
      if (rc != LP_OK) break;
      rc = lp__frag_read_field(t, r, &s->fields[f], &fs, rows[0], rows, n, &in[f], err);
      fs.release(&fs);
      if (rc == LP_OK) inp[f] = &in[f];
    }
  }
  size_t made = 0;
  for (; rc == LP_OK && made < nc->n; made++) {
    rc = lp__expr_eval(nc->val[made], inp, s->n_fields, (int64_t)n, &fresh[made], err);
    if (rc != LP_OK) break;
  }
  if (rc != LP_OK)
    for (size_t i = 0; i < made; i++) lp__arrow_release(&fresh[i]);
  for (size_t f = 0; inp && f < s->n_fields; f++)
    if (inp[f]) lp__arrow_release(&in[f]);
  free(inp);
  free(in);
  return rc;
}

/* The values of the live rows (live, for the rows of [start, start + n) that are not deleted) spread over
 * all n rows, NULL at the deleted ones (zero or empty in a non-nullable column, which the writer checks):
 * LanceDB does not compute deleted rows either, so a value that would fail there (a division by zero) is
 * no error. Nothing reads those rows. */
static lp_status spread(const struct ArrowArray *live, const lp__field *f, const lp__deletion_vec *d, uint64_t start,
                        uint64_t n, struct ArrowArray *out, lp_error *err) {
  struct ArrowSchema fs;
  LP_TRY(lp__field_to_arrow(f, &fs, err));
  struct ArrowArray *pieces = calloc(2 * n + 1, sizeof *pieces); /* at most one run per row */
  size_t k = 0, di = 0;
  int64_t at = 0; /* next live value */
  lp_status rc = pieces ? LP_OK : lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  while (d && di < d->n_rows && d->rows[di] < start) di++;
  for (uint64_t row = start; rc == LP_OK && row < start + n;) {
    bool gone = di < (d ? d->n_rows : 0) && d->rows[di] == row;
    uint64_t len = 0;
    while (row + len < start + n && gone == (di < d->n_rows && d->rows[di] == row + len)) {
      len++;
      if (gone) di++;
    }
    if (gone) {
      rc = lp__arrow_make_nulls(&pieces[k], &fs, (int64_t)len, err);
      if (rc == LP_OK && !f->nullable) { /* the writer takes no NULL here: zeros / empty strings instead */
        memset((void *)pieces[k].buffers[0], 0xff, (size_t)(len + 7) / 8);
        pieces[k].null_count = 0;
      }
    }
    else rc = lp__arrow_slice_copy(live, &fs, at, (int64_t)len, &pieces[k], err);
    if (rc == LP_OK) k++;
    if (!gone) at += (int64_t)len;
    row += len;
  }
  if (rc == LP_OK) rc = lp__arrow_concat(pieces, k, &fs, out, err);
  else
    for (size_t i = 0; i < k; i++) lp__arrow_release(&pieces[i]);
  free(pieces);
  fs.release(&fs);
  return rc;
}

/* Rows [start, start + n) of the fragment (deleted ones as NULLs) as one batch of the new columns. */
static lp_status new_batch(lp_table *t, lp__frag_reader *r, const new_cols *nc, uint64_t start, uint64_t n,
                           struct ArrowArray *out, lp_error *err) {
  const lp__deletion_vec *d = r->deleted;
  uint64_t *rows = malloc((n + 1) * sizeof *rows);
  struct ArrowArray *fresh = calloc(nc->n + 1, sizeof *fresh), *full = calloc(nc->n + 1, sizeof *full);
  if (rows == NULL || fresh == NULL || full == NULL) {
    free(rows);
    free(fresh);
    free(full);
    return lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  }
  size_t n_live = 0, di = 0;
  while (d && di < d->n_rows && d->rows[di] < start) di++;
  for (uint64_t row = start; row < start + n; row++) {
    while (d && di < d->n_rows && d->rows[di] < row) di++;
    if (!(d && di < d->n_rows && d->rows[di] == row)) rows[n_live++] = row;
  }
  lp_status rc = compute(t, r, nc, rows, n_live, fresh, err);
  bool computed = rc == LP_OK;
  size_t made = 0;
  for (; rc == LP_OK && made < nc->n; made++) {
    if (n_live == n) lp__arrow_move(&fresh[made], &full[made]);
    else rc = spread(&fresh[made], &nc->fields[made], d, start, n, &full[made], err);
    if (rc != LP_OK) break;
  }
  if (rc == LP_OK) rc = lp__arrow_struct_make(out, full, nc->n, (int64_t)n, NULL, 0, err); /* takes the columns */
  else
    for (size_t i = 0; i < made; i++) lp__arrow_release(&full[i]);
  for (size_t i = 0; computed && i < nc->n; i++) lp__arrow_release(&fresh[i]);
  free(rows);
  free(fresh);
  free(full);
  return rc;
}

/* Fragment i's new data file (appended to c->files): the new columns of all its physical rows. */
static lp_status write_fragment_file(add_ctx *c, lp_table *t, size_t i, const new_cols *nc, const lp__schema *sub,
                                     lp_error *err) {
  const lp__fragment *f = &t->m->fragments[i];
  if (f->physical_rows == 0) return lp_error_set(err, LP_EUNSUPPORTED, "fragment %" PRIu64 " has no rows", f->id);
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, f, &r, err));
  size_t n_batches = 0;
  struct ArrowArray *batches = NULL;
  lp_status rc = LP_OK;
  for (uint64_t start = 0; rc == LP_OK && start < f->physical_rows; start += READ_ROWS) {
    uint64_t n = f->physical_rows - start < READ_ROWS ? f->physical_rows - start : READ_ROWS;
    struct ArrowArray *nb = realloc(batches, (n_batches + 1) * sizeof *nb);
    if (nb == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
      break;
    }
    batches = nb;
    rc = new_batch(t, &r, nc, start, n, &batches[n_batches], err);
    if (rc == LP_OK) n_batches++;
  }
  lp__frag_reader_close(&r);
  lp_write_options one_file = *c->o;
  one_file.max_rows_per_file = UINT32_MAX; /* the fragment's rows in one file, whatever its size */
  size_t before = c->files.n;
  if (rc == LP_OK) rc = lp__write_batches(c->dir, sub, &one_file, c->version, batches, n_batches, &c->files, err);
  if (rc == LP_OK && (c->files.n != before + 1 || c->files.files[before].n_rows != f->physical_rows))
    rc = lp_error_set(err, LP_EIO, "fragment %" PRIu64 ": the new data file has the wrong rows", f->id);
  lp__batches_free(batches, n_batches);
  return rc;
}

/* Base fragment i with the new data file appended to its files (a shallow copy in the plan's arena). */
static Lance__Table__DataFragment *with_file(lp__plan *plan, const Lance__Table__DataFragment *old,
                                             const lp__dfw_result *file) {
  Lance__Table__DataFragment *one = lp__fragment_new(plan->arena, old->id, file);
  Lance__Table__DataFragment *fr = lp__arena_alloc(plan->arena, sizeof *fr);
  Lance__Table__DataFile **files = lp__arena_alloc(plan->arena, (old->n_files + 1) * sizeof *files);
  if (one == NULL || fr == NULL || files == NULL) return NULL;
  *fr = *old; /* row id sequences, deletion file and unknown fields are shared with the base */
  memcpy(files, old->files, old->n_files * sizeof *files);
  files[old->n_files] = one->files[0];
  fr->files = files;
  fr->n_files = old->n_files + 1;
  return fr;
}

static lp_status plan_merge(add_ctx *c, const lp__base *base, lp__plan *plan, lp_error *err) {
  Lance__Table__Transaction__Merge *op = lp__arena_msg(plan->arena, &lance__table__transaction__merge__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  lp__ptrvec list = {0};
  for (size_t i = 0; i < base->m->n_fragments; i++) {
    Lance__Table__DataFragment *fr = with_file(plan, base->pb->fragments[i], &c->files.files[i]);
    if (fr == NULL) return lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
    lp__ptrvec_push(plan->arena, &plan->fragments, fr);
    lp__ptrvec_push(plan->arena, &list, fr);
    char path[4400];
    snprintf(path, sizeof path, "%s/data/%s", c->dir, c->files.files[i].name);
    LP_TRY(lp__plan_sync(plan, path, err));
  }
  op->fragments = (Lance__Table__DataFragment **)list.v;
  op->n_fragments = list.n;
  LP_TRY(lp__wschema_to_pb(&c->schema, plan->arena, &op->schema, &op->n_schema, err));
  lp__plan_schema_change(plan, base, &c->schema);
  plan->op = LP__OP_MERGE;
  plan->op_msg = &op->base;
  return lp__plan_status(plan, "add columns", err);
}

/* The base schema with the new fields after its own. */
static lp_status extend_schema(const lp__schema *s, const new_cols *nc, lp__schema *out, lp_error *err) {
  LP_TRY(lp__wschema_copy(s, out, err));
  lp__field *more = realloc(out->fields, (out->n_fields + nc->n) * sizeof *more);
  if (more == NULL) return lp_error_set(err, LP_ENOMEM, "add columns: out of memory");
  out->fields = more;
  for (size_t i = 0; i < nc->n; i++) {
    more[out->n_fields] = nc->fields[i]; /* moved: the list keeps no copy */
    memset(&nc->fields[i], 0, sizeof nc->fields[i]);
    out->n_fields++;
  }
  return LP_OK;
}

static void forget_attempt(add_ctx *c, bool unlink_them) {
  if (unlink_them) lp__written_unlink(c->dir, &c->files);
  lp__written_reset(&c->files);
}

static lp_status prepare_add(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  add_ctx *c = vctx;
  forget_attempt(c, true); /* files of a lost attempt are not referenced by anything */
  lp__wschema_reset(&c->schema);
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__check_file_version(base, c->version, err));
  lp_table *t = NULL;
  LP_TRY(lp_table_open(c->db, c->name, base->version, &t, err));
  new_cols nc;
  lp_status rc = bind_new(c, t->m, &nc, err);
  /* the data files hold the new fields only: a schema that borrows them */
  lp__schema sub = {nc.fields, nc.n, NULL, 0};
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) rc = write_fragment_file(c, t, i, &nc, &sub, err);
  if (rc == LP_OK && t->m->n_fragments != base->m->n_fragments)
    rc = lp_error_set(err, LP_ECONFLICT, "the table's fragments changed while adding columns");
  if (rc == LP_OK) rc = extend_schema(&t->m->schema, &nc, &c->schema, err);
  if (rc == LP_OK) rc = plan_merge(c, base, plan, err);
  new_cols_free(&nc);
  lp_table_close(t);
  return rc;
}

static lp_status check_args(lp_db *db, const char *const *names, const char *const *values, size_t n,
                            uint64_t *out_version, lp_error *err) {
  if (db == NULL || out_version == NULL || n == 0 || names == NULL || values == NULL)
    return lp_error_set(err, LP_EINVAL, "add columns: a database, at least one column and out_version are needed");
  for (size_t i = 0; i < n; i++)
    if (names[i] == NULL || values[i] == NULL) return lp_error_set(err, LP_EINVAL, "add columns: item %zu is NULL", i);
  return LP_OK;
}

lp_status lp__add_columns(lp_db *db, const char *name, const char *const *names, const char *const *values, size_t n,
                          const lp_write_options *opts, uint64_t *out_version, lp_error *err) {
  if (out_version) *out_version = 0;
  LP_TRY(check_args(db, names, values, n, out_version, err));
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  add_ctx c;
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
    c.names = names;
    c.values = values;
    c.n = n;
    c.o = &o;
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_add, &c, out_version, err);
    forget_attempt(&c, rc != LP_OK);
  }
  if (rc != LP_OK) lp_error_wrap(err, "add columns to %s: ", name ? name : "");
  lp__wschema_reset(&c.schema);
  lp__base_reset(&base);
  lp__table_dir_free(dir);
  return rc;
}
