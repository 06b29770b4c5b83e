/* A lancepool store and official LanceDB 0.31.0 writing the same table. With freshness_interval_ms 0 every
 * store call sees LanceDB's commits at once (LanceDB's own default would not); LanceDB sees the store's
 * commits; the store keeps working across LanceDB's compaction (its id index follows), its deletes by id
 * interleave with LanceDB's deletes and adds, and LanceDB reads what the store's upsert and maintenance
 * wrote. */
#include <stdarg.h>

#include "store_test_util.h"

#define DIM 8

static char g_dir[4096];

static void node(char *out, size_t cap, const char *fmt, ...) {
  char args[1024], cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "node '%s/store_writer.mjs' %s 2>/dev/null", getenv("LP_NODE_DIR"), args);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  while (n > 0 && out[n - 1] == '\n') out[--n] = '\0';
  int rc = pclose(p);
  if (rc != 0) LP_FAIL("node store_writer.mjs %s failed (%d): %s", args, rc, out);
}

static const char *text_of(lp_store *s, const char *id, char *buf, size_t cap) {
  lp_error err = {0};
  const char *ids[1] = {id};
  lp_store_rows rows = {0};
  CHECK_OK(lp_store_get(s, ids, 1, &rows, &err), &err);
  snprintf(buf, cap, "%s", rows.n ? rows.rows[0].text : "-");
  lp_store_rows_reset(&rows);
  return buf;
}

static uint64_t store_delete(lp_store *s, const char *a, const char *b) {
  const char *ids[2] = {a, b};
  uint64_t n = 0;
  lp_error err = {0};
  CHECK_OK(lp_store_delete_ids(s, ids, b ? 2 : 1, &n, &err), &err);
  return n;
}

/* The store's deletes (rows located through its id index) interleaved with LanceDB's deletes, adds and
 * compaction: the index follows every commit, whoever made it. */
static void interleaved_deletes(lp_store *s) {
  char buf[256], out[4096];
  float v[DIM];
  st_vector(2, 1, DIM, v);
  lp_store_record d[6];
  char ids[6][8];
  for (int i = 0; i < 6; i++) {
    snprintf(ids[i], sizeof ids[i], "d%d", i);
    d[i] = (lp_store_record){ids[i], "/d", ids[i], v, DIM, "{}", 7, NULL, 0};
  }
  lp_error err = {0};
  CHECK_OK(lp_store_add(s, d, 6, &err), &err);
  CHECK_STR_EQ(text_of(s, "d1", buf, sizeof buf), "d1");
  node(out, sizeof out, "delete '%s' mem \"id = 'd1'\"", g_dir);
  CHECK_EQ(store_delete(s, "d2", NULL), 1);
  node(out, sizeof out, "add '%s' mem d7 'lancedb d7' %d", g_dir, DIM);
  CHECK_EQ(store_delete(s, "d1", "d7"), 1); /* d1 is gone already, d7 is LanceDB's */
  CHECK_STR_EQ(text_of(s, "d0", buf, sizeof buf), "d0");
  CHECK_STR_EQ(text_of(s, "d3", buf, sizeof buf), "d3");
  CHECK_STR_EQ(text_of(s, "d2", buf, sizeof buf), "-");
  CHECK_STR_EQ(text_of(s, "d7", buf, sizeof buf), "-");
  CHECK_OK(lp_store_add(s, &d[1], 1, &err), &err); /* deleted by LanceDB: may be added again */
  CHECK_EQ(lp_store_add(s, &d[3], 1, &err), LP_EEXIST);
  node(out, sizeof out, "optimize '%s' mem", g_dir); /* rows move, deletions are materialized */
  CHECK_EQ(store_delete(s, "d4", NULL), 1);
  CHECK_STR_EQ(text_of(s, "d5", buf, sizeof buf), "d5");
  CHECK_STR_EQ(text_of(s, "d1", buf, sizeof buf), "d1");
  node(out, sizeof out, "get '%s' mem d4", g_dir);
  CHECK_STR_EQ(out, "-");
  node(out, sizeof out, "get '%s' mem d2", g_dir);
  CHECK_STR_EQ(out, "-");
}

int main(void) {
  if (getenv("LP_NODE_DIR") == NULL) {
    fprintf(stderr, "SKIP: LP_NODE_DIR not set\n");
    return 0;
  }
  st_scratch("store_lancedb", g_dir, sizeof g_dir);
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.pool.cleanup_interval_ms = 0;
  cfg.compact_min_fragments = 4;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(g_dir, "mem", &cfg, &s, &err), &err);
  char buf[256], out[4096];
  float v[DIM];
  st_vector(1, 1, DIM, v);
  lp_store_record r[3] = {{"s1", "/s", "store one", v, DIM, "{}", 1, NULL, 0},
                          {"s2", "/s", "store two", v, DIM, "{}", 2, NULL, 0},
                          {"s3", "/s", "store three", v, DIM, "{}", 3, NULL, 0}};
  CHECK_OK(lp_store_add(s, r, 3, &err), &err);
  CHECK_STR_EQ(text_of(s, "s2", buf, sizeof buf), "store two"); /* the index is built now */
  /* LanceDB adds: seen by the very next store call. */
  node(out, sizeof out, "add '%s' mem l1 'lancedb one' %d", g_dir, DIM);
  CHECK_STR_EQ(text_of(s, "l1", buf, sizeof buf), "lancedb one");
  uint64_t n = 0;
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  CHECK_EQ(n, 4);
  /* A store add of LanceDB's id is refused. */
  lp_store_record dup = {"l1", "/s", "dup", v, DIM, "{}", 4, NULL, 0};
  CHECK_EQ(lp_store_add(s, &dup, 1, &err), LP_EEXIST);
  /* LanceDB deletes one of the store's records: gone for the store at once. */
  node(out, sizeof out, "delete '%s' mem \"id = 's1'\"", g_dir);
  CHECK_STR_EQ(text_of(s, "s1", buf, sizeof buf), "-");
  CHECK_STR_EQ(text_of(s, "s3", buf, sizeof buf), "store three");
  /* The store upserts LanceDB's record; LanceDB reads the new text. */
  lp_store_record up = {"l1", "/s", "rewritten by the store", v, DIM, "{\"by\": \"lancepool\"}", 5, NULL, 0};
  CHECK_OK(lp_store_upsert(s, &up, 1, &err), &err);
  node(out, sizeof out, "get '%s' mem l1", g_dir);
  CHECK_STR_EQ(out, "rewritten by the store");
  /* LanceDB compacts; the store still answers right, then compacts itself; LanceDB still reads it all. */
  node(out, sizeof out, "add '%s' mem l2 'lancedb two' %d", g_dir, DIM);
  node(out, sizeof out, "optimize '%s' mem", g_dir);
  CHECK_STR_EQ(text_of(s, "l2", buf, sizeof buf), "lancedb two");
  CHECK_STR_EQ(text_of(s, "s2", buf, sizeof buf), "store two");
  for (int i = 0; i < 5; i++) {
    char id[16];
    snprintf(id, sizeof id, "late%d", i);
    lp_store_record x = {id, "/late", "late", v, DIM, "{}", 6, NULL, 0};
    CHECK_OK(lp_store_add(s, &x, 1, &err), &err);
  }
  bool compacted = false;
  CHECK_OK(lp_store_maintain(s, &compacted, &err), &err);
  CHECK(compacted);
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  CHECK_EQ(n, 9); /* s2 s3 l1 l2 late0..late4 */
  interleaved_deletes(s);
  CHECK_OK(lp_store_count(s, &n, &err), &err);
  CHECK_EQ(n, 13); /* and d0 d1 d3 d5 */
  lp_store_close(s);
  char *dump = st_lancedb_dump(g_dir, "mem");
  size_t lines = 0;
  for (char *p = dump; *p; p++) lines += *p == '\n';
  CHECK_EQ(lines, 13);
  CHECK_CONTAINS(dump, "\"id\":\"late4\"");
  CHECK_CONTAINS(dump, "rewritten by the store");
  free(dump);
  fprintf(stderr, "test_store_lancedb: ok\n");
  return 0;
}
