/* lp_db_update, lp_db_merge, tags and lp_db_alter by lancepool alone (tests/interop/test_update_interop.sh and
 * test_merge_interop.sh check the results against LanceDB): 6000 rows in 3 fragments with deleted rows;
 * updates computed from the old values, one crossing the evaluator's 4096-row chunks, one of every row; a
 * merge on two keys with every clause; then bad input of every kind is refused with LP_EINVAL /
 * LP_EUNSUPPORTED and a message, and commits nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/write_schema.h"
#include "table/table.h"
#include "write/write_json.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_ROWS 6000

#define SPEC "id:int64 not null, x:float64, s:utf8, n:int32 not null, v:vector(2)"

/* Rows first..first+n-1 (plus row `first` again when dup) as a stream of the table's schema. */
static void rows_stream(lp__schema *s, int first, int n, bool dup, struct ArrowArrayStream *st, lp_error *err) {
  json_t **rows = calloc((size_t)n + 1, sizeof *rows);
  size_t *lines = calloc((size_t)n + 1, sizeof *lines);
  int total = n + dup;
  for (int k = 0; k < total; k++) {
    int r = k < n ? first + k : first;
    char j[256];
    if (r % 10 == 7) snprintf(j, sizeof j, "{\"id\":%d,\"x\":null,\"s\":null,\"n\":%d,\"v\":[1,2]}", r, r % 100);
    else snprintf(j, sizeof j, "{\"id\":%d,\"x\":%d.5,\"s\":\"r%d\",\"n\":%d,\"v\":[1,2]}", r, r, r, r % 100);
    json_error_t je;
    rows[k] = json_loads(j, 0, &je);
    if (rows[k] == NULL) LP_FAIL("row %d: %s", r, je.text);
    lines[k] = (size_t)k + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(s, rows, lines, (size_t)total, b, err), err);
  for (int k = 0; k < total; k++) json_decref(rows[k]);
  free(rows);
  free(lines);
  CHECK_OK(lp__batches_stream(s, b, 1, st, err), err);
}

static void make_table(lp_db *db, lp_error *err) {
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec(SPEC, &s, err), err);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&s, &as, err), err);
  struct ArrowArrayStream st;
  rows_stream(&s, 0, N_ROWS, false, &st, err);
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

static lp_status merge_rows(lp_db *db, const lp_merge_options *m, int first, int n, bool dup, uint64_t *u,
                            uint64_t *i, uint64_t *d, lp_error *err) {
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec(SPEC, &s, err), err);
  struct ArrowArrayStream st;
  rows_stream(&s, first, n, dup, &st, err);
  uint64_t v = 0;
  lp_status rc = lp_db_merge(db, "t", m, &st, NULL, u, i, d, &v, err);
  lp__wschema_reset(&s);
  return rc;
}

/* After the updates: x = id + 1 and n = id % 100 + 1000 where id >= 1000. */
static void test_merge(lp_db *db) {
  lp_error err = {0};
  uint64_t u = 0, i = 0, d = 0, live = count_where(db, "TRUE");
  /* rows 5990..6009 on key id: the live ones of 5990..5999 match and are replaced where the target's n
   * is even and x not null; the others are inserted; rows not matched with 5000 <= id < 5100 are deleted */
  const char *on[] = {"id", "s"};
  lp_merge_options m = {on, 1, true, "target.n % 2 = 0 AND source.x = target.x - 0.5", true, true,
                        "id >= 5000 AND id < 5100"};
  uint64_t even = count_where(db, "id >= 5990 AND id < 6000 AND x IS NOT NULL AND n % 2 = 0");
  uint64_t matched = count_where(db, "id >= 5990 AND id < 6010");
  uint64_t gone = count_where(db, "id >= 5000 AND id < 5100");
  CHECK_GT(even, 2u);
  CHECK_GT(10u, matched - even);
  CHECK_OK(merge_rows(db, &m, 5990, 20, false, &u, &i, &d, &err), &err);
  CHECK_EQ(u, even);
  CHECK_EQ(i, 20 - matched);
  CHECK_EQ(d, gone);
  CHECK_EQ(count_where(db, "TRUE"), live + i - d);
  CHECK_EQ(count_where(db, "id >= 5990 AND id < 6000 AND n < 100 AND s = concat('r', CAST(id AS STRING))"),
           even + (10 - matched)); /* the source's rows: replaced or inserted */
  CHECK_EQ(count_where(db, "id >= 6000 AND id < 6010"), 10u);
  CHECK_EQ(count_where(db, "id >= 5000 AND id < 5100"), 0u);
  /* two keys: (id, s) of the source rows now in the table match, the rest are inserted */
  lp_merge_options two = {on, 2, true, NULL, true, false, NULL};
  uint64_t same = count_where(db, "id >= 6000 AND id < 6010 AND s IS NOT NULL");
  CHECK_OK(merge_rows(db, &two, 6000, 10, false, &u, &i, &d, &err), &err);
  CHECK_EQ(u, same);
  CHECK_EQ(i, 10 - same); /* a NULL key part matches nothing */
  CHECK_EQ(d, 0u);
  uint64_t v = latest(db);
  /* bad input: nothing committed */
  lp_merge_options none = {on, 2, false, NULL, false, false, NULL};
  CHECK_EQ(merge_rows(db, &none, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "nothing to do");
  lp_merge_options ins = {on, 1, false, NULL, true, false, NULL};
  CHECK_EQ(merge_rows(db, &ins, 1, 2, true, &u, &i, &d, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "appears twice");
  const char *bad_key[] = {"v"}, *no_key[] = {"nope"}, *twice[] = {"id", "id"};
  lp_merge_options bk = {bad_key, 1, false, NULL, true, false, NULL};
  CHECK_EQ(merge_rows(db, &bk, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  bk.on = no_key;
  CHECK_EQ(merge_rows(db, &bk, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  bk.on = twice;
  bk.n_on = 2;
  CHECK_EQ(merge_rows(db, &bk, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  lp_merge_options cond = {on, 1, true, "x > 1", false, false, NULL}; /* neither target. nor source. */
  CHECK_EQ(merge_rows(db, &cond, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  cond.update_all = false;
  cond.update_where = "target.x > 1";
  cond.insert_all = true;
  CHECK_EQ(merge_rows(db, &cond, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  CHECK_EQ(merge_rows(db, NULL, 1, 2, false, &u, &i, &d, &err), LP_EINVAL);
  CHECK_EQ(latest(db), v);
}

/* Tags by lancepool alone (tests/interop/test_tags_interop.sh checks them with LanceDB). */
static void test_tags(lp_db *db) {
  lp_error err = {0};
  uint64_t v = 0, latest_v = latest(db);
  CHECK_OK(lp_db_tag_create(db, "t", "a.tag-1", 2, &err), &err);
  CHECK_OK(lp_db_tag_create(db, "t", "b", latest_v, &err), &err);
  CHECK_OK(lp_db_tag_version(db, "t", "a.tag-1", &v, &err), &err);
  CHECK_EQ(v, 2u);
  lp_tag *tags = NULL;
  size_t n = 0;
  CHECK_OK(lp_db_tags(db, "t", &tags, &n, &err), &err);
  CHECK_EQ(n, 2u);
  CHECK_STR_EQ(tags[0].name, "a.tag-1");
  CHECK_EQ(tags[1].version, latest_v);
  lp_tags_free(tags, n);
  CHECK_EQ(lp_db_tag_create(db, "t", "b", 1, &err), LP_EEXIST);
  CHECK_EQ(lp_db_tag_create(db, "t", "c", latest_v + 1, &err), LP_ENOTFOUND);
  CHECK_EQ(lp_db_tag_create(db, "t", "c", 0, &err), LP_EINVAL);
  static const char *bad[] = {"", "a b", "../x", ".hidden", "-x", "x.lock", "a/b", "a..b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_EQ(lp_db_tag_create(db, "t", bad[i], 1, &err), LP_EINVAL);
    CHECK_EQ(lp_db_tag_version(db, "t", bad[i], &v, &err), LP_EINVAL);
  }
  CHECK_EQ(lp_db_tag_create(db, "t", NULL, 1, &err), LP_EINVAL);
  CHECK_EQ(lp_db_tag_create(NULL, "t", "x", 1, &err), LP_EINVAL);
  CHECK_NE(lp_db_tag_create(db, "nope", "x", 1, &err), LP_OK);
  CHECK_EQ(lp_db_tag_delete(db, "t", "nope", &err), LP_ENOTFOUND);
  CHECK_EQ(lp_db_tag_version(db, "t", "b", NULL, &err), LP_EINVAL);
  CHECK_EQ(lp_db_tags(db, "t", NULL, &n, &err), LP_EINVAL);
  /* cleanup keeps the tagged version 2 */
  uint64_t nv = 0, nf = 0;
  sleep(1); /* cleanup's cut-off has a resolution of seconds */
  CHECK_OK(lp_db_cleanup(db, "t", 0, &nv, &nf, &err), &err);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", 2, &t, &err), &err);
  lp_table_close(t);
  CHECK_EQ(lp_table_open(db, "t", 3, &t, &err), LP_ENOTFOUND);
  CHECK_OK(lp_db_tag_delete(db, "t", "a.tag-1", &err), &err);
  CHECK_OK(lp_db_tags(db, "t", &tags, &n, &err), &err);
  CHECK_EQ(n, 1u);
  lp_tags_free(tags, n);
}

/* Schema changes by lancepool alone (tests/interop/test_alter_interop.sh checks them with LanceDB). */
static void test_alter(lp_db *db) {
  lp_error err = {0};
  uint64_t v = 0, before = latest(db), rows = count_where(db, "TRUE"), xs = count_where(db, "x = id + 1");
  const char *from[] = {"x"}, *to[] = {"xx"}, *nul[] = {"n"}, *drop[] = {"s"};
  lp_alter_options a = {from, to, 1, nul, 1, drop, 1, NULL, NULL, 0};
  CHECK_OK(lp_db_alter(db, "t", &a, NULL, &v, &err), &err);
  CHECK_EQ(v, before + 1);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_EQ(t->m->schema.n_fields, 4u);
  CHECK_STR_EQ(t->m->schema.fields[1].name, "xx");
  CHECK(t->m->schema.fields[2].nullable);
  lp_table_close(t);
  CHECK_GT(xs, 1000u);
  CHECK_EQ(count_where(db, "xx = id + 1"), xs); /* the renamed column's values */
  CHECK_EQ(count_where(db, "TRUE"), rows);
  /* bad changes: nothing committed */
  const char *onto[] = {"id"}, *dotted[] = {"a.b"}, *none[] = {"nope"}, *all[] = {"id", "xx", "n", "v"};
  lp_alter_options bad[] = {{from, to, 1, NULL, 0, NULL, 0, NULL, NULL, 0},     /* x is gone */
                            {to, onto, 1, NULL, 0, NULL, 0, NULL, NULL, 0},     /* onto an existing column */
                            {to, dotted, 1, NULL, 0, NULL, 0, NULL, NULL, 0},   /* a dotted name */
                            {NULL, NULL, 0, none, 1, NULL, 0, NULL, NULL, 0},   /* unknown column */
                            {NULL, NULL, 0, NULL, 0, all, 4, NULL, NULL, 0},    /* every column */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0},   /* nothing */
                            {NULL, NULL, 1, NULL, 0, NULL, 0, NULL, NULL, 0}};  /* NULL lists */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (lp_db_alter(db, "t", &bad[i], NULL, &v, &err) != LP_EINVAL) LP_FAIL("bad alter %zu: %s", i, err.message);
  }
  CHECK_EQ(lp_db_alter(db, "t", NULL, NULL, &v, &err), LP_EINVAL);
  CHECK_EQ(lp_db_alter(db, "t", &a, NULL, NULL, &err), LP_EINVAL);
  CHECK_EQ(latest(db), before + 1);
}

/* Files in the table's data folder (a refused add leaves none behind). */
static size_t data_files(const char *dir) {
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "ls '%s/t.lance/data' | wc -l", dir);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL);
  unsigned long n = 0;
  CHECK_EQ(fscanf(f, "%lu", &n), 1);
  pclose(f);
  return (size_t)n;
}

/* New columns (lp_db_alter's adds) by lancepool alone, on the table test_alter left (id, xx, n, v):
 * computed over every row (xx has NULLs), typed and made nullable as DataFusion does, one new data file per
 * fragment with fresh field ids; then bad adds of each kind commit nothing and leave no file. */
static void test_add_columns(lp_db *db, const char *dir) {
  lp_error err = {0};
  uint64_t v = 0, before = latest(db), rows = count_where(db, "TRUE"), null_xx = count_where(db, "xx IS NULL");
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  size_t n_frags = t->m->n_fragments, old_fields = t->m->schema.n_fields;
  int32_t max_id = 0;
  for (size_t i = 0; i < n_frags; i++)
    for (size_t k = 0; k < t->m->fragments[i].files[0].n_fields; k++)
      if (t->m->fragments[i].files[0].fields[k] > max_id) max_id = t->m->fragments[i].files[0].fields[k];
  lp_table_close(t);
  /* row 4 is deleted (id % 11 = 4): its division by zero is not computed */
  const char *names[] = {"dbl", "half", "tag", "q"},
             *values[] = {"id * 2", "xx / 2", "concat('k', CAST(id AS STRING))", "100 / (id - 4)"};
  lp_alter_options a = {NULL, NULL, 0, NULL, 0, NULL, 0, names, values, 4};
  CHECK_OK(lp_db_alter(db, "t", &a, NULL, &v, &err), &err);
  CHECK_EQ(v, before + 1);
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  const lp__schema *s = &t->m->schema;
  CHECK_EQ(s->n_fields, old_fields + 4);
  const lp__field *dbl = &s->fields[old_fields], *half = dbl + 1, *tag = dbl + 2;
  CHECK_STR_EQ(dbl->name, "dbl");
  CHECK_EQ(dbl->type, LP__TYPE_INT64);
  CHECK(!dbl->nullable); /* id is not null */
  CHECK_EQ(half->type, LP__TYPE_FLOAT64);
  CHECK(half->nullable);
  CHECK_EQ(tag->type, LP__TYPE_UTF8);
  CHECK_EQ(t->m->n_fragments, n_frags);
  for (size_t i = 0; i < n_frags; i++) {
    const lp__fragment *f = &t->m->fragments[i];
    CHECK_EQ(f->n_files, 2u);
    CHECK_EQ(f->files[1].n_fields, 4u);
    for (size_t k = 0; k < 4; k++) CHECK_EQ(f->files[1].fields[k], max_id + 1 + (int32_t)k);
  }
  CHECK_EQ(dbl->id, max_id + 1);
  lp_table_close(t);
  CHECK_EQ(count_where(db, "TRUE"), rows);
  CHECK_EQ(count_where(db, "dbl = id * 2"), rows);
  CHECK_EQ(count_where(db, "half IS NULL"), null_xx);
  CHECK_EQ(count_where(db, "half * 2 = xx"), rows - null_xx);
  CHECK_EQ(count_where(db, "tag = concat('k', CAST(id AS STRING))"), rows);
  CHECK_EQ(count_where(db, "q = 100 / (id - 4)"), rows);

  /* bad adds: nothing committed, no file left */
  size_t files = data_files(dir);
  const char *nm[] = {"x", "x"}, *taken[] = {"id"}, *dotted[] = {"a.b"}, *empty[] = {""};
  const char *unknown[] = {"nope + 1"}, *untyped[] = {"NULL"}, *mistyped[] = {"tag + 1"}, *div0[] = {"1 / (id - id)"},
             *cut[] = {"1 +"}, *two[] = {"1", "2"}, *vec[] = {"v"}, *drop[] = {"n"};
  lp_alter_options bad[] = {{NULL, NULL, 0, NULL, 0, NULL, 0, nm, unknown, 1},  /* unknown column */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, taken, two, 1},   /* name taken */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, dotted, two, 1},  /* dotted name */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, empty, two, 1},   /* no name */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, nm, untyped, 1},  /* a NULL of no type */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, nm, mistyped, 1}, /* does not type-check */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, nm, div0, 1},     /* fails on rows */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, nm, cut, 1},      /* does not parse */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, nm, two, 2},      /* the same name twice */
                            {NULL, NULL, 0, NULL, 0, drop, 1, nm, two, 1},      /* with a drop */
                            {NULL, NULL, 0, NULL, 0, NULL, 0, NULL, two, 1}};   /* NULL names */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (lp_db_alter(db, "t", &bad[i], NULL, &v, &err) != LP_EINVAL) LP_FAIL("bad add %zu: %s", i, err.message);
    CHECK_EQ(data_files(dir), files);
  }
  lp_alter_options vector = {NULL, NULL, 0, NULL, 0, NULL, 0, nm, vec, 1};
  CHECK_EQ(lp_db_alter(db, "t", &vector, NULL, &v, &err), LP_EUNSUPPORTED);
  CHECK_CONTAINS(err.message, "cannot be used in an expression");
  CHECK_EQ(data_files(dir), files);
  CHECK_EQ(latest(db), before + 1);
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
  test_merge(db);
  test_tags(db);
  test_alter(db);
  test_add_columns(db, dir);
  lp_db_close(db);
  return 0;
}
