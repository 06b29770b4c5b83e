/* Reading the store through one connection: vector, text and hybrid search, get by id (through the id
 * index or by scanning the id column) and the distinct paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/predicate.h"
#include "table/table.h"
#include "store/store_index.h"
#include "store/store_int.h"

#define SCAN_BATCH_ROWS 8192

void lp_store_query_init(lp_store_query *q) {
  memset(q, 0, sizeof *q);
  q->mode = LP_STORE_SEARCH_VECTOR;
  q->metric = LP_METRIC_L2;
  q->k = 10;
  q->alpha = NAN;
}

/* The projection: the caller's columns (each a column rows can hold) or every readable column. */
static lp_status projection(const lp__store_layout *lay, const char *const *columns, size_t n_columns,
                            const char *const **out, size_t *out_n, lp_error *err) {
  if (columns == NULL) {
    *out = lay->readable;
    *out_n = lay->n_readable;
    return LP_OK;
  }
  for (size_t i = 0; i < n_columns; i++) {
    bool known = false;
    for (size_t j = 0; columns[i] != NULL && j < lay->n_readable; j++) known = known || strcmp(columns[i], lay->readable[j]) == 0;
    if (!known)
      return lp_error_set(err, LP_EINVAL, "store: column '%s' is not a column of the table that rows can hold",
                          columns[i] ? columns[i] : "(NULL)");
  }
  *out = columns;
  *out_n = n_columns;
  return LP_OK;
}

static lp_status check_query(const lp__store_layout *lay, const lp_store_query *q, lp_error *err) {
  bool wants_vector = q->mode == LP_STORE_SEARCH_VECTOR || q->mode == LP_STORE_SEARCH_HYBRID;
  bool wants_text = q->mode == LP_STORE_SEARCH_TEXT || q->mode == LP_STORE_SEARCH_HYBRID;
  if ((unsigned)q->mode > (unsigned)LP_STORE_SEARCH_HYBRID) return lp_error_set(err, LP_EINVAL, "store search: unknown mode %d", (int)q->mode);
  if (wants_vector && q->vector == NULL) return lp_error_set(err, LP_EINVAL, "store search: query vector is NULL");
  if (wants_vector && q->dim != lay->dim)
    return lp_error_set(err, LP_EINVAL, "store search: query has dimension %u, the store's is %u", q->dim, lay->dim);
  if (wants_text && (q->text == NULL || q->text[0] == '\0'))
    return lp_error_set(err, LP_EINVAL, "store search: a text or hybrid search needs keywords");
  if (wants_text && lay->role[LP__COL_TEXT] == NULL)
    return lp_error_set(err, LP_EINVAL, "store search: the table has no text column for a text or hybrid search");
  if (q->k > (size_t)INT64_MAX) return lp_error_set(err, LP_EINVAL, "store search: k=%zu is too large", q->k);
  return LP_OK;
}

/* Run the engine's search of q's mode into arr/sch. */
static lp_status run_engine(lp_table *t, const lp__store_layout *lay, const lp_store_query *q,
                            const char *const *cols, size_t n_cols, struct ArrowArray *arr, struct ArrowSchema *sch,
                            lp_error *err) {
  lp_search_options v;
  lp_search_options_init(&v);
  v.column = lay->role[LP__COL_VECTOR];
  v.vector = q->vector;
  v.dim = q->dim;
  v.metric = q->metric;
  lp_text_search_options x;
  lp_text_search_options_init(&x);
  x.query = q->text;
  x.column = lay->role[LP__COL_TEXT];
  if (q->mode == LP_STORE_SEARCH_HYBRID) {
    lp_hybrid_search_options h;
    lp_hybrid_search_options_init(&h);
    h.vector = v;
    h.text = x;
    h.k = (int64_t)q->k;
    h.where = q->where;
    h.columns = cols;
    h.n_columns = n_cols;
    h.alpha = q->alpha;
    return lp_table_hybrid_search(t, &h, arr, sch, err);
  }
  if (q->mode == LP_STORE_SEARCH_TEXT) {
    x.k = (int64_t)q->k;
    x.where = q->where;
    x.columns = cols;
    x.n_columns = n_cols;
    return lp_table_text_search(t, &x, arr, sch, err);
  }
  v.k = (int64_t)q->k;
  v.where = q->where;
  v.columns = cols;
  v.n_columns = n_cols;
  return lp_table_search(t, &v, arr, sch, err);
}

lp_status lp__store_table_query(lp_table *t, const lp__store_layout *lay, const lp_store_query *q, lp_store_rows *out,
                                lp_error *err) {
  memset(out, 0, sizeof *out);
  out->dim = lay->dim;
  if (q == NULL) return lp_error_set(err, LP_EINVAL, "store search: query is NULL");
  LP_TRY(check_query(lay, q, err));
  if (q->k == 0) return LP_OK;
  const char *const *cols = NULL;
  size_t n_cols = 0;
  LP_TRY(projection(lay, q->columns, q->n_columns, &cols, &n_cols, err));
  struct ArrowArray arr = {0};
  struct ArrowSchema sch = {0};
  LP_TRY(run_engine(t, lay, q, cols, n_cols, &arr, &sch, err));
  lp_status rc = lp__store_rows_from_arrow(&arr, &sch, lay, out, err);
  arr.release(&arr);
  sch.release(&sch);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}

void lp__store_vector_query(lp_store_query *q, const float *query, uint32_t dim, size_t k, const char *predicate,
                            lp_metric metric) {
  lp_store_query_init(q);
  q->vector = query;
  q->dim = dim;
  q->k = k;
  q->where = predicate;
  q->metric = metric;
}

lp_status lp__store_conn_search(lp_db *db, const char *table, const float *query, uint32_t dim, size_t k,
                                const char *predicate, lp_metric metric, lp_store_rows *out, lp_error *err) {
  lp_store_query q;
  lp__store_vector_query(&q, query, dim, k, predicate, metric);
  return lp__store_conn_query(db, table, NULL, &q, out, err);
}

lp_status lp__store_conn_query(lp_db *db, const char *table, const lp_store_columns *cols, const lp_store_query *q,
                               lp_store_rows *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp__store_layout *lay = NULL;
  lp_status rc = lp__store_layout_resolve(t, q ? q->dim : 0, cols, &lay, err);
  if (rc == LP_OK) rc = lp__store_table_query(t, lay, q, out, err);
  lp__store_layout_free(lay);
  lp_table_close(t);
  return rc;
}

/* One asked id, for a sorted lookup. */
typedef struct id_key {
  const char *s;
  size_t len;
  size_t i; /* its index in the caller's list */
} id_key;

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  return c != 0 ? c : (alen > blen) - (alen < blen);
}

static int cmp_key(const void *a, const void *b) {
  const id_key *x = a, *y = b;
  return cmp_bytes(x->s, x->len, y->s, y->len);
}

/* Set pos[k.i] = position for every asked id equal to the row's id (ids may repeat), first row wins. */
static void match_row(const id_key *keys, size_t n, const char *p, size_t len, uint64_t position, uint64_t *pos) {
  size_t lo = 0, hi = n;
  while (lo < hi) { /* the first key not below the row's id */
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_bytes(keys[mid].s, keys[mid].len, p, len) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < n && cmp_bytes(keys[lo].s, keys[lo].len, p, len) == 0; lo++)
    if (pos[keys[lo].i] == UINT64_MAX) pos[keys[lo].i] = position;
}

/* Called with each batch of a one-column scan and the number of rows before it. */
typedef lp_status (*batch_fn)(void *ctx, const struct ArrowArray *b, const struct ArrowSchema *s, uint64_t base,
                              lp_error *err);

/* Scan the live rows' column `column` of t in batches, in row order. */
static lp_status scan_column(lp_table *t, const char *column, batch_fn fn, void *ctx, lp_error *err) {
  const char *const cols[] = {column};
  lp_scan_options opts;
  lp_scan_options_init(&opts);
  opts.columns = cols;
  opts.n_columns = 1;
  opts.batch_rows = SCAN_BATCH_ROWS;
  struct ArrowArrayStream st = {0};
  struct ArrowSchema s = {0};
  lp_status rc = lp_table_scan(t, &opts, &st, err);
  if (rc == LP_OK && st.get_schema(&st, &s) != 0) rc = lp_error_set(err, LP_EIO, "store: %s", st.get_last_error(&st));
  uint64_t base = 0;
  while (rc == LP_OK) {
    struct ArrowArray b = {0};
    if (st.get_next(&st, &b) != 0) {
      rc = lp_error_set(err, LP_EIO, "store: %s", st.get_last_error(&st));
      break;
    }
    if (b.release == NULL) break;
    rc = fn(ctx, &b, &s, base, err);
    base += (uint64_t)b.length;
    b.release(&b);
  }
  if (s.release) s.release(&s);
  if (st.release) st.release(&st);
  return rc;
}

typedef struct find_ctx {
  const id_key *keys;
  size_t n;
  uint64_t *pos;
} find_ctx;

static lp_status match_batch(void *ctx, const struct ArrowArray *b, const struct ArrowSchema *s, uint64_t base,
                             lp_error *err) {
  (void)err;
  const find_ctx *f = ctx;
  for (int64_t r = 0; r < b->length; r++) {
    const char *p;
    size_t len;
    if (lp__arrow_str(b->children[0], s->children[0], b->offset + r, &p, &len))
      match_row(f->keys, f->n, p, len, base + (uint64_t)r, f->pos);
  }
  return LP_OK;
}

lp_status lp__store_find_ids(lp_table *t, const char *id_column, const char *const *ids, size_t n_ids, uint64_t *pos,
                             lp_error *err) {
  for (size_t i = 0; i < n_ids; i++) pos[i] = UINT64_MAX;
  if (n_ids == 0) return LP_OK;
  id_key *keys = malloc(n_ids * sizeof *keys);
  if (keys == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  for (size_t i = 0; i < n_ids; i++) keys[i] = (id_key){ids[i], strlen(ids[i]), i};
  qsort(keys, n_ids, sizeof *keys, cmp_key);
  find_ctx f = {keys, n_ids, pos};
  lp_status rc = scan_column(t, id_column, match_batch, &f, err);
  free(keys);
  return rc;
}

lp_status lp__store_conn_get(lp_db *db, const char *table, const char *const *ids, size_t n_ids, lp_store_rows *out,
                             lp_error *err) {
  memset(out, 0, sizeof *out);
  if (n_ids == 0) return LP_OK;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp__store_layout *lay = NULL;
  lp_status rc = lp__store_layout_resolve(t, 0, NULL, &lay, err);
  if (rc == LP_OK) rc = lp__store_table_get(t, lay, NULL, ids, n_ids, NULL, 0, out, err);
  lp__store_layout_free(lay);
  lp_table_close(t);
  return rc;
}

lp_status lp__store_table_get(lp_table *t, const lp__store_layout *lay, lp__store_index *idx, const char *const *ids,
                              size_t n_ids, const char *const *columns, size_t n_columns, lp_store_rows *out,
                              lp_error *err) {
  memset(out, 0, sizeof *out);
  out->dim = lay->dim;
  if (n_ids > 0 && ids == NULL) return lp_error_set(err, LP_EINVAL, "store get: ids is NULL");
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] == NULL) return lp_error_set(err, LP_EINVAL, "store get: id %zu is NULL", i);
  const char *const *cols = NULL;
  size_t n_cols = 0;
  LP_TRY(projection(lay, columns, n_columns, &cols, &n_cols, err));
  if (n_ids == 0) return LP_OK;
  uint64_t *pos = malloc(n_ids * sizeof *pos);
  lp_status rc = pos == NULL ? lp_error_set(err, LP_ENOMEM, "store get: out of memory") : LP_OK;
  bool indexed = false;
  if (rc == LP_OK && idx != NULL) rc = lp__store_index_lookup(idx, t, ids, n_ids, pos, &indexed, err);
  if (rc == LP_OK && !indexed) rc = lp__store_find_ids(t, lay->role[LP__COL_ID], ids, n_ids, pos, err);
  size_t n_found = 0;
  if (rc == LP_OK)
    for (size_t i = 0; i < n_ids; i++)
      if (pos[i] != UINT64_MAX) pos[n_found++] = pos[i];
  if (rc == LP_OK && n_found > 0) {
    struct ArrowArray arr = {0};
    struct ArrowSchema sch = {0};
    rc = lp_table_take(t, pos, n_found, cols, n_cols, &arr, &sch, err);
    if (rc == LP_OK) {
      rc = lp__store_rows_from_arrow(&arr, &sch, lay, out, err);
      arr.release(&arr);
      sch.release(&sch);
    }
  }
  free(pos);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sort and drop repeats in place; returns the new count. */
static size_t sort_unique(char **v, size_t n) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, cmp_cstr);
  size_t k = 1;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(v[i], v[k - 1]) == 0) free(v[i]);
    else v[k++] = v[i];
  }
  return k;
}

/* The paths collected so far: kept unique as they grow. */
typedef struct path_set {
  char **v;
  size_t n, cap;
} path_set;

/* Add the batch's non-null strings of column 0 to the set. */
static lp_status collect_paths(void *ctx, const struct ArrowArray *b, const struct ArrowSchema *s, uint64_t base,
                               lp_error *err) {
  (void)base;
  path_set *ps = ctx;
  for (int64_t r = 0; r < b->length; r++) {
    const char *p;
    size_t len;
    if (!lp__arrow_str(b->children[0], s->children[0], b->offset + r, &p, &len)) continue;
    if (ps->n == ps->cap) {
      ps->n = sort_unique(ps->v, ps->n); /* many rows share a path: dedupe before growing */
      if (ps->cap == 0 || ps->n * 2 > ps->cap) {
        size_t c = ps->cap ? ps->cap * 2 : 64;
        char **g = realloc(ps->v, c * sizeof *g);
        if (g == NULL) return lp_error_set(err, LP_ENOMEM, "store paths: out of memory");
        ps->v = g;
        ps->cap = c;
      }
    }
    char *copy = strndup(p, len);
    if (copy == NULL) return lp_error_set(err, LP_ENOMEM, "store paths: out of memory");
    ps->v[ps->n++] = copy;
  }
  return LP_OK;
}

void lp_store_paths_free(char **paths, size_t n) {
  for (size_t i = 0; paths != NULL && i < n; i++) free(paths[i]);
  free(paths);
}

lp_status lp__store_table_paths(lp_table *t, const lp__store_layout *lay, char ***out_paths, size_t *out_n,
                                lp_error *err) {
  *out_paths = NULL;
  *out_n = 0;
  if (lay->role[LP__COL_PATH] == NULL) return lp_error_set(err, LP_EINVAL, "store paths: the table has no path column");
  path_set ps = {0};
  lp_status rc = scan_column(t, lay->role[LP__COL_PATH], collect_paths, &ps, err);
  if (rc != LP_OK) {
    lp_store_paths_free(ps.v, ps.n);
    return rc;
  }
  *out_n = sort_unique(ps.v, ps.n);
  *out_paths = ps.v;
  return LP_OK;
}
