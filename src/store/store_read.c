/* Reading the store through one connection: exact search and get by id by scanning the table. */
#include <stdlib.h>
#include <string.h>

#include "lance/predicate.h"
#include "lance/table.h"
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

/* ---- top-k: a max-heap on (distance, id) keeping the k nearest ---------------------------------------- */
typedef struct {
  float dist;
  uint64_t pos; /* live row position */
  char *id;     /* owned */
} hit;

typedef struct {
  hit *h;
  size_t n, k;
} topk;

static bool worse(const hit *a, const hit *b) { /* a ranks after b */
  if (a->dist != b->dist) return a->dist > b->dist;
  return strcmp(a->id, b->id) > 0;
}

static void sift_down(topk *t, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < t->n && worse(&t->h[l], &t->h[m])) m = l;
    if (r < t->n && worse(&t->h[r], &t->h[m])) m = r;
    if (m == i) return;
    hit tmp = t->h[i];
    t->h[i] = t->h[m];
    t->h[m] = tmp;
    i = m;
  }
}

static bool topk_push(topk *t, float dist, uint64_t pos, const char *id, size_t id_len) {
  if (t->n == t->k) {
    if (dist > t->h[0].dist) return true;
    hit probe = {dist, pos, NULL};
    char buf[256];
    if (dist == t->h[0].dist) { /* ties are rare: compare ids */
      size_t l = id_len < sizeof buf - 1 ? id_len : sizeof buf - 1;
      memcpy(buf, id, l);
      buf[l] = '\0';
      probe.id = buf;
      if (!worse(&t->h[0], &probe)) return true;
    }
    free(t->h[0].id);
    t->h[0] = t->h[--t->n];
    sift_down(t, 0);
  }
  char *copy = strndup(id, id_len);
  if (copy == NULL) return false;
  size_t i = t->n++;
  t->h[i] = (hit){dist, pos, copy};
  while (i > 0 && worse(&t->h[i], &t->h[(i - 1) / 2])) {
    hit tmp = t->h[i];
    t->h[i] = t->h[(i - 1) / 2];
    t->h[(i - 1) / 2] = tmp;
    i = (i - 1) / 2;
  }
  return true;
}

static int cmp_hit(const void *a, const void *b) {
  const hit *x = a, *y = b;
  return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

/* Index of the column called name among schema's children, or -1. */
static int64_t col_index(const struct ArrowSchema *s, const char *name) {
  for (int64_t i = 0; i < s->n_children; i++)
    if (strcmp(s->children[i]->name, name) == 0) return i;
  return -1;
}

/* Score one batch: every selected row with a vector goes through the heap. */
static lp_status score_batch(const struct ArrowArray *b, const struct ArrowSchema *s, const lp__pred_bound *pred,
                             const float *q, uint32_t dim, lp_metric metric, uint64_t first_pos, topk *tk,
                             lp_error *err) {
  int64_t ci = col_index(s, "id"), cv = col_index(s, "vector");
  uint8_t *sel = NULL;
  if (pred != NULL) {
    sel = malloc((size_t)(b->length + 7) / 8 + 1);
    if (sel == NULL) return lp_error_set(err, LP_ENOMEM, "store search: out of memory");
    lp_status rc = lp__pred_eval(pred, b, sel, NULL, err);
    if (rc != LP_OK) {
      free(sel);
      return rc;
    }
  }
  const struct ArrowArray *ids = b->children[ci], *vec = b->children[cv];
  const float *vals = vec->children[0]->buffers[1];
  for (int64_t i = 0; i < b->length; i++) {
    if (sel != NULL && !((sel[i >> 3] >> (i & 7)) & 1)) continue;
    int64_t vi = vec->offset + b->offset + i;
    if (vec->null_count > 0 && vec->buffers[0] && !((((const uint8_t *)vec->buffers[0])[vi >> 3] >> (vi & 7)) & 1))
      continue;
    const char *id;
    size_t id_len;
    if (!lp__arrow_str(ids, s->children[ci], b->offset + i, &id, &id_len)) continue;
    float d = lp__store_distance(metric, q, vals + vec->children[0]->offset + vi * (int64_t)dim, dim);
    if (!topk_push(tk, d, first_pos + (uint64_t)i, id, id_len)) {
      free(sel);
      return lp_error_set(err, LP_ENOMEM, "store search: out of memory");
    }
  }
  free(sel);
  return LP_OK;
}

/* Scan t (all columns when a predicate needs them, else id + vector) into the heap. */
static lp_status scan_into(lp_table *t, const float *q, uint32_t dim, const char *predicate, lp_metric metric,
                           topk *tk, lp_error *err) {
  lp__pred_bound *pred = NULL;
  lp_status rc = LP_OK;
  if (predicate != NULL)
    LP_TRY(lp__pred_compile(predicate, t->m->schema.fields, t->m->schema.n_fields, &pred, err));
  static const char *const cols[] = {"id", "vector"};
  lp_scan_options opts;
  lp_scan_options_init(&opts);
  opts.batch_rows = SCAN_BATCH_ROWS;
  if (pred == NULL) {
    opts.columns = cols;
    opts.n_columns = 2;
  }
  struct ArrowArrayStream st = {0};
  rc = lp_table_scan(t, &opts, &st, err);
  if (rc != LP_OK) goto done;
  struct ArrowSchema s = {0};
  if (st.get_schema(&st, &s) != 0) {
    rc = lp_error_set(err, LP_EIO, "store search: %s", st.get_last_error(&st));
    goto done_stream;
  }
  uint64_t pos = 0;
  for (;;) {
    struct ArrowArray b = {0};
    if (st.get_next(&st, &b) != 0) {
      rc = lp_error_set(err, LP_EIO, "store search: %s", st.get_last_error(&st));
      break;
    }
    if (b.release == NULL) break;
    rc = score_batch(&b, &s, pred, q, dim, metric, pos, tk, err);
    pos += (uint64_t)b.length;
    b.release(&b);
    if (rc != LP_OK) break;
  }
  s.release(&s);
done_stream:
  st.release(&st);
done:
  lp__pred_bound_free(pred);
  return rc;
}

/* Read the rows at the heap's positions (all columns) into out, in rank order. */
static lp_status fetch_hits(lp_table *t, hit *h, size_t n, uint32_t dim, lp_store_rows *out, lp_error *err) {
  if (n == 0) return LP_OK;
  uint64_t *pos = malloc(n * sizeof *pos);
  float *dist = malloc(n * sizeof *dist);
  if (pos == NULL || dist == NULL) {
    free(pos);
    free(dist);
    return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    pos[i] = h[i].pos;
    dist[i] = h[i].dist;
  }
  struct ArrowArray arr = {0};
  struct ArrowSchema sch = {0};
  lp_status rc = lp_table_take(t, pos, n, lp__store_columns, LP__N_COLS, &arr, &sch, err);
  if (rc == LP_OK) {
    rc = lp__store_rows_from_arrow(&arr, &sch, dim, dist, out, err);
    arr.release(&arr);
    sch.release(&sch);
  }
  free(pos);
  free(dist);
  return rc;
}

lp_status lp__store_conn_search(lp_db *db, const char *table, const float *query, uint32_t dim, size_t k,
                                const char *predicate, lp_metric metric, lp_store_rows *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  out->dim = dim;
  if (query == NULL) return lp_error_set(err, LP_EINVAL, "store search: query vector is NULL");
  if (k == 0) return LP_OK;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp_status rc = lp__store_check_schema(t, dim, err);
  topk tk = {calloc(k, sizeof(hit)), 0, k};
  if (rc == LP_OK && tk.h == NULL) rc = lp_error_set(err, LP_ENOMEM, "store search: out of memory for k=%zu", k);
  if (rc == LP_OK) rc = scan_into(t, query, dim, predicate, metric, &tk, err);
  if (rc == LP_OK) {
    qsort(tk.h, tk.n, sizeof(hit), cmp_hit);
    rc = fetch_hits(t, tk.h, tk.n, dim, out, err);
  }
  for (size_t i = 0; i < tk.n; i++) free(tk.h[i].id);
  free(tk.h);
  lp_table_close(t);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}

/* Find the live positions of the ids by scanning the id column. pos[i] = UINT64_MAX when absent. */
static lp_status find_ids(lp_table *t, const char *const *ids, size_t n_ids, uint64_t *pos, lp_error *err) {
  static const char *const cols[] = {"id"};
  for (size_t i = 0; i < n_ids; i++) pos[i] = UINT64_MAX;
  lp_scan_options opts;
  lp_scan_options_init(&opts);
  opts.columns = cols;
  opts.n_columns = 1;
  opts.batch_rows = SCAN_BATCH_ROWS;
  struct ArrowArrayStream st = {0};
  LP_TRY(lp_table_scan(t, &opts, &st, err));
  struct ArrowSchema s = {0};
  lp_status rc = LP_OK;
  if (st.get_schema(&st, &s) != 0) {
    rc = lp_error_set(err, LP_EIO, "store get: %s", st.get_last_error(&st));
    st.release(&st);
    return rc;
  }
  uint64_t base = 0;
  for (;;) {
    struct ArrowArray b = {0};
    if (st.get_next(&st, &b) != 0) {
      rc = lp_error_set(err, LP_EIO, "store get: %s", st.get_last_error(&st));
      break;
    }
    if (b.release == NULL) break;
    for (int64_t r = 0; r < b.length; r++) {
      const char *p;
      size_t len;
      if (!lp__arrow_str(b.children[0], s.children[0], b.offset + r, &p, &len)) continue;
      for (size_t i = 0; i < n_ids; i++)
        if (pos[i] == UINT64_MAX && strlen(ids[i]) == len && memcmp(ids[i], p, len) == 0) pos[i] = base + (uint64_t)r;
    }
    base += (uint64_t)b.length;
    b.release(&b);
  }
  s.release(&s);
  st.release(&st);
  return rc;
}

lp_status lp__store_conn_get(lp_db *db, const char *table, const char *const *ids, size_t n_ids, lp_store_rows *out,
                             lp_error *err) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] == NULL) return lp_error_set(err, LP_EINVAL, "store get: id %zu is NULL", i);
  if (n_ids == 0) return LP_OK;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  uint32_t dim = 0;
  for (size_t i = 0; i < t->m->schema.n_fields; i++)
    if (strcmp(t->m->schema.fields[i].name, "vector") == 0) dim = (uint32_t)t->m->schema.fields[i].list_size;
  out->dim = dim;
  uint64_t *pos = malloc(n_ids * sizeof *pos);
  lp_status rc = pos == NULL ? lp_error_set(err, LP_ENOMEM, "store get: out of memory") : LP_OK;
  if (rc == LP_OK) rc = lp__store_check_schema(t, dim, err);
  if (rc == LP_OK) rc = find_ids(t, ids, n_ids, pos, err);
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
  lp_table_close(t);
  if (rc != LP_OK) lp_store_rows_reset(out);
  return rc;
}
