/* The store over a table with its own schema (cfg.columns): role columns under other names (a large_utf8
 * id), extra columns of every value type written from named values and read back (ints of every width,
 * floats, bool, date32, timestamp[ms], strings), nulls for nullable columns not given (also a binary
 * column rows cannot hold), refusals (a non-nullable column not given, a wrong type, an unknown name, a
 * value twice, a field for a role the table lacks), projections, paths, delete by path,
 * upsert by the mapped id, and text search refused without a text index. */
#include "format/write_schema.h"
#include "store_test_util.h"

#define DIM 4
#define TABLE "own"

static char g_dir[4096];

static const char *const SPEC =
    "key:large_utf8 not null, emb:vector(4), body:utf8, file:utf8, i8:int8, u16:uint16, "
    "i32:int32 not null, u64:uint64, f32:float32, f64:float64, flag:bool, day:date32, ts:timestamp[ms], "
    "blob:binary";

static void create_table(void) {
  lp__schema ls;
  memset(&ls, 0, sizeof ls);
  lp_error err = {0};
  CHECK_OK(lp__wschema_parse_spec(SPEC, &ls, &err), &err);
  struct ArrowSchema as = {0};
  CHECK_OK(lp__wschema_to_arrow(&ls, &as, &err), &err);
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);
  uint64_t v = 0;
  CHECK_OK(lp_db_create_table(db, TABLE, &as, NULL, false, NULL, &v, &err), &err);
  lp_db_close(db);
  as.release(&as);
  lp__wschema_reset(&ls);
}

static lp_store *open_mapped(void) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.create_if_missing = false;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.columns = (lp_store_columns){.id = "key", .vector = "emb", .text = "body", .path = "file"};
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, TABLE, &cfg, &s, &err), &err);
  return s;
}

static const lp_store_value *value_of(const lp_store_row *r, const char *name) {
  for (size_t i = 0; i < r->n_values; i++)
    if (strcmp(r->values[i].name, name) == 0) return &r->values[i];
  LP_FAIL("row %s has no value %s", r->id, name);
  return NULL;
}

static void check_full_row(const lp_store_row *r, const float *vec) {
  CHECK_STR_EQ(r->id, "full");
  CHECK_STR_EQ(r->path, "/a/x.c");
  CHECK_STR_EQ(r->text, "alpha beta");
  CHECK(r->vector != NULL && memcmp(r->vector, vec, sizeof(float) * DIM) == 0);
  CHECK(r->metadata == NULL && !r->has_created_at); /* the table has neither */
  CHECK_EQ(r->n_values, 9);                         /* every extra column but the binary one */
  CHECK_EQ(value_of(r, "i8")->i, -100);
  CHECK_EQ(value_of(r, "u16")->i, 65000);
  CHECK_EQ(value_of(r, "i32")->i, -2000000000);
  CHECK_EQ(value_of(r, "u64")->i, INT64_MAX);
  CHECK(value_of(r, "f32")->type == LP_STORE_VALUE_FLOAT && value_of(r, "f32")->f == 0.25);
  CHECK(value_of(r, "f64")->f == 1e300);
  CHECK(value_of(r, "flag")->type == LP_STORE_VALUE_BOOL && value_of(r, "flag")->b);
  CHECK_EQ(value_of(r, "day")->i, 19000);
  CHECK_EQ(value_of(r, "ts")->i, 1700000000123);
}

static void check_sparse_row(const lp_store_row *r) {
  CHECK_STR_EQ(r->id, "sparse");
  CHECK(r->path == NULL && r->text == NULL);
  CHECK_EQ(value_of(r, "i32")->i, 7);
  static const char *const nulls[] = {"i8", "u16", "u64", "f32", "f64", "flag", "day", "ts"};
  for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) CHECK(value_of(r, nulls[i])->type == LP_STORE_VALUE_NULL);
}

static void expect_refused(lp_store *s, lp_store_record r, const char *message) {
  lp_error err = {0};
  CHECK_EQ(lp_store_add(s, &r, 1, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, message);
}

static void refusals(lp_store *s, const lp_store_record *good) {
  lp_store_record r = *good;
  r.id = "bad";
  lp_store_value only_i8[] = {{.name = "i8", .type = LP_STORE_VALUE_INT, .i = 1}};
  r.values = only_i8;
  r.n_values = 1;
  expect_refused(s, r, "no value for column 'i32', which is not nullable");
  lp_store_value wrong[] = {{.name = "i32", .type = LP_STORE_VALUE_FLOAT, .f = 1}};
  r.values = wrong;
  expect_refused(s, r, "column 'i32' takes int values, given float");
  lp_store_value null_req[] = {{.name = "i32", .type = LP_STORE_VALUE_NULL}};
  r.values = null_req;
  expect_refused(s, r, "column 'i32' is not nullable");
  lp_store_value blob[] = {{.name = "i32", .type = LP_STORE_VALUE_INT}, {.name = "blob", .type = LP_STORE_VALUE_STRING, .str = "x"}};
  r.values = blob;
  r.n_values = 2;
  expect_refused(s, r, "value 'blob' is not an extra column");
  lp_store_value role[] = {{.name = "i32", .type = LP_STORE_VALUE_INT}, {.name = "body", .type = LP_STORE_VALUE_STRING, .str = "x"}};
  r.values = role;
  expect_refused(s, r, "value 'body' is not an extra column");
  lp_store_value twice[] = {{.name = "i32", .type = LP_STORE_VALUE_INT}, {.name = "i32", .type = LP_STORE_VALUE_INT}};
  r.values = twice;
  expect_refused(s, r, "value 'i32' is given twice");
  lp_store_value null_str[] = {{.name = "i32", .type = LP_STORE_VALUE_INT}, {.name = "day", .type = LP_STORE_VALUE_STRING}};
  r.values = null_str;
  expect_refused(s, r, "takes int values, given string");
  r.values = NULL;
  expect_refused(s, r, "values is NULL");
  r = *good;
  r.id = "bad";
  r.metadata = "{}";
  expect_refused(s, r, "no metadata column");
}

int main(void) {
  st_scratch("store_columns", g_dir, sizeof g_dir);
  create_table();
  lp_store *s = open_mapped();
  lp_error err = {0};
  float v1[DIM] = {1, 0, 0, 0}, v2[DIM] = {0, 1, 0, 0};
  lp_store_value full[] = {
      {.name = "i8", .type = LP_STORE_VALUE_INT, .i = -100},
      {.name = "u16", .type = LP_STORE_VALUE_INT, .i = 65000},
      {.name = "i32", .type = LP_STORE_VALUE_INT, .i = -2000000000},
      {.name = "u64", .type = LP_STORE_VALUE_INT, .i = INT64_MAX},
      {.name = "f32", .type = LP_STORE_VALUE_FLOAT, .f = 0.25},
      {.name = "f64", .type = LP_STORE_VALUE_FLOAT, .f = 1e300},
      {.name = "flag", .type = LP_STORE_VALUE_BOOL, .b = true},
      {.name = "day", .type = LP_STORE_VALUE_INT, .i = 19000},
      {.name = "ts", .type = LP_STORE_VALUE_INT, .i = 1700000000123},
  };
  lp_store_value sparse[] = {{.name = "i32", .type = LP_STORE_VALUE_INT, .i = 7},
                             {.name = "flag", .type = LP_STORE_VALUE_NULL}};
  lp_store_record recs[2] = {
      {.id = "full", .path = "/a/x.c", .text = "alpha beta", .vector = v1, .dim = DIM, .values = full, .n_values = 9},
      {.id = "sparse", .vector = v2, .dim = DIM, .values = sparse, .n_values = 2},
  };
  refusals(s, &recs[0]);
  uint64_t n = 0;
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  CHECK_EQ(n, 0);
  CHECK_OK(lp_store_add(s, recs, 2, &err), &err);
  const char *ids[3] = {"sparse", "nope", "full"};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get(s, ids, 3, &rows, &err), &err);
  CHECK_EQ(rows.n, 2);
  check_sparse_row(&rows.rows[0]);
  check_full_row(&rows.rows[1], v1);
  lp_store_rows_reset(&rows);

  /* search: filters on extra columns, a projection, distance; text search with or without an FTS index */
  lp_store_query q;
  lp_store_query_init(&q);
  q.vector = v2;
  q.dim = DIM;
  q.where = "i32 < 0";
  static const char *const proj[] = {"key", "ts"};
  q.columns = proj;
  q.n_columns = 2;
  CHECK_OK(lp_store_query_run(s, &q, &rows, &err), &err);
  CHECK_EQ(rows.n, 1);
  CHECK_STR_EQ(rows.rows[0].id, "full");
  CHECK(rows.rows[0].distance == 2.0f && rows.rows[0].vector == NULL && rows.rows[0].n_values == 1);
  lp_store_rows_reset(&rows);
  /* text search on a column without an FTS index uses LanceDB's default tokenizer: "alpha" finds the
   * "alpha beta" row, the filter still applies (i32 < 0), and the projection still holds */
  q.mode = LP_STORE_SEARCH_TEXT;
  q.text = "alpha";
  CHECK_OK(lp_store_query_run(s, &q, &rows, &err), &err);
  CHECK_EQ(rows.n, 1);
  CHECK_STR_EQ(rows.rows[0].id, "full");
  CHECK(rows.rows[0].vector == NULL && rows.rows[0].n_values == 1);
  lp_store_rows_reset(&rows);
  q.where = "i32 > 0";
  CHECK_OK(lp_store_query_run(s, &q, &rows, &err), &err);
  CHECK_EQ(rows.n, 0);
  lp_store_rows_reset(&rows);
  q.where = "i32 < 0";
  q.mode = LP_STORE_SEARCH_HYBRID;
  q.text = "";
  CHECK_EQ(lp_store_query_run(s, &q, &rows, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "needs keywords");
  q.mode = (lp_store_search_mode)7;
  CHECK_EQ(lp_store_query_run(s, &q, &rows, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "unknown mode 7");
  CHECK_EQ(lp_store_query_run(s, NULL, &rows, &err), LP_EINVAL);

  /* paths, upsert by the mapped id, delete by path */
  char **paths = NULL;
  CHECK_OK(lp_store_paths(s, &paths, &n, &err), &err);
  CHECK_EQ(n, 1);
  CHECK_STR_EQ(paths[0], "/a/x.c");
  lp_store_paths_free(paths, n);
  recs[1].path = "/b/y.c";
  sparse[0].i = 8;
  CHECK_OK(lp_store_upsert(s, &recs[1], 1, &err), &err);
  CHECK_OK(lp_store_paths(s, &paths, &n, &err), &err);
  CHECK_EQ(n, 2);
  CHECK_STR_EQ(paths[1], "/b/y.c");
  lp_store_paths_free(paths, n);
  CHECK_OK(lp_store_delete_path(s, "/a/x.c", &n, &err), &err);
  CHECK_EQ(n, 1);
  CHECK_OK(lp_store_get(s, ids, 3, &rows, &err), &err);
  CHECK_EQ(rows.n, 1);
  CHECK_EQ(value_of(&rows.rows[0], "i32")->i, 8);
  lp_store_rows_reset(&rows);
  CHECK_OK(lp_store_delete_ids(s, ids, 1, &n, &err), &err);
  CHECK_EQ(n, 1);
  st_check_balanced(s);
  lp_store_close(s);

  /* a table without text or path columns: those searches and calls are refused clearly */
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.create_if_missing = false;
  cfg.columns = (lp_store_columns){.id = "key", .vector = "emb"};
  CHECK_OK(lp_store_open(g_dir, TABLE, &cfg, &s, &err), &err);
  CHECK_EQ(lp_store_paths(s, &paths, &n, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no path column");
  CHECK_EQ(lp_store_delete_path(s, "/b/y.c", &n, &err), LP_EINVAL);
  q.mode = LP_STORE_SEARCH_TEXT;
  q.text = "alpha";
  CHECK_EQ(lp_store_query_run(s, &q, &rows, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no text column");
  lp_store_record p = recs[0];
  p.id = "p";
  expect_refused(s, p, "path given, but the table has no path column");
  lp_store_close(s);
  fprintf(stderr, "test_store_columns: ok\n");
  return 0;
}
