/* One session shared by 4 threads, each with its own connection, opening every version of the LanceDB
 * sample table again and again, counting rows, listing versions, exporting schemas and loading deletion
 * vectors. The cache budget is small enough to force evictions while other threads hold the evicted
 * values. Checks every answer and the cache counters; run under TSan by `make test`. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "table/table.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_THREADS 4
#define ROUNDS 40

static const uint64_t COUNTS[] = {0, 5, 9, 12, 10, 7, 7, 7, 7, 12};
static char g_db[4096];
static lp_session *g_session;

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, g_session, &db, &err), &err);
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t ver = (uint64_t)((r + id) % 10); /* 0 = latest */
    lp_table *t = NULL;
    CHECK_OK(lp_table_open(db, "sample", ver, &t, &err), &err);
    uint64_t n = 0;
    CHECK_OK(lp_table_count_rows(t, &n, &err), &err);
    CHECK_EQ(n, COUNTS[ver ? ver : 9]);
    for (size_t f = 0; f < t->m->n_fragments; f++) {
      if (!t->m->fragments[f].has_deletion) continue;
      lp__deletion_vec *dv = NULL;
      CHECK_OK(lp__table_deletions(t, &t->m->fragments[f], &dv, &err), &err);
      CHECK_EQ(dv->n_rows, t->m->fragments[f].num_deleted_rows);
      lp__deletion_vec_unref(dv);
    }
    struct ArrowSchema s;
    CHECK_OK(lp_table_schema(t, &s, &err), &err);
    CHECK_EQ(s.n_children, 9);
    s.release(&s);
    if (r % 8 == 0) {
      lp_version_info *v = NULL;
      size_t nv = 0;
      CHECK_OK(lp_table_versions(t, &v, &nv, &err), &err);
      CHECK_EQ(nv, 9);
      free(v);
    }
    lp_table_close(t);
  }
  lp_db_close(db);
  return NULL;
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(g_db, sizeof g_db, "%s/tests/data/sample_v031", src ? src : ".");
  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.cache_bytes = 8000;  /* a few manifests: forces evictions under contention */
  CHECK_OK(lp_session_create(&cfg, &g_session, &err), &err);
  pthread_t th[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i), 0);
  for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
  lp_session_stats st;
  lp_session_stats_get(g_session, &st);
  fprintf(stderr, "hits %llu misses %llu evictions %llu entries %zu bytes %zu/%zu\n", (unsigned long long)st.hits,
          (unsigned long long)st.misses, (unsigned long long)st.evictions, st.entries, st.bytes_used,
          st.bytes_budget);
  CHECK_GT(st.hits, 0);
  CHECK_GT(st.evictions, 0);
  CHECK_LE(st.bytes_used, st.bytes_budget);
  lp_session_unref(g_session);
  return 0;
}
