/* The Arrow C stream and data interfaces as consumers (pyarrow, DuckDB, polars) use them, on the LanceDB
 * sample table: get_schema is repeatable; get_next after the end keeps returning released arrays; after an
 * error get_next keeps failing and get_last_error names the file; release marks the struct released (so
 * `if (x.release) x.release(&x)` is safe twice); a child moved out of a struct array or schema is released
 * on its own, before or after its parent; batches outlive the stream, the table and the connection. Runs
 * under ASan+UBSan in `make test`, which turns any leak, double free or use after free into a failure. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrow_rowhash.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char g_sample[4096], g_bad[4096];

static void open_sample(lp_db **db, lp_table **t, const char *dir, uint64_t version) {
  lp_error err = {0};
  CHECK_OK(lp_db_open(dir, NULL, db, &err), &err);
  CHECK_OK(lp_table_open(*db, dir == g_bad ? "t" : "sample", version, t, &err), &err);
}

static void test_schema_repeatable_and_end(void) {
  lp_db *db;
  lp_table *t;
  open_sample(&db, &t, g_sample, 4);
  lp_error err = {0};
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, NULL, &st, &err), &err);
  struct ArrowSchema s1, s2;
  CHECK_EQ(st.get_schema(&st, &s1), 0);
  struct ArrowArray b;
  CHECK_EQ(st.get_next(&st, &b), 0);
  CHECK(b.release != NULL);
  CHECK_EQ(b.length, 4); /* a batch lies inside one fragment: fragment 0 has 4 live rows */
  /* asked again mid-stream: an equal, independent schema */
  CHECK_EQ(st.get_schema(&st, &s2), 0);
  CHECK_STR_EQ(s1.format, "+s");
  CHECK_EQ(s1.n_children, s2.n_children);
  for (int64_t i = 0; i < s1.n_children; i++) {
    CHECK_STR_EQ(s1.children[i]->name, s2.children[i]->name);
    CHECK_STR_EQ(s1.children[i]->format, s2.children[i]->format);
  }
  s2.release(&s2);
  CHECK(s2.release == NULL);
  int64_t rows = b.length;
  for (;;) {
    struct ArrowArray more;
    CHECK_EQ(st.get_next(&st, &more), 0);
    if (more.release == NULL) break;
    rows += more.length;
    more.release(&more);
  }
  CHECK_EQ(rows, 10);
  for (int k = 0; k < 3; k++) {
    struct ArrowArray end;
    memset(&end, 0xab, sizeof end);
    CHECK_EQ(st.get_next(&st, &end), 0);
    CHECK(end.release == NULL);
  }
  CHECK(st.get_last_error(&st) == NULL);
  /* the batch outlives the stream, the table and the connection */
  uint64_t h = rh_batch_row(&s1, &b, 3);
  st.release(&st);
  CHECK(st.release == NULL);
  lp_table_close(t);
  lp_db_close(db);
  CHECK_EQ(rh_batch_row(&s1, &b, 3), h);
  b.release(&b);
  CHECK(b.release == NULL);
  s1.release(&s1);
  CHECK(s1.release == NULL);
}

static void test_error_sticks(void) {
  lp_db *db;
  lp_table *t;
  open_sample(&db, &t, g_bad, 0);
  lp_error err = {0};
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, NULL, &st, &err), &err);
  struct ArrowArray b;
  int rc = 0;
  int64_t rows = 0;
  while ((rc = st.get_next(&st, &b)) == 0 && b.release != NULL) {
    rows += b.length;
    b.release(&b);
  }
  CHECK_EQ(rc, ENOENT);
  CHECK_EQ(rows, 4); /* fragment 0 (5 rows, 1 deleted) comes before the missing file */
  const char *msg = st.get_last_error(&st);
  CHECK_CONTAINS(msg, "0001110101001110001100005413924c2cb63eef35d7b83845.lance");
  /* the stream stays failed; the message stays valid until release */
  CHECK_EQ(st.get_next(&st, &b), ENOENT);
  CHECK_CONTAINS(st.get_last_error(&st), "data file of fragment 1");
  struct ArrowSchema s;
  CHECK_EQ(st.get_schema(&st, &s), 0);
  s.release(&s);
  st.release(&st);
  lp_table_close(t);
  lp_db_close(db);
}

/* Move child k out of a struct array and its schema, then release the parent first (or last). */
static void move_children(bool parent_first) {
  lp_db *db;
  lp_table *t;
  open_sample(&db, &t, g_sample, 4);
  lp_error err = {0};
  uint64_t pos[4] = {9, 0, 3, 3};
  struct ArrowArray a;
  struct ArrowSchema s;
  CHECK_OK(lp_table_take(t, pos, 4, NULL, 0, &a, &s, &err), &err);
  lp_table_close(t);
  lp_db_close(db);
  CHECK_EQ(s.n_children, 9);
  /* remember each column's row hashes, then move every other column out */
  uint64_t want[9][4];
  for (int c = 0; c < 9; c++)
    for (int r = 0; r < 4; r++) want[c][r] = rh_row(s.children[c], a.children[c], r, 1);
  struct ArrowArray moved[9];
  struct ArrowSchema moved_s[9];
  int n = 0;
  for (int c = 0; c < 9; c += 2, n++) {
    moved[n] = *a.children[c];
    a.children[c]->release = NULL; /* the parent must now skip it */
    moved_s[n] = *s.children[c];
    s.children[c]->release = NULL;
  }
  /* a grandchild too: the items of the list column "tags" (column 4, moved above) */
  CHECK_STR_EQ(moved_s[2].format, "+l");
  struct ArrowArray items = *moved[2].children[0];
  moved[2].children[0]->release = NULL;
  uint64_t items_len = (uint64_t)items.length;
  if (parent_first) {
    a.release(&a);
    s.release(&s);
  }
  for (int k = 0; k < n; k++) {
    if (k == 2) continue; /* its items were moved out */
    for (int r = 0; r < 4; r++) CHECK_EQ(rh_row(&moved_s[k], &moved[k], r, 1), want[k * 2][r]);
  }
  for (int k = 0; k < n; k++) {
    moved[k].release(&moved[k]);
    CHECK(moved[k].release == NULL);
  }
  CHECK_EQ((uint64_t)items.length, items_len);
  items.release(&items);
  for (int k = 0; k < n; k++) moved_s[k].release(&moved_s[k]);
  if (!parent_first) {
    /* the parent's remaining columns still read the same */
    for (int c = 1; c < 9; c += 2)
      for (int r = 0; r < 4; r++) CHECK_EQ(rh_row(s.children[c], a.children[c], r, 1), want[c][r]);
    a.release(&a);
    s.release(&s);
  }
  CHECK(a.release == NULL && s.release == NULL);
}

static void test_move_children_parent_first(void) { move_children(true); }
static void test_move_children_parent_last(void) { move_children(false); }

/* Same with a scan batch of a table with deletions, all columns moved out, batches kept past the stream. */
static void test_scan_batches_children(void) {
  lp_db *db;
  lp_table *t;
  open_sample(&db, &t, g_sample, 4);
  lp_error err = {0};
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.batch_rows = 3;
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, &o, &st, &err), &err);
  struct ArrowSchema s;
  CHECK_EQ(st.get_schema(&st, &s), 0);
  struct ArrowArray kept[8];
  int nb = 0;
  while (nb < 8) {
    CHECK_EQ(st.get_next(&st, &kept[nb]), 0);
    if (kept[nb].release == NULL) break;
    nb++;
  }
  CHECK_EQ(nb, 4); /* 10 live rows in batches of at most 3, none across fragments: 3+1, 3, 3 */
  st.release(&st);
  lp_table_close(t);
  lp_db_close(db);
  int64_t total = 0;
  for (int i = 0; i < nb; i++) {
    total += kept[i].length;
    struct ArrowArray cols[9];
    for (int c = 0; c < 9; c++) {
      cols[c] = *kept[i].children[c];
      kept[i].children[c]->release = NULL;
    }
    kept[i].release(&kept[i]);
    for (int c = 8; c >= 0; c--) cols[c].release(&cols[c]);
  }
  CHECK_EQ(total, 10);
  s.release(&s);
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(g_sample, sizeof g_sample, "%s/tests/data/sample_v031", src ? src : ".");
  snprintf(g_bad, sizeof g_bad, "%s/tests/data/bad/missing_data_file/db", src ? src : ".");
  RUN_TEST(test_schema_repeatable_and_end);
  RUN_TEST(test_error_sticks);
  RUN_TEST(test_move_children_parent_first);
  RUN_TEST(test_move_children_parent_last);
  RUN_TEST(test_scan_batches_children);
  return 0;
}
