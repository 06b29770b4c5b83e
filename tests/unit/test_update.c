/* lp_db_update by lancepool alone (tests/interop/test_update_interop.sh checks the results against LanceDB):
 * 6000 rows in 3 fragments with deleted rows; updates computed from the old values, one crossing the
 * evaluator's 4096-row chunks, one of every row; then bad input of every kind is refused with
 * LP_EINVAL / LP_EUNSUPPORTED and a message, and commits nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/write_schema.h"
#include "write/write_json.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_ROWS 6000

static void make_table(lp_db *db, lp_error *err) {
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, x:float64, s:utf8, n:int32 not null, v:vector(2)", &s, err), err);
  json_t **rows = calloc(N_ROWS, sizeof *rows);
  size_t *lines = calloc(N_ROWS, sizeof *lines);
  for (int r = 0; r < N_ROWS; r++) {
    char j[256];
    if (r % 10 == 7) snprintf(j, sizeof j, "{\"id\":%d,\"x\":null,\"s\":null,\"n\":%d,\"v\":[1,2]}", r, r % 100);
    else snprintf(j, sizeof j, "{\"id\":%d,\"x\":%d.5,\"s\":\"r%d\",\"n\":%d,\"v\":[1,2]}", r, r, r, r % 100);
    json_error_t je;
    rows[r] = json_loads(j, 0, &je);
    if (rows[r] == NULL) LP_FAIL("row %d: %s", r, je.text);
    lines[r] = (size_t)r + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&s, rows, lines, N_ROWS, b, err), err);
  for (int r = 0; r < N_ROWS; r++) json_decref(rows[r]);
  free(rows);
  free(lines);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&s, &as, err), err);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&s, b, 1, &st, err), err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.max_rows_per_file = 2000;
  o.durable = false;
  uint64_t v = 0;
  CHECK_OK(lp_db_create_table(db, "t", &as, &st, false, &o, &v, err), err);
  as.release(&as);
  lp__wschema_reset(&s);
  uint64_t n = 0;
  CHECK_OK(lp_db_delete(db, "t", "id % 11 = 4", &o, &n, &v, err), err);
  CHECK_EQ(v, 2u);
}

static uint64_t count_where(lp_db *db, const char *where) {
  lp_error err = {0};
  lp_table *t = NULL;
  uint64_t n = 0;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_OK(lp_table_count_where(t, where, &n, &err), &err);
  lp_table_close(t);
  return n;
}

static uint64_t latest(lp_db *db) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t v = lp_table_version(t);
  lp_table_close(t);
  return v;
}

/* One bad update: the code, a message containing `msg`, and no new version. */
static void refused(lp_db *db, const char *col, const char *val, const char *where, lp_status code, const char *msg) {
  lp_error err = {0};
  uint64_t before = latest(db), n = 99, v = 99;
  const char *cols[] = {col}, *vals[] = {val};
  lp_status rc = lp_db_update(db, "t", cols, vals, 1, where, NULL, &n, &v, &err);
  if (rc != code) LP_FAIL("update %s = %s: status %d (%s), expected %d", col, val, rc, err.message, code);
  CHECK_CONTAINS(err.message, msg);
  CHECK_EQ(n, 0u);
  CHECK_EQ(latest(db), before);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  char dir[4096], cmd[9000];
  snprintf(dir, sizeof dir, "%s/update", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  make_table(db, &err);
  uint64_t live = count_where(db, "TRUE");
  CHECK_EQ(live, (uint64_t)(N_ROWS - (N_ROWS + 6) / 11));

  /* x from x and id, s from s, in the rows id >= 1000 (4700+ rows: more than one 4096-row chunk) */
  const char *c1[] = {"x", "s"}, *v1[] = {"x * 2 - id", "concat(s, '/', CAST(n AS STRING))"};
  uint64_t n = 0, v = 0, want = count_where(db, "id >= 1000");
  CHECK_OK(lp_db_update(db, "t", c1, v1, 2, "id >= 1000", NULL, &n, &v, &err), &err);
  CHECK_EQ(n, want);
  CHECK_EQ(v, 3u);
  CHECK_EQ(count_where(db, "TRUE"), live);
  /* x was id + 0.5, so x * 2 - id = id + 1; nulls stay null */
  CHECK_EQ(count_where(db, "id >= 1000 AND x = id + 1"), count_where(db, "id >= 1000 AND id % 10 != 7"));
  CHECK_EQ(count_where(db, "id >= 1000 AND x IS NULL"), count_where(db, "id >= 1000 AND id % 10 = 7"));
  CHECK_EQ(count_where(db, "id < 1000 AND x = id + 0.5"), count_where(db, "id < 1000 AND id % 10 != 7"));
  CHECK_EQ(count_where(db, "s = concat('r', CAST(id AS STRING), '/', CAST(id % 100 AS STRING))"),
           count_where(db, "id >= 1000 AND id % 10 != 7"));
  CHECK_EQ(count_where(db, "id % 11 = 4"), 0u); /* deleted rows stay deleted */

  /* every row, and a non-nullable column from itself */
  const char *c2[] = {"n"}, *v2[] = {"n + 1000"};
  CHECK_OK(lp_db_update(db, "t", c2, v2, 1, NULL, NULL, &n, &v, &err), &err);
  CHECK_EQ(n, live);
  CHECK_EQ(count_where(db, "n >= 1000 AND n < 1100"), live);
  CHECK_EQ(count_where(db, "TRUE"), live);

  /* no row matched: LanceDB still commits a version */
  CHECK_OK(lp_db_update(db, "t", c2, v2, 1, "id < 0", NULL, &n, &v, &err), &err);
  CHECK_EQ(n, 0u);
  CHECK_EQ(v, 5u);

  refused(db, "nope", "1", NULL, LP_EINVAL, "no column \"nope\"");
  refused(db, "n", "NULL", NULL, LP_EINVAL, "non-nullable");
  refused(db, "n", "'abc'", NULL, LP_EINVAL, "cannot cast");
  refused(db, "n", "n / 0", NULL, LP_EINVAL, "division by zero");
  refused(db, "n", "(1", NULL, LP_EINVAL, "expected");
  refused(db, "n", "n > 1", NULL, LP_EUNSUPPORTED, "condition");
  refused(db, "v", "1", NULL, LP_EUNSUPPORTED, "only scalar columns");
  refused(db, "n", "1", "nope = 1", LP_EINVAL, "nope");
  refused(db, "n", "1", "id = 'x' AND", LP_EINVAL, "predicate");
  const char *two[] = {"n", "n"}, *vals[] = {"1", "2"};
  CHECK_EQ(lp_db_update(db, "t", two, vals, 2, NULL, NULL, &n, &v, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "set twice");
  CHECK_EQ(lp_db_update(db, "t", two, vals, 0, NULL, NULL, &n, &v, &err), LP_EINVAL);
  CHECK_EQ(lp_db_update(NULL, "t", two, vals, 1, NULL, NULL, &n, &v, &err), LP_EINVAL);
  CHECK_EQ(lp_db_update(db, "t", NULL, vals, 1, NULL, NULL, &n, &v, &err), LP_EINVAL);
  CHECK_EQ(lp_db_update(db, "t", two, vals, 1, NULL, NULL, &n, NULL, &err), LP_EINVAL);
  CHECK_NE(lp_db_update(db, "no_such_table", two, vals, 1, NULL, NULL, &n, &v, &err), LP_OK);
  CHECK_NE(lp_db_update(db, "../x", two, vals, 1, NULL, NULL, &n, &v, &err), LP_OK);
  CHECK_EQ(latest(db), 5u);
  lp_db_close(db);
  return 0;
}
