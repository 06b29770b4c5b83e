/* Interop: lancepool's flat search against official LanceDB 0.31.0. tests/interop/node/search_oracle.mjs
 * writes five tables (dims 8 to 1536, float16 too, several fragments, deletions, null vectors, nulls in
 * other columns) and records LanceDB's answers to 621 queries (207 per metric; no filter, pre-filter,
 * post-filter; offsets). Each query is run here through lp_table_search; the rows must come back in the
 * same order with `_distance` within 1e-5 relative or 1e-6 absolute of LanceDB's. Where two results'
 * order differs, the swap is accepted only when LanceDB's own distances for the two are within that
 * tolerance (a tie or near-tie that the two implementations' float rounding may order either way); such
 * cases are counted and printed. Exact ties (equal distances) must be in row-position order, as LanceDB
 * orders them. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lp_test.h"

static bool close_enough(double a, double b) {
  double d = fabs(a - b);
  return d <= 1e-6 || d <= 1e-5 * fmax(fabs(a), fabs(b));
}

typedef struct stats {
  int queries, exact, near_tie, failed, errors_matched, rows;
  int f32_rows[3], f32_same_bits[3], f16_rows, f16_same_bits; /* distances equal to LanceDB's to the bit */
} stats;

/* Compare one answer; returns false with a message on a mismatch. */
static bool compare(json_t *q, const int32_t *ids, const float *dist, int64_t n, int *near_tie, char *why,
                    size_t why_len) {
  json_t *jids = json_object_get(q, "ids"), *jd = json_object_get(q, "distances");
  int64_t m = (int64_t)json_array_size(jids);
  if (m != n) {
    snprintf(why, why_len, "%lld rows, LanceDB %lld", (long long)n, (long long)m);
    return false;
  }
  for (int64_t i = 0; i < n; i++) {
    double ld = json_number_value(json_array_get(jd, (size_t)i));
    if (!close_enough(dist[i], ld)) {
      snprintf(why, why_len, "rank %lld: distance %.9g, LanceDB %.9g", (long long)i, dist[i], ld);
      return false;
    }
    int32_t lid = (int32_t)json_integer_value(json_array_get(jids, (size_t)i));
    if (lid == ids[i]) continue;
    /* Accept a different id only if LanceDB ranks it within tolerance of this rank's distance. */
    bool ok = false;
    for (int64_t j = 0; j < m && !ok; j++)
      if ((int32_t)json_integer_value(json_array_get(jids, (size_t)j)) == ids[i])
        ok = close_enough(json_number_value(json_array_get(jd, (size_t)j)), ld) && json_number_value(json_array_get(jd, (size_t)j)) != ld;
    if (!ok && i == n - 1) ok = close_enough(dist[i], ld) && dist[i] != (float)ld; /* near-tie cut by k */
    if (!ok) {
      snprintf(why, why_len, "rank %lld: id %d (distance %.9g), LanceDB id %d (distance %.9g)", (long long)i, ids[i],
               dist[i], lid, ld);
      return false;
    }
    (*near_tie)++;
  }
  return true;
}

static void run_query(lp_db *db, json_t *q, int n_threads, stats *st) {
  const char *table = json_string_value(json_object_get(q, "table"));
  json_t *jv = json_object_get(q, "vector");
  size_t dim = json_array_size(jv);
  float *vec = malloc(dim * sizeof *vec);
  CHECK(vec != NULL);
  for (size_t i = 0; i < dim; i++) vec[i] = (float)json_number_value(json_array_get(jv, i));
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, table, LP_VERSION_LATEST, &t, &err), &err);
  const char *cols[] = {"id"};
  lp_search_options o;
  lp_search_options_init(&o);
  o.column = json_string_value(json_object_get(q, "column"));
  o.vector = vec;
  o.dim = dim;
  CHECK_OK(lp_metric_parse(json_string_value(json_object_get(q, "metric")), &o.metric, &err), &err);
  o.k = json_integer_value(json_object_get(q, "k"));
  o.offset = (uint64_t)json_integer_value(json_object_get(q, "offset"));
  o.where = json_string_value(json_object_get(q, "where"));
  o.postfilter = json_is_true(json_object_get(q, "postfilter"));
  o.columns = cols;
  o.n_columns = 1;
  o.n_threads = n_threads;
  struct ArrowArray a = {0};
  struct ArrowSchema s = {0};
  lp_status rc = lp_table_search(t, &o, &a, &s, &err);
  st->queries++;
  char *text = json_dumps(q, JSON_COMPACT);
  if (json_object_get(q, "error")) {
    if (rc == LP_OK) LP_FAIL("LanceDB refused this query (%s) but lancepool answered: %.300s",
                             json_string_value(json_object_get(q, "error")), text);
    st->errors_matched++;
  } else {
    if (rc != LP_OK) LP_FAIL("search failed: %s\nquery: %.300s", err.message, text);
    CHECK_EQ(s.n_children, 2);
    CHECK_STR_EQ(s.children[1]->name, "_distance");
    CHECK_STR_EQ(s.children[1]->format, "f");
    const int32_t *ids = (const int32_t *)a.children[0]->buffers[1] + a.children[0]->offset;
    const float *dist = (const float *)a.children[1]->buffers[1] + a.children[1]->offset;
    char why[256];
    int nt = 0;
    if (!compare(q, ids, dist, a.length, &nt, why, sizeof why)) {
      fprintf(stderr, "MISMATCH %s\n  query: %.400s\n  ours:", why, text);
      for (int64_t i = 0; i < a.length && i < 30; i++) fprintf(stderr, " %d:%.9g", ids[i], dist[i]);
      fputc('\n', stderr);
      st->failed++;
    } else if (nt) st->near_tie++;
    else st->exact++;
    st->rows += (int)a.length;
    bool half = strcmp(table, "half16") == 0;
    json_t *jd = json_object_get(q, "distances");
    for (int64_t i = 0; i < a.length && i < (int64_t)json_array_size(jd); i++) {
      bool same = dist[i] == (float)json_number_value(json_array_get(jd, (size_t)i));
      if (half) st->f16_rows++, st->f16_same_bits += same;
      else st->f32_rows[o.metric]++, st->f32_same_bits[o.metric] += same;
    }
  }
  free(text);
  if (a.release) a.release(&a);
  if (s.release) s.release(&s);
  lp_table_close(t);
  free(vec);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP"), *node_dir = getenv("LP_NODE_DIR");
  if (tmp == NULL || node_dir == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set (run through ctest)");
  char out[1024], cmd[4096], path[1200], dbdir[1200];
  snprintf(out, sizeof out, "%s/search_oracle", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && NODE_PATH='%s/node_modules' node '%s/search_oracle.mjs' '%s' 2>&1 | grep -v WARN",
           out, node_dir, node_dir, out);
  snprintf(path, sizeof path, "%s/queries.jsonl", out);
  /* LP_SEARCH_ORACLE_REUSE=1 reuses an oracle run already in LP_TEST_TMP (e.g. for a sanitizer build). */
  const char *reuse = getenv("LP_SEARCH_ORACLE_REUSE");
  FILE *probe = reuse && reuse[0] == '1' ? fopen(path, "r") : NULL;
  if (probe) fclose(probe);
  else {
    fprintf(stderr, "+ %s\n", cmd);
    CHECK_EQ(system(cmd), 0);
  }
  snprintf(dbdir, sizeof dbdir, "%s/db", out);
  FILE *fp = fopen(path, "r");
  if (fp == NULL) LP_FAIL("cannot open %s", path);
  lp_error err = {0};
  lp_session *sess = NULL;
  CHECK_OK(lp_session_create(NULL, &sess, &err), &err);
  lp_db *db = NULL, *db_plain = NULL;
  CHECK_OK(lp_db_open(dbdir, sess, &db, &err), &err);
  CHECK_OK(lp_db_open(dbdir, NULL, &db_plain, &err), &err);
  stats st = {0};
  char *line = NULL;
  size_t cap = 0;
  int metric_counts[3] = {0, 0, 0}, i = 0;
  while (getline(&line, &cap, fp) > 0) {
    json_error_t je;
    json_t *q = json_loads(line, 0, &je);
    if (q == NULL) LP_FAIL("%s: bad JSON: %s", path, je.text);
    lp_metric m;
    CHECK_OK(lp_metric_parse(json_string_value(json_object_get(q, "metric")), &m, &err), &err);
    metric_counts[m]++;
    /* Alternate: session-cached vectors with 2 threads, then 1 thread, then no session. */
    run_query(i % 3 == 2 ? db_plain : db, q, i % 3 == 1 ? 1 : 2, &st);
    json_decref(q);
    i++;
  }
  free(line);
  fclose(fp);
  lp_db_close(db);
  lp_db_close(db_plain);
  lp_session_unref(sess);
  fprintf(stderr,
          "search interop: %d queries (l2 %d, cosine %d, dot %d), %d rows compared: %d identical, %d with near-tie "
          "swaps, %d refused by both, %d mismatches\n",
          st.queries, metric_counts[0], metric_counts[1], metric_counts[2], st.rows, st.exact, st.near_tie,
          st.errors_matched, st.failed);
  fprintf(stderr, "distances equal to LanceDB's to the bit: float32 l2 %d/%d, cosine %d/%d, dot %d/%d; float16 %d/%d\n",
          st.f32_same_bits[0], st.f32_rows[0], st.f32_same_bits[1], st.f32_rows[1], st.f32_same_bits[2], st.f32_rows[2],
          st.f16_same_bits, st.f16_rows);
  /* float32 l2 and dot sum in LanceDB's own order (src/lance/distance_int.h): equal to the bit */
  CHECK_EQ(st.f32_same_bits[0], st.f32_rows[0]);
  CHECK_EQ(st.f32_same_bits[2], st.f32_rows[2]);
  CHECK_GE(metric_counts[0], 200);
  CHECK_GE(metric_counts[1], 200);
  CHECK_GE(metric_counts[2], 200);
  CHECK_EQ(st.failed, 0);
  return 0;
}
