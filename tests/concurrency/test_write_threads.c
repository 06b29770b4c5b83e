/* In-process concurrent writers: N_THREADS threads share one lp_session, each opens its own lp_db on the
 * same directory and, round after round, appends a few rows with ids of its own (id = thread * 1e6 + k)
 * and now and then deletes some of its own earlier rows by predicate. Commits race: losers must rebase
 * (append over append, append over delete of other rows, delete over append) and never fail. At the end
 * every appended row that was not deleted is in the table exactly once (even threads commit durably, so
 * the commit's parallel fsyncs run under TSan too), no deleted row is, every version
 * opens, and a compaction keeps the content. Run under TSan by the concurrency label. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_THREADS 4
#define ROUNDS 12
#define ROWS_PER_APPEND 3
#define DELETE_EVERY 4 /* a thread deletes after every 4th append */
#define ID_STRIDE 1000000

static char g_db[4096];
static lp_session *g_session;
static lp_write_options g_opts;

/* Per thread: which of its ids (0..ROUNDS*ROWS_PER_APPEND) were deleted. */
static bool g_deleted[N_THREADS][ROUNDS * ROWS_PER_APPEND];
static lp_write_options g_durable;

static void init_durable(void) { lp_write_options_init(&g_durable); }

/* Even threads commit durably (their fsyncs run on the commit's helper threads), odd ones do not. */
static const lp_write_options *opts_of(int tid) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  (void)pthread_once(&once, init_durable);
  return tid % 2 ? &g_opts : &g_durable;
}

static void append_rows(lp_db *db, const lp__schema *s, int tid, int first, int n) {
  lp_error err = {0};
  json_t *rows[ROWS_PER_APPEND];
  size_t lines[ROWS_PER_APPEND];
  for (int i = 0; i < n; i++) {
    char line[160];
    snprintf(line, sizeof line, "{\"id\": %d, \"who\": %d, \"text\": \"t%d-%d\"}", tid * ID_STRIDE + first + i, tid,
             tid, first + i);
    rows[i] = json_loads(line, 0, NULL);
    CHECK(rows[i] != NULL);
    lines[i] = (size_t)i + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK(b != NULL);
  CHECK_OK(lp__json_rows_to_batch(s, rows, lines, (size_t)n, b, &err), &err);
  for (int i = 0; i < n; i++) json_decref(rows[i]);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(s, b, 1, &st, &err), &err);
  uint64_t v = 0;
  CHECK_OK(lp_db_add(db, "t", &st, opts_of(tid), &v, &err), &err);
  CHECK_GT(v, 1);
}

static void *worker(void *arg) {
  int tid = (int)(intptr_t)arg;
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, g_session, &db, &err), &err);
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, who:int32, text:utf8", &s, &err), &err);
  for (int r = 0; r < ROUNDS; r++) {
    append_rows(db, &s, tid, r * ROWS_PER_APPEND, ROWS_PER_APPEND);
    if ((r + 1) % DELETE_EVERY == 0) {
      /* delete the middle row of each of this thread's last DELETE_EVERY appends, plus one row twice */
      int a = (r - 3) * ROWS_PER_APPEND + 1, b = (r - 1) * ROWS_PER_APPEND + 1;
      char pred[256];
      snprintf(pred, sizeof pred, "who = %d AND (id = %d OR id = %d OR id = %d)", tid, tid * ID_STRIDE + a,
               tid * ID_STRIDE + b, tid * ID_STRIDE + a);
      uint64_t n_del = 0, v = 0;
      CHECK_OK(lp_db_delete(db, "t", pred, opts_of(tid), &n_del, &v, &err), &err);
      CHECK_EQ(n_del, 2);
      g_deleted[tid][a] = g_deleted[tid][b] = true;
    }
  }
  lp__wschema_reset(&s);
  lp_db_close(db);
  return NULL;
}

/* Every id in the latest version, checked against the expectation. */
static void check_content(lp_db *db) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  struct ArrowArrayStream s;
  const char *cols[] = {"id"};
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.columns = cols;
  o.n_columns = 1;
  CHECK_OK(lp_table_scan(t, &o, &s, &err), &err);
  static int seen[N_THREADS][ROUNDS * ROWS_PER_APPEND];
  memset(seen, 0, sizeof seen);
  uint64_t total = 0;
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ(s.get_next(&s, &a), 0);
    if (a.release == NULL) break;
    const int64_t *ids = a.children[0]->buffers[1];
    for (int64_t i = 0; i < a.length; i++) {
      int64_t id = ids[a.children[0]->offset + a.offset + i];
      int64_t tid = id / ID_STRIDE, k = id % ID_STRIDE;
      if (tid < 0 || tid >= N_THREADS || k < 0 || k >= ROUNDS * ROWS_PER_APPEND) LP_FAIL("unexpected id %" PRId64, id);
      seen[tid][k]++;
      total++;
    }
    a.release(&a);
  }
  s.release(&s);
  lp_table_close(t);
  uint64_t expect = 0;
  for (int tid = 0; tid < N_THREADS; tid++)
    for (int k = 0; k < ROUNDS * ROWS_PER_APPEND; k++) {
      int want = g_deleted[tid][k] ? 0 : 1;
      if (seen[tid][k] != want) LP_FAIL("thread %d row %d: seen %d times, expected %d", tid, k, seen[tid][k], want);
      expect += (uint64_t)want;
    }
  CHECK_EQ(total, expect);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  snprintf(g_db, sizeof g_db, "%s/write_threads", tmp);
  char cmd[3 * sizeof g_db];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_db, g_db);
  CHECK_EQ(system(cmd), 0);
  lp_write_options_init(&g_opts);
  g_opts.durable = false; /* odd threads: the race, not the disk; keeps the run short under TSan */
  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.cache_bytes = 64 * 1024; /* small: evictions while other threads hold values */
  CHECK_OK(lp_session_create(&cfg, &g_session, &err), &err);
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, g_session, &db, &err), &err);
  lp__schema s;
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, who:int32, text:utf8", &s, &err), &err);
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  uint64_t v = 0;
  CHECK_OK(lp_db_create_table(db, "t", &as, NULL, false, &g_opts, &v, &err), &err);
  CHECK_EQ(v, 1);
  as.release(&as);
  lp__wschema_reset(&s);

  pthread_t th[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i), 0);
  for (int i = 0; i < N_THREADS; i++) CHECK_EQ(pthread_join(th[i], NULL), 0);

  check_content(db);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t latest = lp_table_version(t);
  lp_table_close(t);
  /* create + ROUNDS appends per thread + one delete per DELETE_EVERY appends */
  CHECK_EQ(latest, 1 + (uint64_t)N_THREADS * (ROUNDS + ROUNDS / DELETE_EVERY));
  for (uint64_t ver = 1; ver <= latest; ver++) {
    CHECK_OK(lp_table_open(db, "t", ver, &t, &err), &err);
    uint64_t n = 0;
    CHECK_OK(lp_table_count_rows(t, &n, &err), &err);
    CHECK_LE(n, (uint64_t)N_THREADS * ROUNDS * ROWS_PER_APPEND);
    lp_table_close(t);
  }
  uint64_t rewritten = 0;
  CHECK_OK(lp_db_compact(db, "t", &g_opts, &v, &rewritten, &err), &err);
  CHECK_GT(rewritten, 1);
  check_content(db);
  lp_db_close(db);
  lp_session_unref(g_session);
  fprintf(stderr, "%d threads: %" PRIu64 " versions, compaction rewrote %" PRIu64 " fragments\n", N_THREADS, latest,
          rewritten);
  return 0;
}
