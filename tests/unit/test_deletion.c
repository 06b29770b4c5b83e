/* Deletion vectors of both kinds, written by official LanceDB 0.31.0 (tests/interop/node/tbl_deletions.mjs,
 * run at test time into LP_TEST_TMP): a ZSTD-compressed .arrow set of 3334 rows, its extension to 3336,
 * a roaring .bin bitmap of 6000 rows; plus the uncompressed .arrow files of the committed sample, and
 * hand-made roaring run containers. Checks every decoded set against the predicates that made it. */
#include <roaring/roaring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/deletion.h"
#include "table/table.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char g_db[4096];

static void make_tables(void) {
  const char *tmp = getenv("LP_TEST_TMP"), *node_dir = getenv("LP_NODE_DIR");
  if (tmp == NULL || node_dir == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set (run through ctest)");
  snprintf(g_db, sizeof g_db, "%s/tbl_deletion", tmp);
  char cmd[16384];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && node '%s/tbl_deletions.mjs' '%s' >/dev/null 2>&1", g_db,
           g_db, node_dir, g_db);
  if (system(cmd) != 0) LP_FAIL("node tbl_deletions.mjs failed: %s", cmd);
}

static void check_version(lp_db *db, uint64_t version, uint64_t want_rows, int kind0, uint64_t n0, int kind1,
                          uint64_t n1) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "dels", version, &t, &err), &err);
  uint64_t n = 0;
  CHECK_OK(lp_table_count_rows(t, &n, &err), &err);
  CHECK_EQ(n, want_rows);
  const lp__manifest *m = t->m;
  CHECK_EQ(m->n_fragments, 2);
  int kinds[2] = {kind0, kind1};
  uint64_t counts[2] = {n0, n1};
  for (int f = 0; f < 2; f++) {
    const lp__fragment *fr = &m->fragments[f];
    if (kinds[f] < 0) {
      CHECK(!fr->has_deletion);
      continue;
    }
    CHECK(fr->has_deletion);
    CHECK_EQ(fr->deletion_kind, kinds[f]);
    lp__deletion_vec *dv = NULL;
    CHECK_OK(lp__table_deletions(t, fr, &dv, &err), &err);
    CHECK_EQ(dv->n_rows, counts[f]);
    /* Row r of fragment 0 is id r; of fragment 1 id 10000 + r. Every deleted row matches a predicate. */
    size_t k = 0;
    for (uint32_t r = 0; r < 10000; r++) {
      uint32_t id = (uint32_t)f * 10000 + r;
      bool deleted = f == 0 ? (id % 3 == 0 || (version >= 5 && (id == 1 || id == 4))) : (version >= 4 && id < 16000);
      bool in_set = k < dv->n_rows && dv->rows[k] == r;
      if (deleted != in_set) LP_FAIL("version %llu fragment %d row %u: deleted %d, in set %d",
                                     (unsigned long long)version, f, r, deleted, in_set);
      k += in_set;
    }
    CHECK_EQ(k, dv->n_rows);
    lp__deletion_vec_unref(dv);
  }
  lp_table_close(t);
}

static void test_lancedb_deletions(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_session *s = NULL;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  CHECK_OK(lp_db_open(g_db, s, &db, &err), &err);
  lp_session_unref(s);
  check_version(db, 2, 20000, -1, 0, -1, 0);
  check_version(db, 3, 20000 - 3334, LP__DELETION_ARROW, 3334, -1, 0);
  check_version(db, 4, 20000 - 3334 - 6000, LP__DELETION_ARROW, 3334, LP__DELETION_BITMAP, 6000);
  check_version(db, 5, 20000 - 3336 - 6000, LP__DELETION_ARROW, 3336, LP__DELETION_BITMAP, 6000);
  lp_db_close(db);
}

static void test_parse_errors(void) {
  lp_error err = {0};
  lp__deletion_vec *dv = NULL;
  const uint8_t junk[32] = {1, 2, 3};
  CHECK_EQ(lp__deletion_parse(junk, sizeof junk, LP__DELETION_ARROW, "x.arrow", &dv, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "x.arrow: not an Arrow IPC file");
  CHECK_EQ(lp__deletion_parse(junk, sizeof junk, LP__DELETION_BITMAP, "x.bin", &dv, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "x.bin: not a roaring bitmap");
  CHECK_EQ(lp__deletion_parse(junk, 3, LP__DELETION_BITMAP, "x.bin", &dv, &err), LP_ECORRUPT);
  CHECK(dv == NULL);
}

/* The run-container file of deletion-files.md 5.3 (set {0, 2, 5, 7, 8, 9}), and a CRoaring round trip. */
static void test_roaring_runs(void) {
  const uint8_t runs[] = {0x3b, 0x30, 0, 0, 0x01, 0, 0, 5, 0, 4, 0, 0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 7, 0, 2, 0};
  lp_error err = {0};
  lp__deletion_vec *dv = NULL;
  CHECK_OK(lp__deletion_parse(runs, sizeof runs, LP__DELETION_BITMAP, "runs.bin", &dv, &err), &err);
  const uint32_t want[] = {0, 2, 5, 7, 8, 9};
  CHECK_EQ(dv->n_rows, 6);
  for (int i = 0; i < 6; i++) CHECK_EQ(dv->rows[i], want[i]);
  lp__deletion_vec_unref(dv);
  /* Trailing garbage is refused, not ignored. */
  uint8_t longer[sizeof runs + 1];
  memcpy(longer, runs, sizeof runs);
  longer[sizeof runs] = 0;
  CHECK_EQ(lp__deletion_parse(longer, sizeof longer, LP__DELETION_BITMAP, "runs.bin", &dv, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "trailing");
  roaring_bitmap_t *r = roaring_bitmap_create();
  for (uint32_t v = 0; v < 200000; v += 7) roaring_bitmap_add(r, v);
  size_t sz = roaring_bitmap_portable_size_in_bytes(r);
  char *buf = malloc(sz);
  roaring_bitmap_portable_serialize(r, buf);
  CHECK_OK(lp__deletion_parse((uint8_t *)buf, sz, LP__DELETION_BITMAP, "rt.bin", &dv, &err), &err);
  CHECK_EQ(dv->n_rows, roaring_bitmap_get_cardinality(r));
  for (size_t i = 0; i < dv->n_rows; i++) CHECK_EQ(dv->rows[i], i * 7);
  lp__deletion_vec_unref(dv);
  free(buf);
  roaring_bitmap_free(r);
}

int main(void) {
  make_tables();
  RUN_TEST(test_lancedb_deletions);
  RUN_TEST(test_parse_errors);
  RUN_TEST(test_roaring_runs);
  return 0;
}
