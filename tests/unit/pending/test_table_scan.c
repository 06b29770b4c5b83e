/* Scans and takes end to end (needs the data-file decoder of branch `datafile`: move this file to
 * tests/unit/ once lp__datafile_* is implemented). Against the LanceDB sample: the ids every version
 * returns (time travel with deletions, a removed fragment, a restore), projection, offset/limit across
 * fragments, batch sizes, and take in any order with repeats; against tbl_deletions.mjs's table (run into
 * LP_TEST_TMP): 20 000 rows with 9 336 deleted through .arrow and .bin files, scanned in batches that
 * straddle deletion runs, checked row by row against the predicates. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lp_test.h"

static char g_sample[4096], g_dels[4096];

/* Scan `name`@version with the options and append every id (int32 column 0 of each batch) to ids. */
static size_t scan_ids(lp_db *db, const char *name, uint64_t version, const lp_scan_options *o, int32_t *ids,
                       size_t cap, uint32_t *max_batch) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, name, version, &t, &err), &err);
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, o, &st, &err), &err);
  size_t n = 0;
  *max_batch = 0;
  for (;;) {
    struct ArrowArray b;
    int rc = st.get_next(&st, &b);
    if (rc != 0) LP_FAIL("get_next: %d: %s", rc, st.get_last_error(&st));
    if (b.release == NULL) break;
    CHECK_GT(b.length, 0);
    if ((uint32_t)b.length > *max_batch) *max_batch = (uint32_t)b.length;
    const struct ArrowArray *c = b.children[0];
    CHECK_EQ(c->length, b.length);
    const int32_t *v = (const int32_t *)c->buffers[1] + c->offset;
    for (int64_t i = 0; i < b.length; i++) {
      CHECK_LT(n, cap);
      ids[n++] = v[i];
    }
    b.release(&b);
  }
  st.release(&st);
  lp_table_close(t);
  return n;
}

static void test_sample_versions(void) {
  static const char *want[] = {NULL,
                               "0 1 2 3 4",
                               "0 1 2 3 4 5 6 7 8",
                               "0 1 2 3 4 5 6 7 8 9 10 11",
                               "0 1 3 4 5 7 8 9 10 11",
                               "0 1 3 4 5 7 8",
                               "0 3 4 5 7 8 1",
                               "0 3 4 5 7 8 1",
                               "0 3 4 5 7 8 1",
                               "0 1 2 3 4 5 6 7 8 9 10 11"};
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_sample, NULL, &db, &err), &err);
  for (uint64_t v = 1; v <= 9; v++) {
    int32_t ids[64];
    uint32_t mb;
    size_t n = scan_ids(db, "sample", v, NULL, ids, 64, &mb);
    char got[256] = "";
    for (size_t i = 0; i < n; i++) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d", i ? " " : "", ids[i]);
    if (strcmp(got, want[v]) != 0) LP_FAIL("version %llu: ids \"%s\", expected \"%s\"", (unsigned long long)v, got, want[v]);
  }
  /* offset/limit across fragments, tiny batches, projection of id only. */
  lp_scan_options o;
  lp_scan_options_init(&o);
  const char *cols[] = {"id"};
  o.columns = cols;
  o.n_columns = 1;
  o.offset = 3;
  o.limit = 5;
  o.batch_rows = 2;
  int32_t ids[64];
  uint32_t mb;
  size_t n = scan_ids(db, "sample", 4, &o, ids, 64, &mb);
  CHECK_EQ(n, 5);
  const int32_t w4[] = {4, 5, 7, 8, 9};
  for (size_t i = 0; i < n; i++) CHECK_EQ(ids[i], w4[i]);
  CHECK_LE(mb, 2);
  const char *bad[] = {"nope"};
  o.columns = bad;
  lp_table *t = NULL;
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_open(db, "sample", 4, &t, &err), &err);
  CHECK_EQ(lp_table_scan(t, &o, &st, &err), LP_ENOTFOUND);
  /* take: any order, repeats; positions are among live rows (version 4: ids 0 1 3 4 5 7 8 9 10 11). */
  const uint64_t pos[] = {9, 0, 2, 2, 5, 3};
  struct ArrowArray a;
  struct ArrowSchema s;
  CHECK_OK(lp_table_take(t, pos, 6, cols, 1, &a, &s, &err), &err);
  CHECK_EQ(a.length, 6);
  const int32_t *v = (const int32_t *)a.children[0]->buffers[1] + a.children[0]->offset;
  const int32_t wt[] = {11, 0, 3, 3, 7, 4};
  for (int i = 0; i < 6; i++) CHECK_EQ(v[i], wt[i]);
  a.release(&a);
  s.release(&s);
  const uint64_t past[] = {10};
  CHECK_EQ(lp_table_take(t, past, 1, NULL, 0, &a, &s, &err), LP_EINVAL);
  lp_db_close(db);
}

static bool deleted_id(int32_t id) {
  return (id < 10000 && (id % 3 == 0 || id == 1 || id == 4)) || (id >= 10000 && id < 16000);
}

static void test_deletions_scan(void) {
  lp_error err = {0};
  lp_session *ses = NULL;
  lp_db *db = NULL;
  CHECK_OK(lp_session_create(NULL, &ses, &err), &err);
  CHECK_OK(lp_db_open(g_dels, ses, &db, &err), &err);
  lp_session_unref(ses);
  int32_t *ids = malloc(20000 * sizeof *ids);
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.batch_rows = 1000;
  uint32_t mb;
  size_t n = scan_ids(db, "dels", LP_VERSION_LATEST, &o, ids, 20000, &mb);
  CHECK_EQ(n, 10664);
  CHECK_LE(mb, 1000);
  size_t k = 0;
  for (int32_t id = 0; id < 20000; id++)
    if (!deleted_id(id)) {
      if (ids[k] != id) LP_FAIL("row %zu: id %d, expected %d", k, ids[k], id);
      k++;
    }
  /* take every 97th live row, backwards */
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "dels", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t pos[200];
  size_t np = 0;
  for (uint64_t p = 0; p < n; p += 97) pos[np++] = n - 1 - p;
  struct ArrowArray a;
  struct ArrowSchema s;
  CHECK_OK(lp_table_take(t, pos, np, NULL, 0, &a, &s, &err), &err);
  const int32_t *v = (const int32_t *)a.children[0]->buffers[1] + a.children[0]->offset;
  for (size_t i = 0; i < np; i++) CHECK_EQ(v[i], ids[pos[i]]);
  a.release(&a);
  s.release(&s);
  free(ids);
  lp_db_close(db);
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR"), *tmp = getenv("LP_TEST_TMP"), *node = getenv("LP_NODE_DIR");
  if (!src || !tmp || !node) LP_FAIL("run through ctest (LP_SOURCE_DIR, LP_TEST_TMP, LP_NODE_DIR)");
  snprintf(g_sample, sizeof g_sample, "%s/tests/data/sample_v031", src);
  snprintf(g_dels, sizeof g_dels, "%s/tbl_scan", tmp);
  char cmd[16384];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && node '%s/tbl_deletions.mjs' '%s' >/dev/null 2>&1", g_dels,
           g_dels, node, g_dels);
  if (system(cmd) != 0) LP_FAIL("%s failed", cmd);
  RUN_TEST(test_sample_versions);
  RUN_TEST(test_deletions_scan);
  return 0;
}
