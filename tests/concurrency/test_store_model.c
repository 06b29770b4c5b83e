/* The store against a sequential model. 8 threads share one store (4 pooled connections, so threads wait
 * for each other) and run random adds (1-3 records), upserts, deletes by id, gets and filtered searches for
 * a bounded time, while the pool's cleanup task compacts and cleans up underneath. Each thread owns its
 * own keys, so its sequential model of them is exact: every answer must match it at once (a thread always
 * sees its own committed writes and nothing stale), adds of present keys must fail with LP_EEXIST,
 * deletes must report exactly the rows the model had. Other threads' keys are read too (gets of them
 * must return a record whose text and vector belong together). Afterwards the table's content equals the
 * union of the models, official LanceDB 0.31.0 reads the same content, and the pool statistics balance. */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "store_test_util.h"

#define N_THREADS 8
#define KEYS_PER_THREAD 8
#define N_KEYS (N_THREADS * KEYS_PER_THREAD)
#define DIM 8
#define MAX_OPS 400
#define SECONDS 4.0

static char g_dir[4096];
static lp_store *g_store;
/* model[key] = 0: absent, else the version of the record stored under key (text "k<key>-v<version>"). */
static unsigned g_model[N_KEYS];
static atomic_ulong g_ops, g_eexist, g_searches;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
  char id[16], path[16], text[32], meta[48];
  float vec[DIM];
} rec_buf;

static void make_rec(unsigned key, unsigned version, rec_buf *b, lp_store_record *r) {
  snprintf(b->id, sizeof b->id, "key-%u", key);
  snprintf(b->path, sizeof b->path, "/p/%u", key);
  snprintf(b->text, sizeof b->text, "k%u-v%u", key, version);
  snprintf(b->meta, sizeof b->meta, "{\"key\": %u, \"version\": %u}", key, version);
  st_vector(key, version, DIM, b->vec);
  *r = (lp_store_record){b->id, b->path, b->text, b->vec, DIM, b->meta, (int64_t)version * 1000, NULL, 0};
}

/* A row read back must be the record (key, version) exactly. */
static void check_row(const lp_store_row *row, unsigned key, unsigned version) {
  rec_buf b;
  lp_store_record r;
  make_rec(key, version, &b, &r);
  CHECK_STR_EQ(row->id, b.id);
  CHECK_STR_EQ(row->path, b.path);
  CHECK_STR_EQ(row->text, b.text);
  CHECK_STR_EQ(row->metadata, b.meta);
  CHECK(row->vector != NULL);
  CHECK(memcmp(row->vector, b.vec, sizeof b.vec) == 0);
  CHECK(row->has_created_at);
  CHECK_EQ(row->created_at_us, (int64_t)version * 1000);
}

static uint32_t rnd(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void *worker(void *arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  uint32_t x = 0x9e3779b9u ^ (t * 7919u + 1u);
  unsigned *model = &g_model[t * KEYS_PER_THREAD];
  unsigned next_version = 1;
  double deadline = now_s() + SECONDS;
  lp_error err = {0};
  for (int op = 0; op < MAX_OPS && now_s() < deadline; op++) {
    unsigned r = rnd(&x) % 100;
    unsigned k = rnd(&x) % KEYS_PER_THREAD, key = t * KEYS_PER_THREAD + k;
    if (r < 25) { /* add 1-3 of my keys */
      unsigned n = 1 + rnd(&x) % 3;
      rec_buf b[3];
      lp_store_record recs[3];
      bool any_present = false;
      unsigned keys[3];
      for (unsigned i = 0; i < n; i++) {
        keys[i] = t * KEYS_PER_THREAD + (k + i) % KEYS_PER_THREAD;
        make_rec(keys[i], next_version + i, &b[i], &recs[i]);
        any_present |= model[keys[i] - t * KEYS_PER_THREAD] != 0;
      }
      lp_status rc = lp_store_add(g_store, recs, n, &err);
      if (any_present) {
        if (rc != LP_EEXIST) LP_FAIL("add of a present key: %s (%s)", lp_status_name(rc), err.message);
        atomic_fetch_add(&g_eexist, 1);
      } else {
        CHECK_OK(rc, &err);
        for (unsigned i = 0; i < n; i++) model[keys[i] - t * KEYS_PER_THREAD] = next_version + i;
      }
      next_version += n;
    } else if (r < 45) { /* upsert */
      rec_buf b;
      lp_store_record rec;
      make_rec(key, next_version, &b, &rec);
      CHECK_OK(lp_store_upsert(g_store, &rec, 1, &err), &err);
      model[k] = next_version++;
    } else if (r < 60) { /* delete by id */
      char id[16];
      snprintf(id, sizeof id, "key-%u", key);
      const char *ids[1] = {id};
      uint64_t deleted = 99;
      CHECK_OK(lp_store_delete_ids(g_store, ids, 1, &deleted, &err), &err);
      CHECK_EQ(deleted, model[k] != 0 ? 1 : 0);
      model[k] = 0;
    } else if (r < 85) { /* get one of mine and one of anybody's */
      unsigned other = rnd(&x) % N_KEYS;
      char id1[16], id2[16];
      snprintf(id1, sizeof id1, "key-%u", key);
      snprintf(id2, sizeof id2, "key-%u", other);
      const char *ids[2] = {id1, id2};
      lp_store_rows rows = {0};
      CHECK_OK(lp_store_get(g_store, ids, other == key ? 1 : 2, &rows, &err), &err);
      size_t at = 0;
      if (model[k] != 0) {
        CHECK(rows.n >= 1);
        check_row(&rows.rows[0], key, model[k]);
        at = 1;
      }
      if (other != key && at < rows.n) { /* someone else's: consistent within itself */
        unsigned v = 0;
        CHECK_STR_EQ(rows.rows[at].id, id2);
        CHECK(sscanf(rows.rows[at].text, "k%*u-v%u", &v) == 1);
        check_row(&rows.rows[at], other, v);
        at++;
      }
      CHECK_EQ(rows.n, at);
      lp_store_rows_reset(&rows);
    } else { /* search my key by its own vector, filtered to its path */
      unsigned v = model[k] ? model[k] : 1;
      float q[DIM];
      st_vector(key, v, DIM, q);
      char pred[32];
      snprintf(pred, sizeof pred, "path = '/p/%u'", key);
      lp_store_rows rows = {0};
      CHECK_OK(lp_store_search(g_store, q, DIM, 3, pred, LP_METRIC_L2, &rows, &err), &err);
      if (model[k] == 0) {
        CHECK_EQ(rows.n, 0);
      } else {
        CHECK_EQ(rows.n, 1);
        check_row(&rows.rows[0], key, model[k]);
        CHECK(rows.rows[0].distance == 0.0f);
      }
      lp_store_rows_reset(&rows);
      atomic_fetch_add(&g_searches, 1);
    }
    atomic_fetch_add(&g_ops, 1);
  }
  return NULL;
}

/* The store's whole content must be the model's. */
static void check_content(lp_store *s) {
  lp_error err = {0};
  uint64_t count = 0, want = 0;
  CHECK_OK(lp_store_count(s, &count, &err), &err);
  for (unsigned key = 0; key < N_KEYS; key++) want += g_model[key] != 0;
  CHECK_EQ(count, want);
  for (unsigned key = 0; key < N_KEYS; key++) {
    char id[16];
    snprintf(id, sizeof id, "key-%u", key);
    const char *ids[1] = {id};
    lp_store_rows rows = {0};
    CHECK_OK(lp_store_get(s, ids, 1, &rows, &err), &err);
    CHECK_EQ(rows.n, g_model[key] != 0 ? 1 : 0);
    if (rows.n) check_row(&rows.rows[0], key, g_model[key]);
    lp_store_rows_reset(&rows);
  }
}

/* Official LanceDB reads the same content. */
static void check_with_lancedb(void) {
  char *out = st_lancedb_dump(g_dir, "mem");
  if (out == NULL) {
    fprintf(stderr, "note: LP_NODE_DIR not set: official LanceDB read-back skipped\n");
    return;
  }
  bool seen[N_KEYS] = {0};
  size_t lines = 0;
  for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    if (j == NULL) LP_FAIL("LanceDB output is not JSON: %s", line);
    unsigned key = 0, v = 0;
    CHECK(sscanf(json_string_value(json_object_get(j, "id")), "key-%u", &key) == 1);
    CHECK(key < N_KEYS);
    CHECK(!seen[key]);
    seen[key] = true;
    CHECK(sscanf(json_string_value(json_object_get(j, "text")), "k%*u-v%u", &v) == 1);
    CHECK_EQ(v, g_model[key]);
    char meta[48];
    snprintf(meta, sizeof meta, "{\"key\": %u, \"version\": %u}", key, v);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "metadata")), meta);
    json_decref(j);
    lines++;
  }
  size_t want = 0;
  for (unsigned key = 0; key < N_KEYS; key++) want += g_model[key] != 0;
  CHECK_EQ(lines, want);
  free(out);
  fprintf(stderr, "official LanceDB read %zu records, as the model says\n", lines);
}

int main(void) {
  st_scratch("store_model", g_dir, sizeof g_dir);
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.pool.max_connections = 4;
  cfg.pool.cleanup_interval_ms = 150; /* maintenance runs often during the test */
  cfg.compact_min_fragments = 6;
  cfg.retention_ms = 500;
  cfg.durable = false; /* speed: durability is the write path's tests' business */
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "mem", &cfg, &g_store, &err), &err);
  pthread_t th[N_THREADS];
  for (unsigned t = 0; t < N_THREADS; t++) CHECK(pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t) == 0);
  for (unsigned t = 0; t < N_THREADS; t++) pthread_join(th[t], NULL);
  check_content(g_store);
  uint64_t rewritten = 0;
  CHECK_OK(lp_store_compact(g_store, &rewritten, &err), &err); /* then once more after a compaction */
  check_content(g_store);
  lp_store_stats st;
  lp_store_stats_get(g_store, &st);
  fprintf(stderr,
          "ops=%lu (searches %lu, rejected adds %lu) commits=%llu writes=%llu compactions=%llu cleanups=%llu "
          "maintenance_errors=%llu pool: created=%llu reused=%llu waits=%llu\n",
          atomic_load(&g_ops), atomic_load(&g_searches), atomic_load(&g_eexist), (unsigned long long)st.commits,
          (unsigned long long)st.writes, (unsigned long long)st.compactions, (unsigned long long)st.cleanups,
          (unsigned long long)st.maintenance_errors, (unsigned long long)st.pool.connections_created,
          (unsigned long long)st.pool.connections_reused, (unsigned long long)st.pool.wait_count);
  CHECK_GT(atomic_load(&g_ops), 8 * 20);
  CHECK_GT(st.commits, 0);
  CHECK_LE(st.commits, st.writes); /* group commit never makes more commits than writes */
  CHECK_LE(st.pool.connections_created - st.pool.destroyed, 4);
  CHECK_GT(st.pool.maintenance_runs, 0); /* the pool's cleanup task maintained the table during the run */
  CHECK_EQ(st.pool.maintenance_failures, st.maintenance_errors);
  st_check_balanced(g_store);
  lp_store_close(g_store);
  /* A second store on the same table (a new pool, nothing cached) sees the same content. */
  cfg.pool.cleanup_interval_ms = 0;
  CHECK_OK(lp_store_open(g_dir, "mem", &cfg, &g_store, &err), &err);
  check_content(g_store);
  st_check_balanced(g_store);
  lp_store_close(g_store);
  check_with_lancedb();
  fprintf(stderr, "test_store_model: ok\n");
  return 0;
}
