/* 4 threads, each with its own connection on one shared session with a small cache budget, scanning and
 * taking rows of real LanceDB tables again and again: every version of the committed sample, the committed
 * encodings sample, and a 3-fragment table with deletions that official LanceDB writes at test time
 * (tests/interop/node/gen_small_table.mjs), in data file formats 2.1 and 2.0. Every row of every result must equal (by a hash of its
 * logical value, tests/arrow_rowhash.h) the single-thread baseline read without a session. The budget
 * forces evictions of manifests, data-file metadata and deletion vectors while other threads use them.
 * Run under TSan by `make test`. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrow_rowhash.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_THREADS 4
#define ROUNDS 48

typedef struct job {
  const char *db_dir;
  const char *table;
  uint64_t version;
  uint64_t *hashes; /* baseline: hash of every live row, in scan order */
  uint64_t n_rows;
} job;

static char g_sample[4096], g_small[4096];
static job g_jobs[24];
static size_t g_n_jobs;
static lp_session *g_session;

/* Scan (offset skipped rows, batches of batch_rows) and check each row against the baseline. */
static void scan_check(lp_table *t, const job *j, uint64_t offset, uint32_t batch_rows, uint64_t *out_rows) {
  lp_error err = {0};
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.offset = offset;
  o.batch_rows = batch_rows;
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, &o, &st, &err), &err);
  struct ArrowSchema s;
  CHECK_EQ(st.get_schema(&st, &s), 0);
  uint64_t row = offset;
  for (;;) {
    struct ArrowArray b;
    int rc = st.get_next(&st, &b);
    if (rc != 0) LP_FAIL("%s@%llu: get_next: %s", j->table, (unsigned long long)j->version, st.get_last_error(&st));
    if (b.release == NULL) break;
    CHECK_LE(b.length, batch_rows);
    for (int64_t i = 0; i < b.length; i++, row++) {
      if (j->hashes != NULL) {
        CHECK_LT(row, j->n_rows);
        if (rh_batch_row(&s, &b, i) != j->hashes[row])
          LP_FAIL("%s@%llu: row %llu differs from the baseline", j->table, (unsigned long long)j->version,
                  (unsigned long long)row);
      }
    }
    b.release(&b);
  }
  s.release(&s);
  st.release(&st);
  *out_rows = row;
}

static void baseline(job *j) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(j->db_dir, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, j->table, j->version, &t, &err), &err);
  CHECK_OK(lp_table_count_rows(t, &j->n_rows, &err), &err);
  j->hashes = calloc(j->n_rows + 1, sizeof *j->hashes);
  /* one batch: the whole table, hashed row by row */
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.batch_rows = (uint32_t)(j->n_rows + 1);
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, &o, &st, &err), &err);
  struct ArrowSchema s;
  CHECK_EQ(st.get_schema(&st, &s), 0);
  uint64_t row = 0;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b) != 0)
      LP_FAIL("%s@%llu: baseline scan: %s", j->table, (unsigned long long)j->version, st.get_last_error(&st));
    if (b.release == NULL) break;
    for (int64_t i = 0; i < b.length; i++) j->hashes[row++] = rh_batch_row(&s, &b, i);
    b.release(&b);
  }
  CHECK_EQ(row, j->n_rows);
  s.release(&s);
  st.release(&st);
  lp_table_close(t);
  lp_db_close(db);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_sample, g_session, &db, &err), &err);
  lp_db *db2 = NULL;
  CHECK_OK(lp_db_open(g_small, g_session, &db2, &err), &err);
  for (int r = 0; r < ROUNDS; r++) {
    const job *j = &g_jobs[(size_t)(r * 5 + id * 3) % g_n_jobs];
    lp_table *t = NULL;
    CHECK_OK(lp_table_open(j->db_dir == g_small ? db2 : db, j->table, j->version, &t, &err), &err);
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t offset = j->n_rows ? (rng >> 33) % (j->n_rows / 2 + 1) : 0;
    uint32_t batch = 1 + (uint32_t)((rng >> 13) % 700);
    uint64_t n = 0;
    scan_check(t, j, offset, batch, &n);
    CHECK_EQ(n, j->n_rows);
    /* take: random positions, any order, repeats */
    if (j->n_rows > 0) {
      uint64_t pos[64];
      for (int k = 0; k < 64; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        pos[k] = (rng >> 20) % j->n_rows;
      }
      struct ArrowArray a;
      struct ArrowSchema s;
      CHECK_OK(lp_table_take(t, pos, 64, NULL, 0, &a, &s, &err), &err);
      CHECK_EQ(a.length, 64);
      for (int k = 0; k < 64; k++)
        if (rh_batch_row(&s, &a, k) != j->hashes[pos[k]])
          LP_FAIL("%s@%llu: take of position %llu differs from the baseline", j->table,
                  (unsigned long long)j->version, (unsigned long long)pos[k]);
      a.release(&a);
      s.release(&s);
    }
    lp_table_close(t);
  }
  lp_db_close(db2);
  lp_db_close(db);
  return NULL;
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR"), *node_dir = getenv("LP_NODE_DIR"), *tmp = getenv("LP_TEST_TMP");
  if (!src || !node_dir || !tmp) LP_FAIL("LP_SOURCE_DIR, LP_NODE_DIR and LP_TEST_TMP must be set");
  snprintf(g_sample, sizeof g_sample, "%s/tests/data/sample_v031", src);
  snprintf(g_small, sizeof g_small, "%s/session_scan_threads", tmp);
  char cmd[20000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && node '%s/gen_small_table.mjs' '%s' create 2>/dev/null && node '%s/gen_small_table.mjs' '%s' create20 2>/dev/null",
           g_small, g_small, node_dir, g_small, node_dir, g_small);
  if (system(cmd) != 0) LP_FAIL("LanceDB could not write the test table: %s", cmd);
  for (uint64_t v = 1; v <= 9; v++) g_jobs[g_n_jobs++] = (job){g_sample, "sample", v, NULL, 0};
  g_jobs[g_n_jobs++] = (job){g_sample, "encodings", 0, NULL, 0};
  for (uint64_t v = 1; v <= 4; v++) g_jobs[g_n_jobs++] = (job){g_small, "mixed", v, NULL, 0};
  for (uint64_t v = 2; v <= 4; v++) g_jobs[g_n_jobs++] = (job){g_small, "mixed20", v, NULL, 0};
  for (size_t i = 0; i < g_n_jobs; i++) baseline(&g_jobs[i]);
  CHECK_EQ(g_jobs[g_n_jobs - 4].n_rows, 2100 - 420);
  CHECK_EQ(g_jobs[g_n_jobs - 1].n_rows, 2100 - 420);
  /* (not the same hashes as the 2.1 table: format 2.0 keeps no struct validity, so LanceDB itself reads a
   * null struct back as a struct of nulls; test_read_interop compares 2.0 tables with LanceDB) */

  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.cache_bytes = 24 * 1024; /* less than the metadata of these tables: evictions under contention */
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
  for (size_t i = 0; i < g_n_jobs; i++) free(g_jobs[i].hashes);
  return 0;
}
