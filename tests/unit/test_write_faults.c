/* Write failures leave the table at its previous version: a full disk (injected ENOSPC after k bytes, for
 * every k until the write fits) at every stage of an append (data file, transaction, manifest) and of a
 * delete (deletion file), and each failure reports a clear error. Also: bad rows, bad names, an existing
 * table, appends whose schema does not match. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/datafile_write.h"
#include "io/io.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char db_dir[4096];
static lp__schema schema;

static struct ArrowArrayStream rows_stream(int64_t first, int n) {
  lp_error err = {0};
  json_t **rows = calloc((size_t)n, sizeof *rows);
  size_t *lines = calloc((size_t)n, sizeof *lines);
  for (int i = 0; i < n; i++) {
    char buf[128];
    snprintf(buf, sizeof buf, "{\"id\": %" PRId64 ", \"text\": \"t%d\", \"v\": [1, 2, %d]}", first + i, i, i);
    rows[i] = json_loads(buf, 0, NULL);
    lines[i] = (size_t)i + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&schema, rows, lines, (size_t)n, b, &err), &err);
  for (int i = 0; i < n; i++) json_decref(rows[i]);
  free(rows);
  free(lines);
  struct ArrowArrayStream s;
  CHECK_OK(lp__batches_stream(&schema, b, 1, &s, &err), &err);
  return s;
}

static uint64_t latest(lp_db *db, uint64_t *rows) {
  lp_error err = {0};
  lp_table *t;
  CHECK_OK(lp_table_open(db, "f", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t v = lp_table_version(t);
  CHECK_OK(lp_table_count_rows(t, rows, &err), &err);
  lp_table_close(t);
  return v;
}

static int count_staging(void) {
  char p[4200];
  snprintf(p, sizeof p, "%s/f.lance/_versions", db_dir);
  DIR *d = opendir(p);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) n += strchr(de->d_name, '#') != NULL || strncmp(de->d_name, ".tmp", 4) == 0;
  if (d) closedir(d);
  return n;
}

static void test_full_disk_append(lp_db *db) {
  lp_error err = {0};
  uint64_t rows0, v0 = latest(db, &rows0);
  int failures = 0;
  for (uint64_t k = 0;; k += k < 64 ? 16 : k / 3) {
    struct ArrowArrayStream s = rows_stream(1000 + (int64_t)k, 3);
    lp__write_fail_errno = ENOSPC;
    lp__write_fail_after = k;
    uint64_t v = 0;
    lp_status st = lp_db_add(db, "f", &s, NULL, &v, &err);
    bool hook_fired = lp__write_fail_after == 0;
    lp__write_fail_errno = 0;
    uint64_t rows;
    if (st == LP_OK) {
      CHECK(!hook_fired || k == 0);
      CHECK_EQ(latest(db, &rows), v0 + 1);
      CHECK_EQ(rows, rows0 + 3);
      break;
    }
    failures++;
    CHECK_EQ(st, LP_EIO);
    CHECK_CONTAINS(err.message, "No space left on device");
    CHECK_CONTAINS(err.message, "add to f");
    CHECK_EQ(latest(db, &rows), v0); /* nothing committed */
    CHECK_EQ(rows, rows0);
    CHECK_EQ(count_staging(), 0);
  }
  fprintf(stderr, "full disk: %d failing appends, each left the table at version %" PRIu64 "\n", failures, v0);
  CHECK_GT(failures, 5);
}

static void test_full_disk_delete(lp_db *db) {
  lp_error err = {0};
  uint64_t rows0, v0 = latest(db, &rows0);
  lp__write_fail_errno = ENOSPC;
  lp__write_fail_after = 10;
  uint64_t n = 0, v = 0;
  lp_status st = lp_db_delete(db, "f", "id = 1", NULL, &n, &v, &err);
  lp__write_fail_errno = 0;
  CHECK_EQ(st, LP_EIO);
  CHECK_CONTAINS(err.message, "No space left on device");
  uint64_t rows;
  CHECK_EQ(latest(db, &rows), v0);
  CHECK_EQ(rows, rows0);
  CHECK_OK(lp_db_delete(db, "f", "id = 1", NULL, &n, &v, &err), &err);
  CHECK_EQ(n, 1);
  CHECK_EQ(v, v0 + 1);
}

static void test_rejects(lp_db *db) {
  lp_error err = {0};
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&schema, &as, &err), &err);
  uint64_t v;
  CHECK_EQ(lp_db_create_table(db, "f", &as, NULL, false, NULL, &v, &err), LP_EEXIST);
  CHECK_CONTAINS(err.message, "already exists");
  CHECK_EQ(lp_db_create_table(db, "bad/name", &as, NULL, false, NULL, &v, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "bad/name");
  as.release(&as);
  /* an append whose schema differs */
  lp__schema other;
  CHECK_OK(lp__wschema_parse_spec("id:int32", &other, &err), &err);
  json_t *row = json_loads("{\"id\": 1}", 0, NULL);
  size_t line = 1;
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&other, &row, &line, 1, b, &err), &err);
  json_decref(row);
  struct ArrowArrayStream s;
  CHECK_OK(lp__batches_stream(&other, b, 1, &s, &err), &err);
  CHECK_EQ(lp_db_add(db, "f", &s, NULL, &v, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "expected 3 columns");
  lp__wschema_reset(&other);
  /* JSON rows that do not fit */
  const char *bad[][2] = {
      {"{\"id\": 1, \"v\": [1, 2]}", "line 1: field \"v\": expected 3 values, found 2"},
      {"{\"text\": \"x\"}", "line 1: field \"id\": missing value for a non-null field"},
      {"{\"id\": 1.5}", "line 1: field \"id\": expected an integer, found a number"},
      {"{\"id\": 1, \"nope\": 2}", "line 1: field \"nope\": no such column"},
      {"{\"id\": 1, \"v\": [1, \"a\", 3]}", "line 1: field \"v\": expected a number, found a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *r = json_loads(bad[i][0], 0, NULL);
    struct ArrowArray a;
    CHECK_EQ(lp__json_rows_to_batch(&schema, &r, &line, 1, &a, &err), LP_EINVAL);
    CHECK_CONTAINS(err.message, bad[i][1]);
    json_decref(r);
  }
  /* spec errors */
  lp__schema x;
  CHECK_EQ(lp__wschema_parse_spec("a:int64, a:utf8", &x, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "duplicate");
  CHECK_EQ(lp__wschema_parse_spec("a:vector(0)", &x, &err), LP_EINVAL);
  CHECK_EQ(lp__wschema_parse_spec("a:timestamp[us, tz=+05:30]", &x, &err), LP_EINVAL);
  CHECK_EQ(lp__wschema_parse_spec("a:blob", &x, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "unknown type \"blob\"");
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  snprintf(db_dir, sizeof db_dir, "%s/write_faults", tmp);
  char cmd[3 * sizeof db_dir];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", db_dir, db_dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, text:utf8, v:vector(3)", &schema, &err), &err);
  lp_db *db;
  CHECK_OK(lp_db_open(db_dir, NULL, &db, &err), &err);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&schema, &as, &err), &err);
  struct ArrowArrayStream s = rows_stream(0, 10);
  uint64_t v;
  CHECK_OK(lp_db_create_table(db, "f", &as, &s, false, NULL, &v, &err), &err);
  CHECK_EQ(v, 1);
  as.release(&as);
  fprintf(stderr, "-- rejects\n");
  test_rejects(db);
  fprintf(stderr, "-- full disk append\n");
  test_full_disk_append(db);
  fprintf(stderr, "-- full disk delete\n");
  test_full_disk_delete(db);
  lp_db_close(db);
  lp__wschema_reset(&schema);
  return 0;
}
