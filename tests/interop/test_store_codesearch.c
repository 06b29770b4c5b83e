/* The store over a code-search table written by official LanceDB 0.31.0 (id, path, text, vector,
 * start_line, end_line, content_hash, chunk_hash, chunk_kind, chunk_name, chunk_tokens; an FTS index on
 * text; rows appended after the index), through cfg.columns:
 *   - bad column mappings are refused with a message naming the column;
 *   - while a LanceDB process appends, the store serves get, vector, text and hybrid searches and counts,
 *     and every row LanceDB appended is visible afterwards;
 *   - the store's answers (vector/text/hybrid search with and without filters on extra columns, get with
 *     every column, paths, counts) equal LanceDB's on the same table, before and after the store's own
 *     adds (extra columns given, left null, refused) and deletes by path and by id.
 * LanceDB's answers come from tests/interop/node/codesearch_peer.mjs. */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store_test_util.h"

#define DIM 16
#define TABLE "code"
#define N_APPENDS 10 /* LanceDB's appends during the live phase, 10 rows each */

static char g_dir[4096];

/* Run `node codesearch_peer.mjs ARGS` and return its stdout (malloc'd). */
static char *peer(const char *args) {
  char cmd[8192];
  int w = snprintf(cmd, sizeof cmd, "node '%s/codesearch_peer.mjs' %s 2>/dev/null", getenv("LP_NODE_DIR"), args);
  CHECK(w > 0 && (size_t)w < sizeof cmd);
  int rc = 0;
  char *buf = st_run_command(cmd, &rc);
  if (rc != 0) LP_FAIL("node codesearch_peer.mjs %s failed (%d): %.500s", args, rc, buf);
  return buf;
}

/* ---- the queries ----------------------------------------------------------------------------------- */

typedef struct query {
  const char *op; /* vector, text, hybrid, get, paths, count */
  unsigned vec_seed;
  const char *text, *where, *id;
  size_t k;
} query;

static const query g_queries[] = {
    {"vector", 1, NULL, NULL, NULL, 10},
    {"vector", 2, NULL, "start_line > 200", NULL, 10},
    {"vector", 3, NULL, "chunk_kind = 'function'", NULL, 7},
    {"vector", 4, NULL, "chunk_name IS NULL", NULL, 5},
    {"text", 0, "socket thread", NULL, NULL, 10},
    {"text", 0, "parse", NULL, NULL, 20},
    {"text", 0, "manifest commit page", "path = 'src/io/buf.c'", NULL, 10},
    {"text", 0, "cache pool lock", "chunk_tokens > 20", NULL, 8},
    {"text", 0, "store", NULL, NULL, 10},
    {"hybrid", 5, "socket thread buffer", NULL, NULL, 10}, /* legs without tied scores: LanceDB orders ties unstably */
    {"hybrid", 6, "vector index query", "end_line < 300", NULL, 10},
    {"hybrid", 7, "schema", "chunk_kind = 'macro'", NULL, 6},
    {"get", 0, NULL, NULL, "chunk-5", 0},
    {"get", 0, NULL, NULL, "chunk-3", 0},     /* null text */
    {"get", 0, NULL, NULL, "chunk-250", 0},   /* appended after the index */
    {"get", 0, NULL, NULL, "chunk-1003", 0},  /* appended by LanceDB while the store served */
    {"get", 0, NULL, NULL, "chunk-1095", 0},  /* LanceDB's last append */
    {"get", 0, NULL, NULL, "store-1", 0},     /* the store's rows (absent before its adds) */
    {"get", 0, NULL, NULL, "store-2", 0},
    {"get", 0, NULL, NULL, "chunk-8", 0},     /* deleted by id at the end */
    {"paths", 0, NULL, NULL, NULL, 0},
    {"count", 0, NULL, NULL, NULL, 0},
    {"count", 0, NULL, "path = 'README.md'", NULL, 0},
};
#define N_QUERIES (sizeof g_queries / sizeof g_queries[0])

static void query_vector(unsigned seed, float *v) {
  st_vector(seed, 7, DIM, v);
  for (int i = 0; i < DIM; i++) v[i] /= 10.0f; /* the table's vectors lie in [-1, 1) */
}

static json_t *query_json(const query *q) {
  json_t *o = json_pack("{s:s}", "op", q->op);
  if (q->vec_seed) {
    float v[DIM];
    query_vector(q->vec_seed, v);
    json_t *a = json_array();
    for (int i = 0; i < DIM; i++) json_array_append_new(a, json_real(v[i]));
    json_object_set_new(o, "vector", a);
  }
  if (q->text) json_object_set_new(o, "text", json_string(q->text));
  if (q->where) json_object_set_new(o, "where", json_string(q->where));
  if (q->id) json_object_set_new(o, "id", json_string(q->id));
  if (q->k) json_object_set_new(o, "k", json_integer((json_int_t)q->k));
  return o;
}

/* LanceDB's answers to every query, in order (a JSON array). */
static json_t *lancedb_answers(void) {
  char file[4200], args[8600];
  int w = snprintf(file, sizeof file, "%s/queries.jsonl", g_dir);
  CHECK(w > 0 && (size_t)w < sizeof file);
  FILE *f = fopen(file, "w");
  CHECK(f != NULL);
  for (size_t i = 0; i < N_QUERIES; i++) {
    json_t *o = query_json(&g_queries[i]);
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", s);
    free(s);
    json_decref(o);
  }
  fclose(f);
  w = snprintf(args, sizeof args, "answer '%s' %s '%s'", g_dir, TABLE, file);
  CHECK(w > 0 && (size_t)w < sizeof args);
  char *out = peer(args);
  json_t *all = json_array();
  for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    json_error_t je;
    json_t *a = json_loads(line, JSON_DECODE_ANY, &je);
    if (a == NULL) LP_FAIL("bad JSON from codesearch_peer: %s: %.200s", je.text, line);
    json_array_append_new(all, a);
  }
  free(out);
  CHECK_EQ(json_array_size(all), N_QUERIES);
  return all;
}

/* A row as LanceDB's get prints it: every column but the vector. */
static json_t *row_json(const lp_store_row *r) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "path", r->path ? json_string(r->path) : json_null());
  json_object_set_new(o, "text", r->text ? json_string(r->text) : json_null());
  for (size_t i = 0; i < r->n_values; i++) {
    const lp_store_value *v = &r->values[i];
    json_t *j = v->type == LP_STORE_VALUE_STRING ? json_string(v->str)
                : v->type == LP_STORE_VALUE_INT  ? json_integer(v->i)
                : v->type == LP_STORE_VALUE_FLOAT ? json_real(v->f)
                : v->type == LP_STORE_VALUE_BOOL ? json_boolean(v->b) : json_null();
    json_object_set_new(o, v->name, j);
  }
  return o;
}

/* The store's answer to q, shaped as codesearch_peer's. */
static json_t *store_answer(lp_store *s, const query *q) {
  lp_error err = {0};
  lp_store_rows rows = {0};
  if (strcmp(q->op, "get") == 0) {
    const char *ids[1] = {q->id};
    CHECK_OK(lp_store_get(s, ids, 1, &rows, &err), &err);
    json_t *o = rows.n ? row_json(&rows.rows[0]) : json_null();
    lp_store_rows_reset(&rows);
    return o;
  }
  if (strcmp(q->op, "paths") == 0) {
    char **paths = NULL;
    size_t n = 0;
    CHECK_OK(lp_store_paths(s, &paths, &n, &err), &err);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(paths[i]));
    lp_store_paths_free(paths, n);
    return a;
  }
  if (strcmp(q->op, "count") == 0) {
    uint64_t n = 0;
    CHECK_OK(lp_store_count(s, &n, &err), &err);
    return json_integer((json_int_t)n);
  }
  float v[DIM];
  lp_store_query sq;
  lp_store_query_init(&sq);
  sq.mode = strcmp(q->op, "vector") == 0 ? LP_STORE_SEARCH_VECTOR
            : strcmp(q->op, "text") == 0 ? LP_STORE_SEARCH_TEXT : LP_STORE_SEARCH_HYBRID;
  if (q->vec_seed) {
    query_vector(q->vec_seed, v);
    sq.vector = v;
    sq.dim = DIM;
  }
  sq.text = q->text;
  sq.where = q->where;
  sq.k = q->k;
  static const char *const id_only[] = {"id"};
  sq.columns = id_only;
  sq.n_columns = 1;
  CHECK_OK(lp_store_query_run(s, &sq, &rows, &err), &err);
  json_t *a = json_array();
  for (size_t i = 0; i < rows.n; i++) {
    const lp_store_row *r = &rows.rows[i];
    CHECK(r->n_values == 0 && r->path == NULL); /* only the id was asked for */
    double score = sq.mode == LP_STORE_SEARCH_VECTOR ? r->distance : r->score;
    json_array_append_new(a, json_pack("[s,f]", r->id, score));
  }
  lp_store_rows_reset(&rows);
  return a;
}

static bool close_to(double a, double b) { return fabs(a - b) <= 1e-4 * fmax(fabs(a), fabs(b)) + 1e-6; }

/* Ranked lists: scores equal rank by rank; ids equal within each run of equal scores (LanceDB does not
 * order ties stably; a run cut by the limit may hold other tied rows). NULL when they agree. */
static const char *compare_ranked(json_t *want, json_t *got, char *why, size_t cap) {
  size_t n = json_array_size(want);
  if (json_array_size(got) != n) {
    snprintf(why, cap, "%zu rows, LanceDB gave %zu", json_array_size(got), n);
    return why;
  }
  for (size_t i = 0; i < n; i++) {
    double ws = json_number_value(json_array_get(json_array_get(want, i), 1));
    double gs = json_number_value(json_array_get(json_array_get(got, i), 1));
    if (!close_to(ws, gs)) {
      snprintf(why, cap, "rank %zu: score %g, LanceDB %g", i, gs, ws);
      return why;
    }
  }
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    double s = json_number_value(json_array_get(json_array_get(want, i), 1));
    while (j < n && close_to(json_number_value(json_array_get(json_array_get(want, j), 1)), s)) j++;
    if (j < n) /* a complete run: the same ids */
      for (size_t a = i; a < j; a++) {
        const char *id = json_string_value(json_array_get(json_array_get(want, a), 0));
        bool found = false;
        for (size_t b = i; b < j && !found; b++)
          found = strcmp(id, json_string_value(json_array_get(json_array_get(got, b), 0))) == 0;
        if (!found) {
          snprintf(why, cap, "ranks %zu..%zu: LanceDB's %s missing", i, j - 1, id);
          return why;
        }
      }
    i = j;
  }
  return NULL;
}

/* Compare every query's answer with LanceDB's; returns the number of ranked queries with results. */
static size_t compare_all(lp_store *s, const char *phase) {
  json_t *want = lancedb_answers();
  size_t with_rows = 0, mismatches = 0;
  for (size_t i = 0; i < N_QUERIES; i++) {
    const query *q = &g_queries[i];
    json_t *w = json_array_get(want, i);
    if (json_is_object(w) && json_object_get(w, "error"))
      LP_FAIL("%s: LanceDB failed query %zu: %s", phase, i, json_string_value(json_object_get(w, "error")));
    if (strcmp(q->op, "count") == 0 && q->where) { /* the store has no filtered count: count search hits */
      lp_store_query sq;
      lp_store_query_init(&sq);
      float v[DIM] = {0};
      sq.vector = v;
      sq.dim = DIM;
      sq.k = 100000;
      sq.where = q->where;
      static const char *const id_only[] = {"id"};
      sq.columns = id_only;
      sq.n_columns = 1;
      lp_store_rows rows = {0};
      lp_error err = {0};
      CHECK_OK(lp_store_query_run(s, &sq, &rows, &err), &err);
      if ((json_int_t)rows.n != json_integer_value(w)) {
        fprintf(stderr, "%s: query %zu (%s): %zu rows, LanceDB counts %lld\n", phase, i, q->where, rows.n,
                (long long)json_integer_value(w));
        mismatches++;
      }
      lp_store_rows_reset(&rows);
      continue;
    }
    json_t *g = store_answer(s, q);
    char why[256];
    const char *diff = NULL;
    bool ranked = strcmp(q->op, "vector") == 0 || strcmp(q->op, "text") == 0 || strcmp(q->op, "hybrid") == 0;
    if (ranked) {
      diff = compare_ranked(w, g, why, sizeof why);
      with_rows += json_array_size(w) > 0;
    } else if (!json_equal(w, g)) {
      char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
      char *gs = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
      snprintf(why, sizeof why, "store %.110s, LanceDB %.110s", gs, ws);
      free(ws);
      free(gs);
      diff = why;
    }
    if (diff) {
      fprintf(stderr, "%s: query %zu (%s %s): %s\n", phase, i, q->op, q->text ? q->text : q->id ? q->id : "", diff);
      mismatches++;
    }
    json_decref(g);
  }
  json_decref(want);
  CHECK_EQ(mismatches, 0);
  fprintf(stderr, "%s: %zu queries agree with LanceDB (%zu ranked with rows)\n", phase, N_QUERIES, with_rows);
  return with_rows;
}

/* ---- opening --------------------------------------------------------------------------------------- */

static lp_status open_with(const char *id, const char *vector, const char *text, const char *path, lp_store **out,
                           lp_error *err) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.create_if_missing = false;
  cfg.pool.cleanup_interval_ms = 0; /* no maintenance: LanceDB's appends stay as they are */
  cfg.columns = (lp_store_columns){.id = id, .vector = vector, .text = text, .path = path};
  return lp_store_open(g_dir, TABLE, &cfg, out, err);
}

static void refused_mappings(void) {
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_EQ(open_with(NULL, NULL, "body", NULL, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no column 'body'");
  CHECK_EQ(open_with(NULL, "start_line", NULL, NULL, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "vector column 'start_line'");
  CHECK_EQ(open_with("end_line", NULL, NULL, NULL, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "id column 'end_line' has type int32");
  CHECK_EQ(open_with(NULL, NULL, NULL, "text", &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "cannot be both");
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM + 1;
  cfg.create_if_missing = false;
  CHECK_EQ(lp_store_open(g_dir, TABLE, &cfg, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "fixed_size_list:float:17");
  CHECK(s == NULL);
}

/* ---- the store serving while LanceDB appends ------------------------------------------------------- */

typedef struct appender {
  pthread_t th;
  atomic_bool done;
} appender;

static void *run_appender(void *arg) {
  appender *a = arg;
  char args[4300];
  int w = snprintf(args, sizeof args, "append '%s' %s %d", g_dir, TABLE, N_APPENDS);
  CHECK(w > 0 && (size_t)w < sizeof args);
  free(peer(args));
  atomic_store(&a->done, true);
  return NULL;
}

static void serve_while_lancedb_appends(lp_store *s, uint64_t base_count) {
  appender a = {.done = false};
  CHECK_EQ(pthread_create(&a.th, NULL, run_appender, &a), 0);
  uint64_t last = base_count, ops = 0;
  lp_error err = {0};
  float v[DIM];
  query_vector(9, v);
  while (!atomic_load(&a.done)) {
    uint64_t n = 0;
    CHECK_OK(lp_store_count(s, &n, &err), &err);
    CHECK_GE(n, last); /* LanceDB only appends: the count never goes back */
    last = n;
    lp_store_rows rows = {0};
    lp_store_query q;
    lp_store_query_init(&q);
    q.mode = (lp_store_search_mode)(ops % 3);
    q.vector = v;
    q.dim = DIM;
    q.text = "socket parse";
    q.k = 5;
    CHECK_OK(lp_store_query_run(s, &q, &rows, &err), &err);
    CHECK_EQ(rows.n, 5);
    lp_store_rows_reset(&rows);
    const char *ids[2] = {"chunk-0", "chunk-1000"};
    CHECK_OK(lp_store_get(s, ids, 2, &rows, &err), &err);
    CHECK(rows.n >= 1 && strcmp(rows.rows[0].id, "chunk-0") == 0);
    lp_store_rows_reset(&rows);
    ops++;
  }
  CHECK_EQ(pthread_join(a.th, NULL), 0);
  uint64_t n = 0;
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  CHECK_EQ(n, base_count + N_APPENDS * 10); /* every row LanceDB appended is visible */
  CHECK_GT(ops, 0);
  fprintf(stderr, "served %llu rounds (count, search, get) while LanceDB made %d appends; count %llu -> %llu\n",
          (unsigned long long)ops, N_APPENDS, (unsigned long long)base_count, (unsigned long long)n);
}

/* ---- the store's writes ---------------------------------------------------------------------------- */

static void store_writes(lp_store *s) {
  lp_error err = {0};
  float v1[DIM], v2[DIM];
  query_vector(11, v1);
  query_vector(12, v2);
  lp_store_value full[] = {
      {.name = "start_line", .type = LP_STORE_VALUE_INT, .i = 10},
      {.name = "end_line", .type = LP_STORE_VALUE_INT, .i = 24},
      {.name = "content_hash", .type = LP_STORE_VALUE_STRING, .str = "c-store"},
      {.name = "chunk_hash", .type = LP_STORE_VALUE_STRING, .str = "h-store"},
      {.name = "chunk_kind", .type = LP_STORE_VALUE_STRING, .str = "function"},
      {.name = "chunk_name", .type = LP_STORE_VALUE_STRING, .str = "store_socket_fn"},
      {.name = "chunk_tokens", .type = LP_STORE_VALUE_INT, .i = 77},
  };
  lp_store_value lines_only[] = {
      {.name = "start_line", .type = LP_STORE_VALUE_INT, .i = 300},
      {.name = "end_line", .type = LP_STORE_VALUE_INT, .i = 301},
      {.name = "chunk_kind", .type = LP_STORE_VALUE_NULL},
  };
  lp_store_record recs[2] = {
      {.id = "store-1", .path = "src/new/file.c", .text = "store socket parse written by lancepool", .vector = v1,
       .dim = DIM, .values = full, .n_values = 7},
      {.id = "store-2", .path = "src/new/file.c", .text = NULL, .vector = v2, .dim = DIM, .values = lines_only,
       .n_values = 3},
  };
  uint64_t before = 0, after = 0;
  CHECK_OK(lp_store_count(s, &before, &err), &err);
  /* refused, nothing committed: a non-nullable column not given, an unknown column, a wrong type, a
   * column the table does not have */
  lp_store_record bad = recs[0];
  bad.id = "bad";
  bad.values = lines_only + 1;
  bad.n_values = 1;
  CHECK_EQ(lp_store_add(s, &bad, 1, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no value for column 'start_line'");
  lp_store_value unknown[] = {full[0], full[1], {.name = "nosuch", .type = LP_STORE_VALUE_INT, .i = 1}};
  bad.values = unknown;
  bad.n_values = 3;
  CHECK_EQ(lp_store_add(s, &bad, 1, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "'nosuch' is not an extra column");
  lp_store_value wrong[] = {{.name = "start_line", .type = LP_STORE_VALUE_STRING, .str = "10"}, full[1]};
  bad.values = wrong;
  bad.n_values = 2;
  CHECK_EQ(lp_store_add(s, &bad, 1, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "takes int values, given string");
  bad.values = full;
  bad.n_values = 7;
  bad.metadata = "{}";
  CHECK_EQ(lp_store_add(s, &bad, 1, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no metadata column");
  CHECK_OK(lp_store_count(s, &after, &err), &err);
  CHECK_EQ(after, before);
  CHECK_OK(lp_store_add(s, recs, 2, &err), &err);
  CHECK_EQ(lp_store_add(s, recs, 1, &err), LP_EEXIST);
  /* a projection */
  static const char *const cols[] = {"id", "chunk_name"};
  const char *ids[1] = {"store-1"};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get_columns(s, ids, 1, cols, 2, &rows, &err), &err);
  CHECK_EQ(rows.n, 1);
  CHECK(rows.rows[0].path == NULL && rows.rows[0].vector == NULL && rows.rows[0].n_values == 1);
  CHECK_STR_EQ(rows.rows[0].values[0].name, "chunk_name");
  CHECK_STR_EQ(rows.rows[0].values[0].str, "store_socket_fn");
  lp_store_rows_reset(&rows);
  static const char *const bad_cols[] = {"id", "nosuch"};
  CHECK_EQ(lp_store_get_columns(s, ids, 1, bad_cols, 2, &rows, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "nosuch");
}

static void store_deletes(lp_store *s) {
  lp_error err = {0};
  uint64_t n = 0;
  CHECK_OK(lp_store_delete_path(s, "src/new/file.c", &n, &err), &err);
  CHECK_EQ(n, 2);
  CHECK_OK(lp_store_delete_path(s, "src/io/buf.c", &n, &err), &err);
  CHECK_GT(n, 30);
  const char *ids[3] = {"chunk-8", "chunk-1002", "no-such-chunk"}; /* not in src/io/buf.c */
  CHECK_OK(lp_store_delete_ids(s, ids, 3, &n, &err), &err);
  CHECK_EQ(n, 2);
}

int main(void) {
  if (getenv("LP_NODE_DIR") == NULL) {
    fprintf(stderr, "SKIP: LP_NODE_DIR not set\n");
    return 0;
  }
  st_scratch("store_codesearch", g_dir, sizeof g_dir);
  char args[4300];
  int w = snprintf(args, sizeof args, "create '%s' %s", g_dir, TABLE);
  CHECK(w > 0 && (size_t)w < sizeof args);
  free(peer(args));
  refused_mappings();
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(open_with("id", "vector", "text", "path", &s, &err), &err);
  uint64_t base = 0;
  CHECK_OK(lp_store_count(s, &base, &err), &err);
  CHECK_EQ(base, 270);
  serve_while_lancedb_appends(s, base);
  size_t ranked = compare_all(s, "after LanceDB's appends");
  CHECK_GE(ranked, 10);
  store_writes(s);
  compare_all(s, "after the store's adds");
  store_deletes(s);
  compare_all(s, "after the store's deletes");
  st_check_balanced(s);
  lp_store_close(s);
  fprintf(stderr, "test_store_codesearch: ok\n");
  return 0;
}
