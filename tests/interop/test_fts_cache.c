/* Full-text search and the session cache, on a table official LanceDB 0.31.0 writes and then appends to
 * (tests/interop/node/gen_fts_cache.mjs):
 *  - the first search on a session tokenises the table's one fragment (one vector-cache miss);
 *  - a second connection on the warm session runs two more queries with no new miss, same answer;
 *  - LanceDB appends a fragment: the next search finds the 20 new rows at once, tokenising only the new
 *    fragment (one more miss);
 *  - without a session every search works too (nothing kept);
 *  - the API's refusals: NULL query, k <= 0, a column that is not a string, no FTS index, a phrase query
 *    on an index without positions, and NULL arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lp_test.h"

static char g_dir[4096];

static void node(const char *mode) {
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "node '%s/gen_fts_cache.mjs' '%s' %s 2>/dev/null", getenv("LP_NODE_DIR"), g_dir, mode);
  if (system(cmd) != 0) LP_FAIL("LanceDB failed: %s", cmd);
}

/* Run a text search on a fresh connection of session s (NULL = none); returns the row count and the ids. */
static int64_t search(lp_session *s, const char *query, int64_t k, int32_t *ids) {
  lp_error err = {0};
  lp_db *db;
  lp_table *t;
  CHECK_OK(lp_db_open(g_dir, s, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "docs", LP_VERSION_LATEST, &t, &err), &err);
  lp_text_search_options o;
  lp_text_search_options_init(&o);
  o.query = query;
  o.k = k;
  const char *cols[] = {"id"};
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray a;
  struct ArrowSchema sch;
  CHECK_OK(lp_table_text_search(t, &o, &a, &sch, &err), &err);
  CHECK_EQ(a.n_children, 2);
  CHECK_STR_EQ(sch.children[1]->name, "_score");
  /* LanceDB stores the JavaScript numbers of gen_fts_cache.mjs as float64 */
  CHECK_STR_EQ(sch.children[0]->format, "g");
  const double *v = (const double *)a.children[0]->buffers[1] + a.children[0]->offset;
  const float *score = (const float *)a.children[1]->buffers[1] + a.children[1]->offset;
  for (int64_t i = 0; i < a.length; i++) {
    if (ids) ids[i] = (int32_t)v[i];
    CHECK(score[i] > 0);
    if (i > 0) CHECK(score[i] <= score[i - 1]);
  }
  int64_t n = a.length;
  a.release(&a);
  sch.release(&sch);
  lp_table_close(t);
  lp_db_close(db);
  return n;
}

static uint64_t misses(lp_session *s) {
  lp_session_stats st;
  lp_session_stats_get(s, &st);
  return st.vector_misses;
}

static void test_cache_and_append(void) {
  lp_error err = {0};
  lp_session *s;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  int32_t first[50], again[50];
  uint64_t m0 = misses(s);
  int64_t n = search(s, "fox dog", 50, first);
  CHECK_GT(n, 10);
  CHECK_EQ(misses(s) - m0, 1); /* one fragment tokenised */
  lp_session_stats st;
  lp_session_stats_get(s, &st);
  uint64_t hits = st.vector_hits;
  CHECK_EQ(search(s, "fox dog", 50, again), n);
  CHECK(memcmp(first, again, (size_t)n * sizeof *first) == 0);
  CHECK_GT(search(s, "running database", 10, NULL), 0);
  CHECK_EQ(misses(s) - m0, 1); /* warm: nothing tokenised again */
  lp_session_stats_get(s, &st);
  CHECK_EQ(st.vector_hits - hits, 2);
  CHECK_EQ(search(s, "zebraword", 50, NULL), 0);

  node("append");
  int32_t z[50];
  CHECK_EQ(search(s, "zebraword", 50, z), 20); /* the appended fragment, at once */
  for (int i = 0; i < 20; i++) CHECK(z[i] >= 200 && z[i] < 220);
  CHECK_EQ(misses(s) - m0, 2); /* only the new fragment was tokenised */
  CHECK_EQ(search(NULL, "zebraword", 50, NULL), 20);
  CHECK_EQ(search(NULL, "fox dog", 50, again), n);
  lp_session_unref(s);
}

static void test_refusals(void) {
  lp_error err = {0};
  lp_db *db;
  lp_table *t;
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "docs", LP_VERSION_LATEST, &t, &err), &err);
  lp_text_search_options o;
  lp_text_search_options_init(&o);
  struct ArrowArray a;
  struct ArrowSchema sch;
  CHECK_EQ(lp_table_text_search(t, &o, &a, &sch, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no query");
  o.query = "fox";
  o.k = 0;
  CHECK_EQ(lp_table_text_search(t, &o, &a, &sch, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "k must be positive");
  o.k = 5;
  o.column = "n";
  CHECK_EQ(lp_table_text_search(t, &o, &a, &sch, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "not a string column");
  o.column = "body";
  o.phrase = true;
  CHECK_EQ(lp_table_text_search(t, &o, &a, &sch, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "required for phrase queries");
  o.phrase = false;
  o.fuzziness = -5;
  CHECK_EQ(lp_table_text_search(t, &o, &a, &sch, &err), LP_EINVAL);
  o.fuzziness = 0;
  CHECK_EQ(lp_table_text_search(NULL, &o, &a, &sch, &err), LP_EINVAL);
  CHECK_EQ(lp_table_text_search(t, NULL, &a, &sch, &err), LP_EINVAL);
  lp_hybrid_search_options h;
  lp_hybrid_search_options_init(&h);
  h.text.query = "fox";
  h.k = -1;
  CHECK_EQ(lp_table_hybrid_search(t, &h, &a, &sch, &err), LP_EINVAL);
  h.k = 5;
  h.alpha = 2;
  CHECK_EQ(lp_table_hybrid_search(t, &h, &a, &sch, &err), LP_EINVAL);
  h.alpha = 0.5;
  CHECK_EQ(lp_table_hybrid_search(t, &h, &a, &sch, &err), LP_EINVAL); /* no vector column in this table */
  lp_table_close(t);
  lp_db_close(db);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  if (tmp == NULL || getenv("LP_NODE_DIR") == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  snprintf(g_dir, sizeof g_dir, "%s/fts_cache", tmp);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) LP_FAIL("cannot clear %s", g_dir);
  node("create");
  RUN_TEST(test_refusals);
  RUN_TEST(test_cache_and_append);
  return 0;
}
