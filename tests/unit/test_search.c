/* Unit tests of the search executor on the LanceDB-written sample table (tests/data/sample_v031,
 * version 4: three fragments, deletion files on two of them, vec = fixed_size_list<float32, 8>):
 * top-k against a brute-force answer computed here in double precision from a plain scan, offsets,
 * pre- vs post-filter semantics, filtered scans and counts, error cases, and the session's vector cache
 * (its budget, its counters, and that answers do not depend on it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/search_int.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define SAMPLE_VERSION 4
#define DIM 8

typedef struct row {
  int32_t id;
  uint64_t pos;
  float vec[DIM];
  double dist;
} row;

static lp_db *db;
static lp_table *tbl;
static row rows[64];
static size_t n_rows;

static void open_sample(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/data/sample_v031", src ? src : ".");
  lp_error err = {0};
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", SAMPLE_VERSION, &tbl, &err), &err);
  /* Read every live row's id and vector with a plain scan. */
  const char *cols[] = {"id", "vec"};
  lp_scan_options so;
  lp_scan_options_init(&so);
  so.columns = cols;
  so.n_columns = 2;
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(tbl, &so, &st, &err), &err);
  for (;;) {
    struct ArrowArray b;
    CHECK_EQ(st.get_next(&st, &b), 0);
    if (b.release == NULL) break;
    const int32_t *ids = (const int32_t *)b.children[0]->buffers[1] + b.children[0]->offset;
    const struct ArrowArray *v = b.children[1];
    const float *vals = (const float *)v->children[0]->buffers[1] + v->children[0]->offset + v->offset * DIM;
    for (int64_t i = 0; i < b.length; i++) {
      CHECK_LT(n_rows, 64);
      rows[n_rows].id = ids[i];
      rows[n_rows].pos = n_rows;
      memcpy(rows[n_rows].vec, vals + i * DIM, sizeof rows[n_rows].vec);
      n_rows++;
    }
    b.release(&b);
  }
  st.release(&st);
  CHECK_EQ(n_rows, 10); /* 12 rows written, ids 2 and 6 deleted */
}

static int cmp_row(const void *a, const void *b) {
  const row *x = a, *y = b;
  if ((float)x->dist != (float)y->dist) return (float)x->dist < (float)y->dist ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Brute force in double: rows sorted by (distance as float32, position). */
static void brute(const float *q, lp_metric m, row *out) {
  memcpy(out, rows, n_rows * sizeof *rows);
  for (size_t r = 0; r < n_rows; r++) {
    double l2 = 0, dot = 0, qq = 0, vv = 0;
    for (int i = 0; i < DIM; i++) {
      double d = (double)q[i] - out[r].vec[i];
      l2 += d * d;
      dot += (double)q[i] * out[r].vec[i];
      qq += (double)q[i] * q[i];
      vv += (double)out[r].vec[i] * out[r].vec[i];
    }
    out[r].dist = m == LP_METRIC_L2 ? l2 : m == LP_METRIC_DOT ? 1 - dot : 1 - dot / (sqrt(qq) * sqrt(vv));
  }
  qsort(out, n_rows, sizeof *out, cmp_row);
}

/* Run a search returning id + _distance. */
static lp_status search(const lp_search_options *base, int32_t *ids, float *dist, int64_t *n, lp_error *err) {
  const char *cols[] = {"id"};
  lp_search_options o = *base;
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray a;
  struct ArrowSchema s;
  lp_status rc = lp_table_search(tbl, &o, &a, &s, err);
  if (rc != LP_OK) return rc;
  CHECK_EQ(s.n_children, 2);
  CHECK_STR_EQ(s.children[0]->name, "id");
  CHECK_STR_EQ(s.children[1]->name, "_distance");
  *n = a.length;
  for (int64_t i = 0; i < a.length; i++) {
    ids[i] = ((const int32_t *)a.children[0]->buffers[1])[a.children[0]->offset + i];
    dist[i] = ((const float *)a.children[1]->buffers[1])[a.children[1]->offset + i];
  }
  a.release(&a);
  s.release(&s);
  return LP_OK;
}

static void test_topk_matches_brute_force(void) {
  static const float queries[][DIM] = {
      {0, 0, 0, 0, 0, 0, 0, 0}, {5.1f, 5, 5.3f, 5.2f, 5.6f, 5.6f, 5.7f, 5.9f}, {-3, 1, 2, 9, 0.5f, 4, 4, 4}, {11, 11, 11, 11, 11, 11, 11, 11}};
  lp_error err = {0};
  for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++)
    for (int m = 0; m < 3; m++)
      for (int64_t k = 1; k <= 12; k += 5)
        for (uint64_t off = 0; off < 3; off++) {
          row expect[64];
          brute(queries[qi], (lp_metric)m, expect);
          lp_search_options o;
          lp_search_options_init(&o);
          o.vector = queries[qi];
          o.dim = DIM;
          o.metric = (lp_metric)m;
          o.k = k;
          o.offset = off;
          int32_t ids[64];
          float dist[64];
          int64_t n;
          if (m == LP_METRIC_COSINE && qi == 0) { /* zero query: every cosine distance is NaN, no result */
            CHECK_OK(search(&o, ids, dist, &n, &err), &err);
            CHECK_EQ(n, 0);
            continue;
          }
          CHECK_OK(search(&o, ids, dist, &n, &err), &err);
          int64_t want = (int64_t)n_rows - (int64_t)off < k ? (int64_t)n_rows - (int64_t)off : k;
          CHECK_EQ(n, want);
          for (int64_t i = 0; i < n; i++) {
            const row *e = &expect[off + (uint64_t)i];
            if (ids[i] != e->id) LP_FAIL("query %zu metric %d k %lld offset %llu rank %lld: id %d, expected %d", qi, m,
                                         (long long)k, (unsigned long long)off, (long long)i, ids[i], e->id);
            CHECK(fabs(dist[i] - e->dist) <= 1e-5 * fabs(e->dist) + 1e-5);
          }
        }
}

static void test_pre_vs_post_filter(void) {
  lp_error err = {0};
  float q[DIM] = {0, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f}; /* id 0's vector */
  lp_search_options o;
  lp_search_options_init(&o);
  o.vector = q;
  o.dim = DIM;
  o.k = 3;
  o.where = "id >= 8";
  int32_t ids[64];
  float dist[64];
  int64_t n;
  CHECK_OK(search(&o, ids, dist, &n, &err), &err); /* pre-filter: the 3 nearest among ids >= 8 */
  CHECK_EQ(n, 3);
  CHECK_EQ(ids[0], 8);
  CHECK_EQ(ids[1], 9);
  CHECK_EQ(ids[2], 10);
  o.postfilter = true; /* post-filter: the 3 nearest are ids 0, 1, 3, none passes */
  CHECK_OK(search(&o, ids, dist, &n, &err), &err);
  CHECK_EQ(n, 0);
  o.k = 9; /* the 9 nearest are all live rows but id 11: ids 8, 9, 10 pass */
  CHECK_OK(search(&o, ids, dist, &n, &err), &err);
  CHECK_EQ(n, 3);
  CHECK_EQ(ids[0], 8);
  CHECK_EQ(ids[2], 10);
  o.where = "name IS NULL"; /* no row passes */
  o.postfilter = false;
  CHECK_OK(search(&o, ids, dist, &n, &err), &err);
  CHECK_EQ(n, 0);
}

static void test_filtered_scan_and_count(void) {
  lp_error err = {0};
  uint64_t n = 0;
  CHECK_OK(lp_table_count_where(tbl, "id > 3 AND id <> 9", &n, &err), &err);
  CHECK_EQ(n, 6); /* 4 5 7 8 10 11 */
  CHECK_OK(lp_table_count_where(tbl, NULL, &n, &err), &err);
  CHECK_EQ(n, 10);
  const char *cols[] = {"name", "id"};
  lp_scan_options so;
  lp_scan_options_init(&so);
  so.columns = cols;
  so.n_columns = 2;
  so.offset = 1;
  so.limit = 3;
  so.batch_rows = 2;
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan_where(tbl, &so, "id > 3 AND id <> 9", &st, &err), &err);
  int32_t got[16];
  int n_got = 0;
  for (;;) {
    struct ArrowArray b;
    CHECK_EQ(st.get_next(&st, &b), 0);
    if (b.release == NULL) break;
    CHECK_EQ(b.n_children, 2);
    for (int64_t i = 0; i < b.length; i++) got[n_got++] = ((const int32_t *)b.children[1]->buffers[1])[b.children[1]->offset + i];
    b.release(&b);
  }
  st.release(&st);
  CHECK_EQ(n_got, 3);
  CHECK_EQ(got[0], 5);
  CHECK_EQ(got[1], 7);
  CHECK_EQ(got[2], 8);
  CHECK_EQ(lp_table_count_where(tbl, "nosuch > 1", &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "nosuch");
}

static void test_errors(void) {
  lp_error err = {0};
  float q[DIM] = {0};
  int32_t ids[64];
  float dist[64];
  int64_t n;
  lp_search_options o;
  lp_search_options_init(&o);
  o.vector = q;
  o.dim = 3;
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "3 values");
  o.dim = DIM;
  o.k = 0;
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "k must be positive");
  o.k = 5;
  o.column = "id";
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "not a vector");
  o.column = "nosuch";
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "nosuch");
  o.column = NULL;
  q[2] = NAN;
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "NaN");
  q[2] = 0;
  o.where = "id >";
  CHECK_EQ(search(&o, ids, dist, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "filter");
  lp_metric m;
  CHECK_EQ(lp_metric_parse("hamming", &m, &err), LP_EINVAL);
  CHECK_OK(lp_metric_parse("COSINE", &m, &err), &err);
  CHECK_EQ(m, LP_METRIC_COSINE);
}

/* The same search through sessions with a roomy, a tiny and no vector cache: equal answers; the roomy
 * one keeps a block per fragment and hits from the second query on, the tiny one keeps nothing (each
 * block is larger than its budget), and a zero budget means no cache at all. */
static void test_vector_cache_budget(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/data/sample_v031", src ? src : ".");
  static const float q[DIM] = {1, 2, 3, 4, 5, 6, 7, 8};
  const size_t budgets[] = {1 << 20, 64, 0};
  int32_t first_ids[64];
  float first_dist[64];
  int64_t first_n = -1;
  for (size_t b = 0; b < 3; b++) {
    lp_error err = {0};
    lp_session_config cfg;
    lp_session_config_init(&cfg);
    CHECK_EQ(cfg.vector_cache_bytes, (size_t)512 << 20); /* the documented default */
    cfg.vector_cache_bytes = budgets[b];
    lp_session *s = NULL;
    lp_db *d = NULL;
    lp_table *t = NULL;
    CHECK_OK(lp_session_create(&cfg, &s, &err), &err);
    CHECK_OK(lp_db_open(dir, s, &d, &err), &err);
    CHECK_OK(lp_table_open(d, "sample", SAMPLE_VERSION, &t, &err), &err);
    lp_table *saved = tbl;
    tbl = t;
    for (int rep = 0; rep < 3; rep++) {
      lp_search_options o;
      lp_search_options_init(&o);
      o.vector = q;
      o.dim = DIM;
      o.k = 7;
      int32_t ids[64];
      float dist[64];
      int64_t n;
      CHECK_OK(search(&o, ids, dist, &n, &err), &err);
      if (first_n < 0) {
        first_n = n;
        memcpy(first_ids, ids, sizeof ids);
        memcpy(first_dist, dist, sizeof dist);
      }
      CHECK_EQ(n, first_n);
      CHECK(memcmp(ids, first_ids, (size_t)n * sizeof *ids) == 0);
      CHECK(memcmp(dist, first_dist, (size_t)n * sizeof *dist) == 0);
    }
    tbl = saved;
    lp_session_stats st;
    lp_session_stats_get(s, &st);
    CHECK_EQ(st.vector_bytes_budget, budgets[b]);
    CHECK_LE(st.vector_bytes_used, budgets[b]);
    if (b == 0) {
      CHECK_GT(st.vector_bytes_used, 0);
      CHECK_GE(st.vector_hits, 2 * st.vector_misses); /* decoded once, then hit on the next two queries */
    } else {
      CHECK_EQ(st.vector_bytes_used, 0);
      CHECK_EQ(st.vector_hits, 0);
    }
    lp_table_close(t);
    lp_db_close(d);
    lp_session_unref(s);
  }
}

int main(void) {
  open_sample();
  RUN_TEST(test_topk_matches_brute_force);
  RUN_TEST(test_pre_vs_post_filter);
  RUN_TEST(test_filtered_scan_and_count);
  RUN_TEST(test_errors);
  RUN_TEST(test_vector_cache_budget);
  lp_table_close(tbl);
  lp_db_close(db);
  return 0;
}
