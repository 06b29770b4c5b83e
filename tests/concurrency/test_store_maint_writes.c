/* Maintenance beside the write queue: while two threads add records one commit at a time and delete some
 * of them again, a third thread compacts and cleans up (small target and short retention, so compactions
 * keep rewriting the fragments the writers just appended and deleted from). A compaction may lose to a
 * concurrent delete (LP_ECONFLICT, nothing committed); nothing else may fail. At the end a plain
 * connection (no index, no session) finds every record whose add returned and none whose delete
 * returned, each once, and the table reads in full: no commit was lost and cleanup took no file a version
 * still uses. */
#include <pthread.h>
#include <stdatomic.h>

#include "store/store_int.h"
#include "store_test_util.h"

#define DIM 8
#define N_WRITERS 2
#define N_PER_WRITER 120
#define DELETE_EVERY 4 /* every 4th record is deleted again after the next add */

static char g_dir[4096];
static lp_store *g_store;
static atomic_int g_writers_left = N_WRITERS;
static bool g_deleted[N_WRITERS][N_PER_WRITER];
static atomic_ulong g_compactions, g_conflicts;

static void id_of(unsigned w, unsigned i, char *buf) { snprintf(buf, 24, "mw-%u-%03u", w, i); }

static void *writer(void *arg) {
  unsigned w = (unsigned)(uintptr_t)arg;
  lp_error err = {0};
  float v[DIM];
  for (unsigned i = 0; i < N_PER_WRITER; i++) {
    char id[24];
    id_of(w, i, id);
    st_vector(w * 1000 + i, 0, DIM, v);
    lp_store_record r = {id, "/mw", id, v, DIM, "{}", (int64_t)i, NULL, 0};
    CHECK_OK(lp_store_add(g_store, &r, 1, &err), &err);
    if (i > 0 && (i - 1) % DELETE_EVERY == 0) {
      char old[24];
      id_of(w, i - 1, old);
      const char *ids[1] = {old};
      uint64_t n = 0;
      CHECK_OK(lp_store_delete_ids(g_store, ids, 1, &n, &err), &err);
      CHECK_EQ(n, 1);
      g_deleted[w][i - 1] = true;
    }
  }
  atomic_fetch_sub(&g_writers_left, 1);
  return NULL;
}

/* Compacts and maintains while the writers run. Every compaction may lose to their deletes (a slow
 * sanitizer build once lost the only one it tried), so once they are done it goes on until one compaction
 * has happened: with no writer left it cannot conflict, and the writers' one-row appends leave plenty to
 * compact. The check that nothing was lost covers whatever compactions ran beside them. */
static void *maintainer(void *arg) {
  (void)arg;
  lp_error err = {0};
  int tries_after_writers = 0;
  while (atomic_load(&g_writers_left) > 0 || (atomic_load(&g_compactions) == 0 && tries_after_writers++ < 3)) {
    uint64_t rewritten = 0;
    lp_status rc = lp_store_compact(g_store, &rewritten, &err);
    if (rc == LP_ECONFLICT) {
      atomic_fetch_add(&g_conflicts, 1);
      continue;
    }
    CHECK_OK(rc, &err);
    if (rewritten > 0) atomic_fetch_add(&g_compactions, 1);
    bool compacted = false;
    CHECK_OK(lp_store_maintain(g_store, &compacted, &err), &err);
    if (compacted) atomic_fetch_add(&g_compactions, 1);
  }
  return NULL;
}

/* Every record's presence, read through a plain connection. */
static void check_table(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);
  static char ids[N_WRITERS * N_PER_WRITER][24];
  const char *idp[N_WRITERS * N_PER_WRITER];
  size_t want = 0;
  for (unsigned w = 0; w < N_WRITERS; w++)
    for (unsigned i = 0; i < N_PER_WRITER; i++) {
      id_of(w, i, ids[w * N_PER_WRITER + i]);
      idp[w * N_PER_WRITER + i] = ids[w * N_PER_WRITER + i];
      want += !g_deleted[w][i];
    }
  lp_store_rows rows = {0};
  CHECK_OK(lp__store_conn_get(db, "mw", idp, N_WRITERS * N_PER_WRITER, &rows, &err), &err);
  CHECK_EQ(rows.n, want);
  size_t k = 0;
  for (unsigned w = 0; w < N_WRITERS; w++)
    for (unsigned i = 0; i < N_PER_WRITER; i++)
      if (!g_deleted[w][i]) {
        CHECK_STR_EQ(rows.rows[k].id, ids[w * N_PER_WRITER + i]);
        CHECK_STR_EQ(rows.rows[k].text, ids[w * N_PER_WRITER + i]);
        k++;
      }
  lp_store_rows_reset(&rows);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "mw", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t n = 0;
  CHECK_OK(lp_table_count_rows(t, &n, &err), &err);
  CHECK_EQ(n, want);
  lp_table_close(t);
  lp_db_close(db);
}

int main(void) {
  st_scratch("store_maint_writes", g_dir, sizeof g_dir);
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.durable = false;
  cfg.pool.max_connections = 2;
  cfg.pool.cleanup_interval_ms = 0; /* the maintainer thread runs the passes */
  cfg.compact_min_fragments = 4;
  cfg.compact_target_rows = 64;
  cfg.retention_ms = 2000;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "mw", &cfg, &g_store, &err), &err);
  pthread_t th[N_WRITERS + 1];
  for (unsigned w = 0; w < N_WRITERS; w++) CHECK(pthread_create(&th[w], NULL, writer, (void *)(uintptr_t)w) == 0);
  CHECK(pthread_create(&th[N_WRITERS], NULL, maintainer, NULL) == 0);
  for (unsigned w = 0; w <= N_WRITERS; w++) pthread_join(th[w], NULL);
  lp_store_stats st;
  lp_store_stats_get(g_store, &st);
  fprintf(stderr, "commits=%llu writes=%llu compactions=%llu (conflicts with deletes %lu) cleanups=%llu\n",
          (unsigned long long)st.commits, (unsigned long long)st.writes, (unsigned long long)st.compactions,
          atomic_load(&g_conflicts), (unsigned long long)st.cleanups);
  CHECK_GT(atomic_load(&g_compactions), 0);
  check_table();
  st_check_balanced(g_store);
  lp_store_close(g_store);
  check_table(); /* and after close */
  return 0;
}
