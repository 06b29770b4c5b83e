/* The store under injected failures, in the middle of concurrent work:
 *  - connections that fail validation (a conn_check that fails every third call): every operation still
 *    succeeds on another connection, the failures are counted, nothing leaks;
 *  - bad batches (a wrong-dimension vector, a duplicate id, metadata that is not a JSON object, an empty
 *    id) mixed with good ones from other threads: rejected with LP_EINVAL, nothing of them committed;
 *  - the file system turning read-only under 4 writing threads (a tmpfs remounted read-only; needs root,
 *    else skipped with a note): writes fail with a clear error, and afterwards exactly the writes that
 *    returned LP_OK are in the table (no partial commits); once writable again the store works;
 *  - every connection busy: the caller gets LP_ETIMEOUT saying so.
 * After each part the pool statistics balance (nothing in use, created - destroyed = size). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "store_test_util.h"

#define DIM 16

static char g_dir[4096];
static lp_store *g_store;
static atomic_uint g_checks, g_fail_every;

static lp_status flaky_check(void *ctx, lp_error *err) {
  (void)ctx;
  unsigned n = atomic_fetch_add(&g_checks, 1) + 1;
  unsigned every = atomic_load(&g_fail_every);
  if (every && n % every == 0) return lp_error_set(err, LP_EIO, "injected: connection check %u failed", n);
  return LP_OK;
}

typedef struct {
  char id[32];
  float vec[DIM];
  lp_store_record rec;
} one_rec;

static void make(one_rec *r, const char *id, unsigned seed) {
  snprintf(r->id, sizeof r->id, "%s", id);
  st_vector(seed, 1, DIM, r->vec);
  r->rec = (lp_store_record){r->id, "/faults", "text", r->vec, DIM, "{}", 1, NULL, 0};
}

static bool present(const char *id) {
  lp_error err = {0};
  const char *ids[1] = {id};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get(g_store, ids, 1, &rows, &err), &err);
  bool yes = rows.n == 1;
  lp_store_rows_reset(&rows);
  return yes;
}

static lp_store *open_store(const char *dir, int max_conns, bool durable) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.pool.max_connections = max_conns;
  cfg.pool.validation_bypass_ms = 0;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.durable = durable;
  cfg.conn_check = flaky_check;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(dir, "faults", &cfg, &s, &err), &err);
  return s;
}

/* ---- part 1 and 2: flaky validation, bad batches among good ones ------------------------------------ */

static void *mixed_worker(void *arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  lp_error err = {0};
  for (unsigned i = 0; i < 40; i++) {
    char id[32];
    snprintf(id, sizeof id, "good-%u-%u", t, i);
    one_rec g;
    make(&g, id, t * 1000 + i);
    CHECK_OK(lp_store_add(g_store, &g.rec, 1, &err), &err);
    CHECK(present(id));
    if (i % 4 == 0) { /* a bad batch: one good record and one bad one, of 4 kinds */
      one_rec b[2];
      char a[32], c[32];
      snprintf(a, sizeof a, "bad-%u-%u-a", t, i);
      snprintf(c, sizeof c, "bad-%u-%u-b", t, i);
      make(&b[0], a, 7);
      make(&b[1], c, 8);
      const char *want = NULL;
      switch ((i / 4 + t) % 4) {
      case 0: b[1].rec.dim = DIM + 1; want = "dimension"; break;
      case 1: b[1].rec.id = b[0].id; want = "more than once"; break;
      case 2: b[1].rec.metadata = "[1, 2]"; want = "not a JSON object"; break;
      default: b[1].rec.id = ""; want = "empty id"; break;
      }
      lp_store_record recs[2] = {b[0].rec, b[1].rec};
      lp_status rc = (i & 4) ? lp_store_upsert(g_store, recs, 2, &err) : lp_store_add(g_store, recs, 2, &err);
      CHECK_EQ(rc, LP_EINVAL);
      CHECK_CONTAINS(err.message, want);
      CHECK(!present(a));
      CHECK(!present(c));
      /* A wrong-dimension query is rejected too. */
      lp_store_rows rows = {0};
      CHECK_EQ(lp_store_search(g_store, g.vec, DIM - 1, 3, NULL, LP_METRIC_L2, &rows, &err), LP_EINVAL);
      CHECK_CONTAINS(err.message, "dimension");
    }
  }
  return NULL;
}

static void test_flaky_validation_and_bad_input(void) {
  char dir[4096];
  st_scratch("store_faults", dir, sizeof dir);
  snprintf(g_dir, sizeof g_dir, "%s", dir);
  atomic_store(&g_fail_every, 3);
  g_store = open_store(dir, 3, false);
  pthread_t th[4];
  for (unsigned t = 0; t < 4; t++) CHECK(pthread_create(&th[t], NULL, mixed_worker, (void *)(uintptr_t)t) == 0);
  for (unsigned t = 0; t < 4; t++) pthread_join(th[t], NULL);
  lp_error err = {0};
  uint64_t n = 0;
  CHECK_OK(lp_store_count(g_store, &n, &err), &err);
  CHECK_EQ(n, 4 * 40); /* exactly the good records */
  lp_store_stats st;
  lp_store_stats_get(g_store, &st);
  fprintf(stderr, "flaky validation: %u checks, %llu validation failures, %llu connections created\n",
          atomic_load(&g_checks), (unsigned long long)st.pool.validation_failures,
          (unsigned long long)st.pool.connections_created);
  CHECK_GT(st.pool.validation_failures, 0);
  CHECK_GT(st.pool.connections_created, 3); /* failed ones were replaced */
  st_check_balanced(g_store);
  atomic_store(&g_fail_every, 0);
  lp_store_close(g_store);
}

/* ---- part 3: the file system turns read-only mid-run -------------------------------------------------- */

#define RO_THREADS 4
#define RO_MAX 400

typedef struct {
  unsigned t, n;
  lp_status rc[RO_MAX];
  unsigned ro_errors, clear_errors;
} ro_state;

static atomic_bool g_ro_stop;

static void *ro_worker(void *arg) {
  ro_state *w = arg;
  lp_error err = {0};
  while (!atomic_load(&g_ro_stop) && w->n < RO_MAX) {
    char id0[32], id1[32];
    snprintf(id0, sizeof id0, "ro-%u-%u-0", w->t, w->n);
    snprintf(id1, sizeof id1, "ro-%u-%u-1", w->t, w->n);
    one_rec r[2];
    make(&r[0], id0, w->n);
    make(&r[1], id1, w->n + 1);
    lp_store_record recs[2] = {r[0].rec, r[1].rec};
    lp_status rc = lp_store_add(g_store, recs, 2, &err);
    if (rc != LP_OK) {
      w->ro_errors++;
      if (strstr(err.message, "Read-only file system") != NULL) w->clear_errors++;
      else fprintf(stderr, "write error: %s: %s\n", lp_status_name(rc), err.message);
    }
    w->rc[w->n++] = rc;
  }
  return NULL;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_read_only_mid_run(void) {
  char mnt[4096];
  st_scratch("store_faults_ro", mnt, sizeof mnt);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=64m") != 0) {
    fprintf(stderr, "note: cannot mount a tmpfs (%s): read-only part skipped\n", strerror(errno));
    return;
  }
  g_store = open_store(mnt, 4, true);
  static ro_state ws[RO_THREADS];
  pthread_t th[RO_THREADS];
  atomic_store(&g_ro_stop, false);
  for (unsigned t = 0; t < RO_THREADS; t++) {
    ws[t] = (ro_state){.t = t};
    CHECK(pthread_create(&th[t], NULL, ro_worker, &ws[t]) == 0);
  }
  sleep_ms(300);
  int tries = 0; /* a remount fails with EBUSY while a file is open for writing: retry */
  while (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0) {
    if (errno != EBUSY || ++tries > 2000) LP_FAIL("cannot remount %s read-only: %s", mnt, strerror(errno));
    sleep_ms(1);
  }
  sleep_ms(400);
  lp_error err = {0};
  uint64_t n_ro = 0;
  CHECK_OK(lp_store_count(g_store, &n_ro, &err), &err); /* reads still work */
  CHECK_OK(mount(NULL, mnt, NULL, MS_REMOUNT, NULL) == 0 ? LP_OK : LP_EIO, &err);
  sleep_ms(200);
  atomic_store(&g_ro_stop, true);
  for (unsigned t = 0; t < RO_THREADS; t++) pthread_join(th[t], NULL);
  unsigned ok = 0, failed = 0, clear = 0;
  for (unsigned t = 0; t < RO_THREADS; t++) {
    clear += ws[t].clear_errors;
    for (unsigned i = 0; i < ws[t].n; i++) {
      char id0[32], id1[32];
      snprintf(id0, sizeof id0, "ro-%u-%u-0", t, i);
      snprintf(id1, sizeof id1, "ro-%u-%u-1", t, i);
      bool want = ws[t].rc[i] == LP_OK;
      ok += want;
      failed += !want;
      if (present(id0) != want || present(id1) != want)
        LP_FAIL("write %s (%s) is %s in the table", id0, lp_status_name(ws[t].rc[i]), want ? "not" : "partly");
    }
  }
  uint64_t n = 0;
  CHECK_OK(lp_store_count(g_store, &n, &err), &err);
  CHECK_EQ(n, 2 * ok);
  fprintf(stderr, "read-only mid-run: %u writes committed, %u failed (%u saying 'Read-only file system')\n", ok,
          failed, clear);
  CHECK_GT(ok, 0);
  CHECK_GT(failed, 0);
  CHECK_EQ(clear, failed);
  /* Writable again: the store works. */
  one_rec r;
  make(&r, "after-ro", 1);
  CHECK_OK(lp_store_add(g_store, &r.rec, 1, &err), &err);
  CHECK(present("after-ro"));
  st_check_balanced(g_store);
  lp_store_close(g_store);
  CHECK(umount(mnt) == 0);
}

/* ---- part 4: every connection busy ------------------------------------------------------------------ */

static void test_acquire_timeout(void) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.pool.max_connections = 1;
  cfg.pool.acquire_timeout_ms = 100;
  cfg.pool.cleanup_interval_ms = 0;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "faults", &cfg, &g_store, &err), &err);
  void *held = NULL;
  CHECK_OK(lp_pool_acquire(lp_store_pool(g_store), &held, &err), &err);
  const char *ids[1] = {"good-0-0"};
  lp_store_rows rows = {0};
  CHECK_EQ(lp_store_get(g_store, ids, 1, &rows, &err), LP_ETIMEOUT);
  CHECK_CONTAINS(err.message, "busy past the acquire timeout");
  one_rec r;
  make(&r, "timeout-add", 3);
  CHECK_EQ(lp_store_add(g_store, &r.rec, 1, &err), LP_ETIMEOUT);
  lp_pool_release(lp_store_pool(g_store), held);
  CHECK(!present("timeout-add"));
  CHECK(present("good-0-0"));
  lp_store_stats st;
  lp_store_stats_get(g_store, &st);
  CHECK_GE(st.pool.timeouts, 2);
  st_check_balanced(g_store);
  lp_store_close(g_store);
}

int main(void) {
  RUN_TEST(test_flaky_validation_and_bad_input);
  RUN_TEST(test_acquire_timeout);
  RUN_TEST(test_read_only_mid_run);
  fprintf(stderr, "test_store_faults: ok\n");
  return 0;
}
