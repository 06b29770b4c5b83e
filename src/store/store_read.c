/* Reading the store through one connection: exact search and get by id by scanning the table. */
#include <stdlib.h>
#include <string.h>

#include "query/predicate.h"
#include "table/table.h"
#include "store/store_index.h"
#include "store/store_int.h"

#define SCAN_BATCH_ROWS 8192

lp_status lp__store_check_schema(lp_table *t, uint32_t dim, lp_error *err) {
  const lp__schema *s = &t->m->schema;
  static const lp__type want[LP__N_COLS] = {LP__TYPE_UTF8, LP__TYPE_UTF8, LP__TYPE_UTF8, LP__TYPE_FIXED_SIZE_LIST,
                                            LP__TYPE_UTF8, LP__TYPE_TIMESTAMP};
  for (int k = 0; k < LP__N_COLS; k++) {
    const lp__field *f = NULL;
    for (size_t i = 0; i < s->n_fields; i++)
      if (strcmp(s->fields[i].name, lp__store_columns[k]) == 0) f = &s->fields[i];
    if (f == NULL)
      return lp_error_set(err, LP_EINVAL, "table %s: not a store table: no column '%s'", lp_table_name(t),
                          lp__store_columns[k]);
    if (f->type != want[k])
      return lp_error_set(err, LP_EINVAL, "table %s: column '%s' has type %s, not the store's", lp_table_name(t),
                          f->name, f->logical_type);
    if (k == LP__COL_VECTOR && (f->elem_type != LP__TYPE_FLOAT32 || (uint32_t)f->list_size != dim))
      return lp_error_set(err, LP_EINVAL, "table %s: vector column is %s, expected fixed_size_list:float:%u",
                          lp_table_name(t), f->logical_type, dim);
  }
  return LP_OK;
}

/* Search through the engine's exact search (lp_table_search; the session caches decoded vector blocks),
 * then convert the ranked rows with their `_distance`. */
lp_status lp__store_table_search(lp_table *t, const float *query, uint32_t dim, size_t k, const char *predicate,
                                 lp_metric metric, lp_store_rows *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  out->dim = dim;
  if (query == NULL) return lp_error_set(err, LP_EINVAL, "store search: query vector is NULL");
  if (k == 0) return LP_OK;
  if (k > (size_t)INT64_MAX) return lp_error_set(err, LP_EINVAL, "store search: k=%zu is too large", k);
  lp_search_options o;
  lp_search_options_init(&o);
  o.column = "vector";
  o.vector = query;
  o.dim = dim;
  o.metric = metric;
  o.k = (int64_t)k;
  o.where = predicate;
  o.columns = lp__store_columns;
  o.n_columns = LP__N_COLS;
  struct ArrowArray arr = {0};
  struct ArrowSchema sch = {0};
  LP_TRY(lp_table_search(t, &o, &arr, &sch, err));
  lp_status rc = LP_OK;
  float *dist = malloc(((size_t)arr.length + 1) * sizeof *dist);
  if (dist == NULL) rc = lp_error_set(err, LP_ENOMEM, "store search: out of memory");
  int64_t dc = -1;
  for (int64_t c = 0; c < sch.n_children; c++)
    if (strcmp(sch.children[c]->name, "_distance") == 0) dc = c;
  if (rc == LP_OK && (dc < 0 || strcmp(sch.children[dc]->format, "f") != 0))
    rc = lp_error_set(err, LP_EIO, "store search: the search result has no float32 _distance column");
  if (rc == LP_OK) {
    const struct ArrowArray *d = arr.children[dc];
    const float *dv = d->buffers[1];
    for (int64_t i = 0; i < arr.length; i++) dist[i] = dv[d->offset + arr.offset + i];
    rc = lp__store_rows_from_arrow(&arr, &sch, dim, dist, out, err);
  }
  free(dist);
  arr.release(&arr);
  sch.release(&sch);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}

lp_status lp__store_conn_search(lp_db *db, const char *table, const float *query, uint32_t dim, size_t k,
                                const char *predicate, lp_metric metric, lp_store_rows *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp_status rc = lp__store_check_schema(t, dim, err);
  if (rc == LP_OK) rc = lp__store_table_search(t, query, dim, k, predicate, metric, out, err);
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

lp_status lp__store_find_ids(lp_table *t, const char *const *ids, size_t n_ids, uint64_t *pos, lp_error *err) {
  static const char *const cols[] = {"id"};
  for (size_t i = 0; i < n_ids; i++) pos[i] = UINT64_MAX;
  if (n_ids == 0) return LP_OK;
  id_key *keys = malloc(n_ids * sizeof *keys);
  if (keys == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  for (size_t i = 0; i < n_ids; i++) keys[i] = (id_key){ids[i], strlen(ids[i]), i};
  qsort(keys, n_ids, sizeof *keys, cmp_key);
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
    for (int64_t r = 0; r < b.length; r++) {
      const char *p;
      size_t len;
      if (lp__arrow_str(b.children[0], s.children[0], b.offset + r, &p, &len))
        match_row(keys, n_ids, p, len, base + (uint64_t)r, pos);
    }
    base += (uint64_t)b.length;
    b.release(&b);
  }
  if (s.release) s.release(&s);
  if (st.release) st.release(&st);
  free(keys);
  return rc;
}

lp_status lp__store_conn_get(lp_db *db, const char *table, const char *const *ids, size_t n_ids, lp_store_rows *out,
                             lp_error *err) {
  memset(out, 0, sizeof *out);
  if (n_ids == 0) return LP_OK;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp_status rc = lp__store_table_get(t, NULL, ids, n_ids, out, err);
  lp_table_close(t);
  return rc;
}

lp_status lp__store_table_get(lp_table *t, lp__store_index *idx, const char *const *ids, size_t n_ids,
                              lp_store_rows *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (n_ids > 0 && ids == NULL) return lp_error_set(err, LP_EINVAL, "store get: ids is NULL");
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] == NULL) return lp_error_set(err, LP_EINVAL, "store get: id %zu is NULL", i);
  if (n_ids == 0) return LP_OK;
  uint32_t dim = 0;
  for (size_t i = 0; i < t->m->schema.n_fields; i++)
    if (strcmp(t->m->schema.fields[i].name, "vector") == 0) dim = (uint32_t)t->m->schema.fields[i].list_size;
  out->dim = dim;
  uint64_t *pos = malloc(n_ids * sizeof *pos);
  lp_status rc = pos == NULL ? lp_error_set(err, LP_ENOMEM, "store get: out of memory") : LP_OK;
  if (rc == LP_OK) rc = lp__store_check_schema(t, dim, err);
  bool indexed = false;
  if (rc == LP_OK && idx != NULL) rc = lp__store_index_lookup(idx, t, ids, n_ids, pos, &indexed, err);
  if (rc == LP_OK && !indexed) rc = lp__store_find_ids(t, ids, n_ids, pos, err);
  size_t n_found = 0;
  if (rc == LP_OK)
    for (size_t i = 0; i < n_ids; i++)
      if (pos[i] != UINT64_MAX) pos[n_found++] = pos[i];
  if (rc == LP_OK && n_found > 0) {
    struct ArrowArray arr = {0};
    struct ArrowSchema sch = {0};
    rc = lp_table_take(t, pos, n_found, lp__store_columns, LP__N_COLS, &arr, &sch, err);
    if (rc == LP_OK) {
      rc = lp__store_rows_from_arrow(&arr, &sch, dim, NULL, out, err);
      arr.release(&arr);
      sch.release(&sch);
    }
  }
  free(pos);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}
