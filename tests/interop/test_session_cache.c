/* The session cache and the latest-version re-check, against a table official LanceDB 0.31.0 writes and
 * then commits to while we have it open (tests/interop/node/gen_small_table.mjs):
 *  - a first connection opens the latest version, scans every column and takes rows: each manifest,
 *    data-file footer/metadata and deletion vector is decoded once (misses = 1 + 3 + 3);
 *  - a second connection on the warm session opens, scans and takes with zero new misses, same rows;
 *  - LanceDB appends (version 5); opening the latest version again sees it, decoding only the new manifest
 *    and the new fragment's data file; the handle opened before keeps reading version 4. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrow_rowhash.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char g_dir[4096];

/* Scan every column of t; returns the live row count and a hash of all rows in order; *last_id = the id
 * column of the last row. */
static uint64_t scan_all(lp_table *t, uint64_t *out_hash, int64_t *last_id) {
  lp_error err = {0};
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, NULL, &st, &err), &err);
  struct ArrowSchema s;
  CHECK_EQ(st.get_schema(&st, &s), 0);
  CHECK_STR_EQ(s.children[0]->name, "id");
  uint64_t rows = 0, h = 0;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b) != 0) LP_FAIL("scan: %s", st.get_last_error(&st));
    if (b.release == NULL) break;
    for (int64_t i = 0; i < b.length; i++) h = h * 31 + rh_batch_row(&s, &b, i);
    *last_id = ((const int64_t *)b.children[0]->buffers[1])[b.children[0]->offset + b.length - 1];
    rows += (uint64_t)b.length;
    b.release(&b);
  }
  s.release(&s);
  st.release(&st);
  *out_hash = h;
  return rows;
}

static uint64_t take_some(lp_table *t, uint64_t n_rows) {
  lp_error err = {0};
  uint64_t pos[100];
  for (int i = 0; i < 100; i++) pos[i] = ((uint64_t)i * 7919) % n_rows;
  struct ArrowArray a;
  struct ArrowSchema s;
  CHECK_OK(lp_table_take(t, pos, 100, NULL, 0, &a, &s, &err), &err);
  uint64_t h = 0;
  for (int i = 0; i < 100; i++) h = h * 31 + rh_batch_row(&s, &a, i);
  a.release(&a);
  s.release(&s);
  return h;
}

static void node(const char *mode) {
  char cmd[12000];
  snprintf(cmd, sizeof cmd, "node '%s/gen_small_table.mjs' '%s' %s 2>/dev/null", getenv("LP_NODE_DIR"), g_dir, mode);
  if (system(cmd) != 0) LP_FAIL("LanceDB failed: %s", cmd);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  if (tmp == NULL || getenv("LP_NODE_DIR") == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  snprintf(g_dir, sizeof g_dir, "%s/session_cache", tmp);
  char cmd[8300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_dir, g_dir);
  CHECK_EQ(system(cmd), 0);
  node("create");

  lp_error err = {0};
  lp_session *ses = NULL;
  CHECK_OK(lp_session_create(NULL, &ses, &err), &err);
  lp_session_stats s0, s1, s2, s3;
  lp_session_stats_get(ses, &s0);
  CHECK_EQ(s0.misses, 0);

  /* first connection: everything decoded once */
  lp_db *db1 = NULL;
  lp_table *t1 = NULL;
  CHECK_OK(lp_db_open(g_dir, ses, &db1, &err), &err);
  CHECK_OK(lp_table_open(db1, "mixed", LP_VERSION_LATEST, &t1, &err), &err);
  CHECK_EQ(lp_table_version(t1), 4);
  uint64_t h1, h2;
  int64_t last1, last2;
  uint64_t n1 = scan_all(t1, &h1, &last1);
  CHECK_EQ(n1, 2100 - 420);
  CHECK_EQ(last1, 2099);
  uint64_t tk1 = take_some(t1, n1);
  lp_session_stats_get(ses, &s1);
  fprintf(stderr, "first connection: misses %llu hits %llu entries %zu bytes %zu\n", (unsigned long long)s1.misses,
          (unsigned long long)s1.hits, s1.entries, s1.bytes_used);
  CHECK_EQ(s1.misses, 1 + 3 + 3); /* manifest, 3 data files, 3 deletion vectors */
  CHECK_EQ(s1.entries, 7);

  /* second connection on the warm session: nothing decoded again */
  lp_db *db2 = NULL;
  lp_table *t2 = NULL;
  CHECK_OK(lp_db_open(g_dir, ses, &db2, &err), &err);
  CHECK_OK(lp_table_open(db2, "mixed", LP_VERSION_LATEST, &t2, &err), &err);
  CHECK_EQ(lp_table_version(t2), 4);
  uint64_t n2 = scan_all(t2, &h2, &last2);
  CHECK_EQ(n2, n1);
  CHECK_EQ(h2, h1);
  CHECK_EQ(take_some(t2, n2), tk1);
  lp_session_stats_get(ses, &s2);
  CHECK_EQ(s2.misses, s1.misses);
  CHECK_GE(s2.hits, s1.hits + 7);
  lp_table_close(t2);

  /* LanceDB commits version 5 while t1 is open */
  node("append");
  CHECK_OK(lp_table_open(db2, "mixed", LP_VERSION_LATEST, &t2, &err), &err);
  CHECK_EQ(lp_table_version(t2), 5);
  uint64_t count = 0;
  CHECK_OK(lp_table_count_rows(t2, &count, &err), &err);
  CHECK_EQ(count, n1 + 100);
  uint64_t n3 = scan_all(t2, &h2, &last2);
  CHECK_EQ(n3, n1 + 100);
  CHECK_EQ(last2, 10099);
  lp_session_stats_get(ses, &s3);
  CHECK_EQ(s3.misses, s2.misses + 2); /* the new manifest and the new fragment's data file */
  /* the handle opened before reads its own version still */
  CHECK_EQ(lp_table_version(t1), 4);
  CHECK_EQ(scan_all(t1, &h2, &last2), n1);
  CHECK_EQ(h2, h1);
  /* time travel to version 4 on the other connection: served from the cache */
  lp_table *t4 = NULL;
  CHECK_OK(lp_table_open(db2, "mixed", 4, &t4, &err), &err);
  CHECK_EQ(scan_all(t4, &h2, &last2), n1);
  CHECK_EQ(h2, h1);
  lp_session_stats_get(ses, &s2);
  CHECK_EQ(s2.misses, s3.misses);
  lp_table_close(t4);
  lp_table_close(t2);
  lp_table_close(t1);
  lp_db_close(db2);
  lp_db_close(db1);
  lp_session_unref(ses);
  return 0;
}
