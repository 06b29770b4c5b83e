/* The store's operations one at a time: input validation (each bad input rejected with LP_EINVAL and a
 * message naming it, nothing committed), open checks, get/search/delete by ids, path and predicate,
 * upsert, compaction and version cleanup by maintenance, and freshness (another writer's commit is seen at
 * once with freshness_interval_ms 0, only after the interval otherwise). */
#include <unistd.h>

#include "store/store_int.h"
#include "store_test_util.h"

#define DIM 4

static char g_dir[4096];

typedef struct {
  char id[32], path[32], text[32];
  float vec[DIM];
  lp_store_record rec;
} rb;

static void mk(rb *r, const char *id, const char *path, unsigned seed) {
  snprintf(r->id, sizeof r->id, "%s", id);
  snprintf(r->path, sizeof r->path, "%s", path);
  snprintf(r->text, sizeof r->text, "text of %s", id);
  st_vector(seed, 0, DIM, r->vec);
  r->rec = (lp_store_record){r->id, r->path, r->text, r->vec, DIM, "{\"a\": 1}", 42, NULL, 0};
}

static lp_store *open_dim(uint32_t dim, uint32_t freshness_ms, lp_status want) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = dim;
  cfg.durable = false;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.freshness_interval_ms = freshness_ms;
  lp_store *s = NULL;
  lp_error err = {0};
  lp_status rc = lp_store_open(g_dir, "ops", &cfg, &s, &err);
  if (rc != want) LP_FAIL("open dim %u: %s: %s", dim, lp_status_name(rc), err.message);
  return s;
}

static uint64_t count(lp_store *s) {
  lp_error err = {0};
  uint64_t n = 0;
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  return n;
}

static void test_validation(void) {
  lp_store *s = open_dim(DIM, 0, LP_OK);
  lp_error err = {0};
  rb a, b;
  mk(&a, "a", "/x", 1);
  mk(&b, "b", "/x", 2);
  lp_store_record recs[2];
  /* wrong dimension */
  recs[0] = a.rec;
  recs[1] = b.rec;
  recs[1].dim = DIM + 2;
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "record 1 (id 'b'): vector has dimension 6, the store's is 4");
  /* NULL vector */
  recs[1] = b.rec;
  recs[1].vector = NULL;
  CHECK_EQ(lp_store_upsert(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "is NULL");
  /* duplicate id in one call */
  recs[1] = b.rec;
  recs[1].id = "a";
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "id 'a' appears more than once in one call");
  /* metadata not an object, not JSON at all */
  recs[1] = b.rec;
  recs[1].metadata = "\"just a string\"";
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "metadata is not a JSON object");
  recs[1].metadata = "{\"open\": ";
  CHECK_EQ(lp_store_upsert(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "metadata is not a JSON object");
  /* empty and NULL id */
  recs[1] = b.rec;
  recs[1].id = "";
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "record 1: empty id");
  recs[1].id = NULL;
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EINVAL);
  CHECK_EQ(lp_store_add(s, NULL, 2, &err), LP_EINVAL);
  CHECK_EQ(count(s), 0); /* nothing of any of them committed */
  /* bad queries and deletes */
  lp_store_rows rows = {0};
  CHECK_EQ(lp_store_search(s, a.vec, DIM + 1, 5, NULL, LP_METRIC_L2, &rows, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "dimension 5");
  CHECK_EQ(lp_store_search(s, NULL, DIM, 5, NULL, LP_METRIC_L2, &rows, &err), LP_EINVAL);
  const char *bad_ids[2] = {"a", ""};
  uint64_t deleted = 0;
  CHECK_EQ(lp_store_delete_ids(s, bad_ids, 2, &deleted, &err), LP_EINVAL);
  CHECK_EQ(lp_store_delete_where(s, "", &deleted, &err), LP_EINVAL);
  CHECK_EQ(lp_store_delete_where(s, NULL, &deleted, &err), LP_EINVAL);
  CHECK_EQ(lp_store_delete_path(s, NULL, &deleted, &err), LP_EINVAL);
  /* a good batch goes in whole; adding an id again is LP_EEXIST and commits nothing */
  recs[0] = a.rec;
  recs[1] = b.rec;
  CHECK_OK(lp_store_add(s, recs, 2, &err), &err);
  rb c;
  mk(&c, "c", "/y", 3);
  recs[0] = c.rec;
  recs[1] = a.rec;
  CHECK_EQ(lp_store_add(s, recs, 2, &err), LP_EEXIST);
  CHECK_CONTAINS(err.message, "id 'a' is already in table ops");
  CHECK_EQ(count(s), 2);
  st_check_balanced(s);
  lp_store_close(s);
}

static void test_open_checks(void) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  lp_store *s = NULL;
  lp_error err = {0};
  cfg.dim = 0;
  CHECK_EQ(lp_store_open(g_dir, "ops", &cfg, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "dimension 0");
  cfg.dim = DIM + 1; /* the table exists with DIM */
  CHECK_EQ(lp_store_open(g_dir, "ops", &cfg, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "vector column");
  cfg.dim = DIM;
  CHECK_EQ(lp_store_open(g_dir, "a/b", &cfg, &s, &err), LP_EINVAL);
  cfg.compact_deleted_ratio = 2;
  CHECK_EQ(lp_store_open(g_dir, "ops", &cfg, &s, &err), LP_EINVAL);
  cfg.compact_deleted_ratio = 0.2;
  cfg.create_if_missing = false;
  CHECK_EQ(lp_store_open(g_dir, "missing", &cfg, &s, &err), LP_ENOTFOUND);
  cfg.pool.max_connections = 0;
  cfg.create_if_missing = true;
  CHECK_EQ(lp_store_open(g_dir, "ops", &cfg, &s, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "max_connections");
}

static void test_read_write_ops(void) {
  lp_store *s = open_dim(DIM, 0, LP_OK);
  lp_error err = {0};
  rb r[6];
  const char *paths[6] = {"/x", "/x", "/y", "/y", "/z", "/z"};
  const char *ids_all[6] = {"a", "b", "c", "d", "e", "f"};
  lp_store_record recs[6];
  for (int i = 2; i < 6; i++) {
    mk(&r[i], ids_all[i], paths[i], (unsigned)i + 1);
    recs[i - 2] = r[i].rec;
  }
  CHECK_OK(lp_store_add(s, recs, 4, &err), &err); /* a, b exist from test_validation */
  CHECK_EQ(count(s), 6);
  /* get: asked order, missing skipped */
  const char *q[4] = {"f", "nope", "a", "c"};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get(s, q, 4, &rows, &err), &err);
  CHECK_EQ(rows.n, 3);
  CHECK_STR_EQ(rows.rows[0].id, "f");
  CHECK_STR_EQ(rows.rows[1].id, "a");
  CHECK_STR_EQ(rows.rows[2].id, "c");
  CHECK_STR_EQ(rows.rows[2].text, "text of c");
  CHECK_STR_EQ(rows.rows[2].metadata, "{\"a\": 1}");
  CHECK(memcmp(rows.rows[2].vector, r[2].vec, sizeof r[2].vec) == 0);
  lp_store_rows_reset(&rows);
  /* search: nearest first with distances; the predicate filters before ranking */
  CHECK_OK(lp_store_search(s, r[4].vec, DIM, 3, NULL, LP_METRIC_L2, &rows, &err), &err);
  CHECK_EQ(rows.n, 3);
  CHECK_STR_EQ(rows.rows[0].id, "e");
  CHECK(rows.rows[0].distance == 0.0f);
  CHECK(rows.rows[1].distance <= rows.rows[2].distance);
  lp_store_rows_reset(&rows);
  CHECK_OK(lp_store_search(s, r[4].vec, DIM, 10, "path = '/y'", LP_METRIC_COSINE, &rows, &err), &err);
  CHECK_EQ(rows.n, 2);
  for (size_t i = 0; i < rows.n; i++) CHECK_STR_EQ(rows.rows[i].path, "/y");
  lp_store_rows_reset(&rows);
  CHECK_EQ(lp_store_search(s, r[4].vec, DIM, 3, "nosuchcol = 1", LP_METRIC_L2, &rows, &err), LP_EINVAL);
  /* upsert: replaces one, inserts one, atomically */
  rb up[2];
  mk(&up[0], "c", "/y2", 100);
  mk(&up[1], "g", "/g", 101);
  lp_store_record ur[2] = {up[0].rec, up[1].rec};
  CHECK_OK(lp_store_upsert(s, ur, 2, &err), &err);
  CHECK_EQ(count(s), 7);
  const char *qc[1] = {"c"};
  CHECK_OK(lp_store_get(s, qc, 1, &rows, &err), &err);
  CHECK_EQ(rows.n, 1);
  CHECK_STR_EQ(rows.rows[0].path, "/y2");
  CHECK(memcmp(rows.rows[0].vector, up[0].vec, sizeof up[0].vec) == 0);
  lp_store_rows_reset(&rows);
  /* deletes: by ids (counting only present ones), by path, by predicate */
  uint64_t deleted = 0;
  const char *del[3] = {"a", "zzz", "b"};
  CHECK_OK(lp_store_delete_ids(s, del, 3, &deleted, &err), &err);
  CHECK_EQ(deleted, 2);
  CHECK_OK(lp_store_delete_path(s, "/z", &deleted, &err), &err);
  CHECK_EQ(deleted, 2);
  CHECK_OK(lp_store_delete_where(s, "id = 'g' OR path = '/nowhere'", &deleted, &err), &err);
  CHECK_EQ(deleted, 1);
  CHECK_OK(lp_store_delete_where(s, "id = 'nobody'", &deleted, &err), &err);
  CHECK_EQ(deleted, 0);
  CHECK_EQ(lp_store_delete_where(s, "id = = 'x'", &deleted, &err), LP_EINVAL);
  CHECK_EQ(count(s), 2); /* c, d */
  /* a path with a quote in it */
  rb qt;
  mk(&qt, "quote", "/it's", 7);
  CHECK_OK(lp_store_add(s, &qt.rec, 1, &err), &err);
  CHECK_OK(lp_store_delete_path(s, "/it's", &deleted, &err), &err);
  CHECK_EQ(deleted, 1);
  st_check_balanced(s);
  lp_store_close(s);
}

static void test_maintenance(void) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.durable = false;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.compact_min_fragments = 5;
  cfg.retention_ms = 1000;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "maint", &cfg, &s, &err), &err);
  for (int i = 0; i < 6; i++) { /* 6 single-record commits: 6 fragments */
    rb r;
    char id[16];
    snprintf(id, sizeof id, "m%d", i);
    mk(&r, id, "/m", (unsigned)i);
    CHECK_OK(lp_store_add(s, &r.rec, 1, &err), &err);
  }
  bool compacted = false;
  CHECK_OK(lp_store_maintain(s, &compacted, &err), &err);
  CHECK(compacted);
  CHECK_EQ(count(s), 6);
  CHECK_OK(lp_store_maintain(s, &compacted, &err), &err);
  CHECK(!compacted); /* one fragment now: nothing to do */
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "maint", LP_VERSION_LATEST, &t, &err), &err);
  lp_version_info *vs = NULL;
  size_t nv_before = 0, nv_after = 0;
  CHECK_OK(lp_table_versions(t, &vs, &nv_before, &err), &err);
  free(vs);
  lp_table_close(t);
  /* many deleted rows trigger compaction too; old versions go after the retention */
  const char *del[2] = {"m0", "m1"};
  uint64_t deleted = 0;
  CHECK_OK(lp_store_delete_ids(s, del, 2, &deleted, &err), &err);
  sleep(2);
  CHECK_OK(lp_store_maintain(s, &compacted, &err), &err);
  CHECK(compacted);
  CHECK_OK(lp_table_open(db, "maint", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_OK(lp_table_versions(t, &vs, &nv_after, &err), &err);
  free(vs);
  lp_table_close(t);
  lp_db_close(db);
  fprintf(stderr, "versions before cleanup %zu, after %zu\n", nv_before, nv_after);
  CHECK_GE(nv_before, 8);
  CHECK_LE(nv_after, 2);
  CHECK_EQ(count(s), 4);
  lp_store_stats st;
  lp_store_stats_get(s, &st);
  CHECK_EQ(st.compactions, 2);
  CHECK_GE(st.cleanups, 1);
  CHECK_EQ(st.maintenance_errors, 0);
  lp_store_close(s);
}

/* A compaction in the middle of the table: fragments [40 rows, 1, 1, 40 rows] with compact_target_rows 32
 * become [40, new, 40], the new fragment's id higher than the one after it. lancepool and official
 * LanceDB must both read it (fragment ids are unique, not ascending, after a Rewrite). */
static void test_compaction_in_the_middle(void) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.durable = false;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.compact_target_rows = 32;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "middle", &cfg, &s, &err), &err);
  static rb r[82];
  lp_store_record recs[40];
  unsigned k = 0;
  const unsigned sizes[4] = {40, 1, 1, 40};
  for (int b = 0; b < 4; b++) {
    for (unsigned i = 0; i < sizes[b]; i++, k++) {
      char id[16];
      snprintf(id, sizeof id, "r%02u", k);
      mk(&r[k], id, "/m", k);
      recs[i] = r[k].rec;
    }
    CHECK_OK(lp_store_add(s, recs, sizes[b], &err), &err);
  }
  uint64_t rewritten = 0;
  CHECK_OK(lp_store_compact(s, &rewritten, &err), &err);
  CHECK_EQ(rewritten, 2);
  CHECK_EQ(count(s), 82);
  const char *q[3] = {"r81", "r40", "r00"};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get(s, q, 3, &rows, &err), &err);
  CHECK_EQ(rows.n, 3);
  CHECK_STR_EQ(rows.rows[1].id, "r40");
  lp_store_rows_reset(&rows);
  lp_store_close(s);
  char *out = st_lancedb_dump(g_dir, "middle");
  if (out == NULL) return;
  /* (lancedb_dump orders rows by _rowid, i.e. by fragment id, so only the set of ids is compared.) */
  size_t lines = 0;
  bool seen[82] = {0};
  for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"), lines++) {
    unsigned id = 99;
    CHECK(sscanf(line, "{\"id\":\"r%u\"", &id) == 1);
    CHECK(id < 82 && !seen[id]);
    seen[id] = true;
  }
  CHECK_EQ(lines, 82);
  free(out);
}

/* Another writer (a plain connection, as another process or LanceDB would be) commits a record. */
static void external_add(const char *id) {
  lp_db *db = NULL;
  lp_error err = {0};
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);
  rb r;
  mk(&r, id, "/ext", 9);
  CHECK_OK(lp__store_conn_add(db, "ops", NULL, &r.rec, 1, NULL, NULL, &err), &err);
  lp_db_close(db);
}

static void test_freshness(void) {
  lp_store *s = open_dim(DIM, 0, LP_OK);
  uint64_t before = count(s);
  external_add("ext-1");
  CHECK_EQ(count(s), before + 1); /* interval 0: seen at once */
  lp_store_close(s);
  s = open_dim(DIM, 300, LP_OK);
  before = count(s);
  external_add("ext-2");
  CHECK_EQ(count(s), before); /* within the interval the connection's view is kept ... */
  usleep(400 * 1000);
  CHECK_EQ(count(s), before + 1); /* ... and re-checked after it */
  lp_store_close(s);
}

int main(void) {
  st_scratch("store_ops", g_dir, sizeof g_dir);
  RUN_TEST(test_validation);
  RUN_TEST(test_open_checks);
  RUN_TEST(test_read_write_ops);
  RUN_TEST(test_maintenance);
  RUN_TEST(test_freshness);
  RUN_TEST(test_compaction_in_the_middle);
  fprintf(stderr, "test_store_ops: ok\n");
  return 0;
}
