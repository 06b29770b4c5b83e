/* The session's index cache, on table vt that official LanceDB 0.31.0 writes and indexes
 * (tests/interop/node/indexed_table.mjs vectors: IVF_PQ l2/cosine/dot and IVF_FLAT, each one delta):
 *  - the first indexed search of a column reads its index files: the session counts misses for them;
 *  - the same search again (and from a second connection) reads nothing new: zero new misses, the same
 *    answer, ids and distances bit for bit;
 *  - a search without a session reads the files each time and still gives that answer;
 *  - after `lp_db_compact` remaps the indexes (new uuids), the next search misses again (the new delta's
 *    files are read, never the stale cached one) and gives the same ids. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lp_test.h"

#define K 10

typedef struct answer {
  int32_t id[K];
  float dist[K];
  int64_t n;
} answer;

static void search(lp_db *db, const char *column, answer *a) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "vt", LP_VERSION_LATEST, &t, &err), &err);
  float q[32];
  for (int i = 0; i < 32; i++) q[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
  lp_search_options o;
  lp_search_options_init(&o);
  o.column = column;
  o.vector = q;
  o.dim = 32;
  o.k = K;
  const char *cols[] = {"id"};
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray arr;
  struct ArrowSchema sch;
  CHECK_OK(lp_table_search(t, &o, &arr, &sch, &err), &err);
  CHECK_EQ(arr.length, K);
  const struct ArrowArray *ids = arr.children[0], *d = arr.children[1];
  a->n = arr.length;
  for (int64_t i = 0; i < arr.length; i++) {
    a->id[i] = ((const int32_t *)ids->buffers[1])[ids->offset + i];
    a->dist[i] = ((const float *)d->buffers[1])[d->offset + i];
  }
  arr.release(&arr);
  sch.release(&sch);
  lp_table_close(t);
}

static uint64_t misses(lp_session *s) {
  lp_session_stats st;
  lp_session_stats_get(s, &st);
  return st.misses;
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  if (tmp == NULL || getenv("LP_NODE_DIR") == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  char dir[4096], cmd[9000];
  snprintf(dir, sizeof dir, "%s/index_cache", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && node '%s/indexed_table.mjs' vectors '%s' >/dev/null 2>&1", dir,
           getenv("LP_NODE_DIR"), dir);
  if (system(cmd) != 0) LP_FAIL("LanceDB failed: %s", cmd);
  lp_error err = {0};
  lp_session *ses = NULL;
  CHECK_OK(lp_session_create(NULL, &ses, &err), &err);
  lp_db *db1 = NULL, *db2 = NULL, *plain = NULL;
  CHECK_OK(lp_db_open(dir, ses, &db1, &err), &err);
  CHECK_OK(lp_db_open(dir, ses, &db2, &err), &err);
  CHECK_OK(lp_db_open(dir, NULL, &plain, &err), &err);
  static const char *const columns[] = {"l2", "cs", "dt", "fl"};
  for (size_t c = 0; c < 4; c++) {
    answer first, again, other, uncached;
    memset(&first, 0, sizeof first);
    memset(&again, 0, sizeof again);
    memset(&other, 0, sizeof other);
    memset(&uncached, 0, sizeof uncached);
    uint64_t cold = misses(ses);
    search(db1, columns[c], &first); /* reads the column's index (and, the first time, the data files) */
    uint64_t m0 = misses(ses);
    CHECK_GT(m0, cold);
    search(db1, columns[c], &again);
    search(db2, columns[c], &other);
    CHECK_EQ(misses(ses), m0);
    search(plain, columns[c], &uncached);
    CHECK(memcmp(&first, &again, sizeof first) == 0);
    CHECK(memcmp(&first, &other, sizeof first) == 0);
    CHECK(memcmp(&first, &uncached, sizeof first) == 0);
  }
  /* remapped indexes have new uuids: their files are read, not the cached old ones */
  answer before, after;
  search(db1, "l2", &before);
  uint64_t m1 = misses(ses);
  uint64_t version = 0, rewritten = 0;
  CHECK_OK(lp_db_compact(db1, "vt", NULL, &version, &rewritten, &err), &err);
  CHECK_EQ(rewritten, 3);
  search(db1, "l2", &after);
  CHECK_GT(misses(ses), m1);
  CHECK_EQ(after.n, before.n);
  for (int64_t i = 0; i < after.n; i++) CHECK_EQ(after.id[i], before.id[i]);
  lp_db_close(plain);
  lp_db_close(db2);
  lp_db_close(db1);
  lp_session_unref(ses);
  return 0;
}
