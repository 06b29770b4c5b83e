/* The store's id index follows the table through changes it did not make: another connection deletes,
 * appends, compacts (rows move to new fragments), upserts and restores an old version (deleted rows come
 * back), interleaved with the store's own adds and deletes. After every step the store's gets (answered
 * through the index) must return exactly what a scan of the table returns, adds of ids present must fail
 * with LP_EEXIST and adds of ids absent must succeed. Then the notes of the store's own appends: the index
 * takes a committed file's ids from the note, so it finds them even when the file cannot be read (which
 * a scan would need); without the note the file is read. */
#include <unistd.h>

#include "table/table.h"
#include "store/store_index.h"
#include "store/store_int.h"
#include "store_test_util.h"

#define DIM 4
#define N_KEYS 30
#define N_EXTRA 5

static char g_dir[4096];
static const char *TABLE = "idx";

typedef struct {
  char id[32], text[48];
  float vec[DIM];
  lp_store_record rec;
} rb;

static void mk(rb *r, const char *id, const char *text, unsigned seed) {
  snprintf(r->id, sizeof r->id, "%s", id);
  snprintf(r->text, sizeof r->text, "%s", text);
  st_vector(seed, 0, DIM, r->vec);
  r->rec = (lp_store_record){r->id, "/p", r->text, r->vec, DIM, "{}", 7, NULL, 0};
}

/* Every id the test uses: k0..k29 and x0..x4. */
static char g_ids[N_KEYS + N_EXTRA][16];
static const char *g_idp[N_KEYS + N_EXTRA];

/* The store's view (through the index) equals a scan of the latest version. */
static void check_same(lp_store *s, lp_db *db, const char *step) {
  lp_error err = {0};
  lp_store_rows via_index = {0}, via_scan = {0};
  CHECK_OK(lp_store_get(s, g_idp, N_KEYS + N_EXTRA, &via_index, &err), &err);
  CHECK_OK(lp__store_conn_get(db, TABLE, g_idp, N_KEYS + N_EXTRA, &via_scan, &err), &err);
  if (via_index.n != via_scan.n) LP_FAIL("%s: the index finds %zu ids, a scan %zu", step, via_index.n, via_scan.n);
  for (size_t i = 0; i < via_scan.n; i++) {
    CHECK_STR_EQ(via_index.rows[i].id, via_scan.rows[i].id);
    CHECK_STR_EQ(via_index.rows[i].text, via_scan.rows[i].text);
  }
  uint64_t n = 0;
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  fprintf(stderr, "%s: %zu of the ids present, %llu rows\n", step, via_scan.n, (unsigned long long)n);
  lp_store_rows_reset(&via_index);
  lp_store_rows_reset(&via_scan);
}

static void add_range(lp_store *s, lp_db *db, const char *prefix, unsigned from, unsigned to, const char *text) {
  rb r[N_KEYS];
  lp_store_record recs[N_KEYS];
  for (unsigned i = from; i < to; i++) {
    char id[16];
    snprintf(id, sizeof id, "%s%u", prefix, i);
    mk(&r[i - from], id, text, i);
    recs[i - from] = r[i - from].rec;
  }
  lp_error err = {0};
  if (s != NULL)
    CHECK_OK(lp_store_add(s, recs, to - from, &err), &err);
  else
    CHECK_OK(lp__store_conn_add(db, TABLE, NULL, recs, to - from, NULL, NULL, &err), &err);
}

static void store_add_one(lp_store *s, const char *id, lp_status want) {
  rb r;
  mk(&r, id, "added again", 99);
  lp_error err = {0};
  lp_status rc = lp_store_add(s, &r.rec, 1, &err);
  if (rc != want) LP_FAIL("add %s: %s (%s), expected %s", id, lp_status_name(rc), err.message, lp_status_name(want));
}

static void external_delete(lp_db *db, const char *a, const char *b) {
  const char *ids[2] = {a, b};
  uint64_t n = 0;
  lp_error err = {0};
  CHECK_OK(lp__store_conn_delete_ids(db, TABLE, "id", ids, b ? 2 : 1, NULL, &n, &err), &err);
  CHECK_EQ(n, b ? 2 : 1);
}

/* Truncate the data file of table `name`'s newest fragment (so reading its ids fails). */
static void truncate_newest_file(lp_db *db, const char *name) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, name, LP_VERSION_LATEST, &t, &err), &err);
  const lp__fragment *f = &t->m->fragments[t->m->n_fragments - 1];
  char path[8192];
  snprintf(path, sizeof path, "%s/data/%s", t->dir, f->files[0].path);
  lp_table_close(t);
  CHECK_EQ(truncate(path, 0), 0);
}

static void lookup_ids(lp__store_index *idx, lp_db *db, const char *name, const char *const *ids, size_t n,
                       uint64_t *pos, lp_status want) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, name, LP_VERSION_LATEST, &t, &err), &err);
  bool used = false;
  lp_status rc = lp__store_index_lookup(idx, t, ids, n, pos, &used, &err);
  lp_table_close(t);
  if (rc != want) LP_FAIL("lookup: %s (%s), expected %s", lp_status_name(rc), err.message, lp_status_name(want));
  if (rc == LP_OK) CHECK(used);
}

static void test_notes(lp_db *db) {
  const char *name = "noted";
  lp_error err = {0};
  CHECK_OK(lp__store_conn_create(db, name, DIM, &err), &err);
  lp__store_index *idx = NULL;
  CHECK_OK(lp__store_index_create("id", &idx, &err), &err);
  rb r[2];
  lp_store_record recs[2];
  const char *ids[2] = {"n0", "n1"};
  for (int i = 0; i < 2; i++) {
    mk(&r[i], ids[i], "noted", (unsigned)i);
    recs[i] = r[i].rec;
  }
  CHECK_OK(lp__store_conn_add(db, name, NULL, recs, 2, NULL, idx, &err), &err);
  truncate_newest_file(db, name); /* only the note can tell its ids now */
  uint64_t pos[2];
  lookup_ids(idx, db, name, ids, 2, pos, LP_OK);
  CHECK_EQ(pos[0], 0);
  CHECK_EQ(pos[1], 1);
  /* Without the note (a fresh index, as for another writer's append) the file must be read, and fails. */
  lp__store_index_destroy(idx);
  CHECK_OK(lp__store_index_create("id", &idx, &err), &err);
  lookup_ids(idx, db, name, ids, 2, pos, LP_ECORRUPT);
  lp__store_index_destroy(idx);
}

int main(void) {
  st_scratch("store_index", g_dir, sizeof g_dir);
  for (unsigned i = 0; i < N_KEYS + N_EXTRA; i++) {
    if (i < N_KEYS) snprintf(g_ids[i], sizeof g_ids[i], "k%u", i);
    else snprintf(g_ids[i], sizeof g_ids[i], "x%u", i - N_KEYS);
    g_idp[i] = g_ids[i];
  }
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.durable = false;
  cfg.pool.cleanup_interval_ms = 0;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, TABLE, &cfg, &s, &err), &err);
  lp_db *db = NULL; /* "another writer": its own connection, no session, no index */
  CHECK_OK(lp_db_open(g_dir, NULL, &db, &err), &err);

  for (unsigned f = 0; f < 3; f++) add_range(s, NULL, "k", f * 10, f * 10 + 10, "first");
  check_same(s, db, "three fragments");
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, TABLE, LP_VERSION_LATEST, &t, &err), &err);
  uint64_t v_three = lp_table_version(t);
  lp_table_close(t);

  external_delete(db, "k3", "k15");
  check_same(s, db, "after another writer's delete");
  store_add_one(s, "k3", LP_OK);
  store_add_one(s, "k4", LP_EEXIST);
  check_same(s, db, "k3 added back");

  add_range(NULL, db, "x", 0, N_EXTRA, "extra");
  check_same(s, db, "after another writer's append");
  store_add_one(s, "x1", LP_EEXIST);

  const char *mine[3] = {"k4", "x2", "k15"}; /* k15 is gone already */
  uint64_t n = 0;
  CHECK_OK(lp_store_delete_ids(s, mine, 3, &n, &err), &err);
  CHECK_EQ(n, 2);
  check_same(s, db, "after the store's delete");

  uint64_t v = 0, rewritten = 0;
  CHECK_OK(lp_db_compact(db, TABLE, NULL, &v, &rewritten, &err), &err);
  CHECK_GT(rewritten, 1);
  check_same(s, db, "after another writer's compaction");
  const char *five[1] = {"k5"};
  CHECK_OK(lp_store_delete_ids(s, five, 1, &n, &err), &err);
  CHECK_EQ(n, 1);
  check_same(s, db, "after the store's delete of a moved row");

  rb up;
  mk(&up, "k6", "upserted elsewhere", 6);
  CHECK_OK(lp__store_conn_upsert(db, TABLE, NULL, &up.rec, 1, NULL, &err), &err);
  check_same(s, db, "after another writer's upsert");

  CHECK_OK(lp_db_restore(db, TABLE, v_three, NULL, &v, &err), &err);
  check_same(s, db, "after another writer restored the first version");
  store_add_one(s, "x0", LP_OK);
  store_add_one(s, "k15", LP_EEXIST); /* back since the restore */
  CHECK_OK(lp_store_delete_where(s, "id = 'k20'", &n, &err), &err);
  CHECK_EQ(n, 1);
  check_same(s, db, "after the store's delete by predicate");

  test_notes(db);
  lp_db_close(db);
  lp_store_close(s);
  return 0;
}
