/* Tables that official LanceDB 0.31.0 writes to S3 (the RGW of the s3 fixture), read back through the
 * storage interface's S3 backend: the layout object-storage.md describes (no latest_version_hint.json; the
 * first key of _versions/ in S3's lexical order is the newest version), the manifest decoded by the engine
 * with LanceDB's version and live row count, data files that end in Lance's magic, the conditional PUT that
 * would collide with LanceDB's own commit, the whole table copied out byte for byte to a local folder
 * where the engine opens it and counts what LanceDB counted; then the engine reading the bucket itself
 * (lp_db_open("s3://...")), and `lancepool tables/count/schema/versions/dump/search s3://...` printing
 * what LanceDB prints for the same bucket (s3_cli_compare.sh). */
#include <jansson.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "lancepool/lance.h"
#include "s3_test_env.h"
#include "table/manifest.h"
#include "io/storage.h"

static s3_env env;
static char bucket[64];

typedef struct lancedb_view {
  uint64_t version, rows;
} lancedb_view;

/* Run tests/interop/node/s3_writer.mjs against s3://bucket/db; its one JSON line is what LanceDB sees. */
static lancedb_view run_lancedb_writer(void) {
  s3_env_export(&env);
  const char *node_dir = getenv("LP_NODE_DIR");
  CHECK(node_dir != NULL);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd '%s' && node s3_writer.mjs s3://%s/db 2>/dev/null", node_dir, bucket);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  char line[4096] = "";
  CHECK(fgets(line, sizeof line, p) != NULL);
  CHECK_EQ(pclose(p), 0);
  json_error_t jerr;
  json_t *j = json_loads(line, 0, &jerr);
  if (j == NULL) LP_FAIL("LanceDB's answer is not JSON: %s", line);
  lancedb_view v = {(uint64_t)json_integer_value(json_object_get(j, "version")),
                    (uint64_t)json_integer_value(json_object_get(j, "rows"))};
  CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(j, "tables"), 0)), "docs");
  json_decref(j);
  fprintf(stderr, "   LanceDB: version %" PRIu64 ", %" PRIu64 " rows\n", v.version, v.rows);
  return v;
}

typedef struct names {
  char items[64][96];
  int n;
} names;

static lp_status collect(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes, (void)err;
  names *n = ctx;
  if (n->n < 64) snprintf(n->items[n->n++], sizeof n->items[0], "%s", name);
  return LP_OK;
}

static names list(lp__storage *st, const char *dir) {
  names n;
  memset(&n, 0, sizeof n);
  lp_error err;
  CHECK_OK(lp__storage_list(st, dir, collect, &n, &err), &err);
  return n;
}

/* V2 manifest names are u64::MAX - version in 20 digits, so the newest sorts first. */
static uint64_t version_of(const char *name) {
  CHECK_EQ(strlen(name), 29);
  CHECK_STR_EQ(name + 20, ".manifest");
  return UINT64_MAX - strtoull(name, NULL, 10);
}

static void check_layout_and_manifest(lp__storage *st, lancedb_view want) {
  names top = list(st, "");
  bool has_table = false;
  for (int i = 0; i < top.n; i++) has_table |= strcmp(top.items[i], "docs.lance/") == 0;
  CHECK(has_table);
  names versions = list(st, "docs.lance/_versions");
  CHECK_EQ(versions.n, (int)want.version);   /* one manifest per commit, no hint file */
  for (int i = 0; i < versions.n; i++) CHECK(strstr(versions.items[i], "latest_version_hint") == NULL);
  CHECK_EQ(version_of(versions.items[0]), want.version);
  char path[256];
  snprintf(path, sizeof path, "docs.lance/_versions/%s", versions.items[0]);
  uint8_t *bytes;
  size_t n;
  lp_error err;
  CHECK_OK(lp__storage_read(st, path, 0, -1, &bytes, &n, &err), &err);
  lp__manifest *m;
  CHECK_OK(lp__manifest_decode(bytes, n, path, &m, &err), &err);
  free(bytes);
  CHECK_EQ(m->version, want.version);
  CHECK_EQ(lp__manifest_live_rows(m), want.rows);
  for (size_t f = 0; f < m->n_fragments; f++) {
    for (size_t d = 0; d < m->fragments[f].n_files; d++) {
      snprintf(path, sizeof path, "docs.lance/data/%s", m->fragments[f].files[d].path);
      uint64_t size;
      CHECK_OK(lp__storage_size(st, path, &size, &err), &err);
      if (m->fragments[f].files[d].size_bytes) CHECK_EQ(size, m->fragments[f].files[d].size_bytes);
      CHECK_OK(lp__storage_read(st, path, size - 4, 4, &bytes, &n, &err), &err);   /* a ranged GET */
      CHECK_EQ(n, 4);
      CHECK(memcmp(bytes, "LANC", 4) == 0);
      free(bytes);
    }
  }
  lp__manifest_unref(m);
  /* A writer of ours committing the version LanceDB already took must lose, as LanceDB's own writers do. */
  snprintf(path, sizeof path, "docs.lance/_versions/%s", versions.items[0]);
  CHECK_EQ(lp__storage_put(st, path, "x", 1, true, &err), LP_ECONFLICT);
  CHECK_CONTAINS(err.message, "HTTP 412");
}

/* Copy every object under dir (recursively) from src to dst. */
static void copy_tree(lp__storage *src, lp__storage *dst, const char *dir) {
  names children = list(src, dir);
  for (int i = 0; i < children.n; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, children.items[i]);
    size_t len = strlen(path);
    if (path[len - 1] == '/') {
      path[len - 1] = '\0';
      copy_tree(src, dst, path);
      continue;
    }
    uint8_t *bytes;
    size_t n;
    lp_error err;
    CHECK_OK(lp__storage_read(src, path, 0, -1, &bytes, &n, &err), &err);
    CHECK_OK(lp__storage_put(dst, path, bytes, n, false, &err), &err);
    free(bytes);
  }
}

static void check_copy_opens_locally(lp__storage *s3, lancedb_view want) {
  const char *tmp = getenv("LP_TEST_TMP");
  char root[512];
  snprintf(root, sizeof root, "%s/s3-copy-%d", tmp ? tmp : "/tmp", (int)getpid());
  CHECK_EQ(mkdir(root, 0777), 0);
  lp__storage *local;
  lp_error err;
  CHECK_OK(lp__storage_open(root, NULL, &local, &err), &err);
  copy_tree(s3, local, "docs.lance");
  lp__storage_close(local);
  lp_session *s;
  lp_db *db;
  lp_table *t;
  uint64_t rows = 0;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  CHECK_OK(lp_db_open(root, s, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "docs", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_EQ(lp_table_version(t), want.version);
  CHECK_OK(lp_table_count_rows(t, &rows, &err), &err);
  CHECK_EQ(rows, want.rows);
  lp_table_close(t);
  lp_db_close(db);
  lp_session_unref(s);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  CHECK_EQ(system(cmd), 0);
}

/* The engine on the bucket itself, with its settings from the AWS_* variables as LanceDB takes them. */
static void check_engine_on_bucket(lancedb_view want) {
  s3_env_export(&env);
  char uri[128];
  snprintf(uri, sizeof uri, "s3://%s/db", bucket);
  lp_session *s;
  lp_db *db;
  lp_table *t;
  lp_error err;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  CHECK_OK(lp_db_open(uri, s, &db, &err), &err);
  char **tables;
  size_t n;
  CHECK_OK(lp_db_table_names(db, &tables, &n, &err), &err);
  CHECK_EQ(n, 1);
  CHECK_STR_EQ(tables[0], "docs");
  lp_strings_free(tables, n);
  CHECK_OK(lp_table_open(db, "docs", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_EQ(lp_table_version(t), want.version);
  uint64_t rows;
  CHECK_OK(lp_table_count_rows(t, &rows, &err), &err);
  CHECK_EQ(rows, want.rows);
  lp_table_close(t);
  CHECK_EQ(lp_table_open(db, "nope", LP_VERSION_LATEST, &t, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "not a committed Lance table");
  lp_db_close(db);
  lp_session_unref(s);
}

static void check_cli_against_lancedb(void) { s3_run_script("s3_cli_compare.sh", bucket, "s3-cli"); }

int main(void) {
  env = s3_env_load();
  lp__s3_client *c = s3_env_client(&env);
  s3_unique_bucket("lp-lancedb", bucket, sizeof bucket);
  lp_error err;
  CHECK_OK(lp__s3_create_bucket(c, bucket, &err), &err);
  lancedb_view want = run_lancedb_writer();
  CHECK_EQ(want.version, 3);
  lp__s3_options o;
  s3_env_options(&env, &o);
  char uri[128];
  snprintf(uri, sizeof uri, "s3://%s/db", bucket);
  lp__storage *st;
  CHECK_OK(lp__storage_open(uri, &o, &st, &err), &err);
  lp__s3_options_reset(&o);
  RUN_TEST_ARGS(check_layout_and_manifest, st, want);
  RUN_TEST_ARGS(check_copy_opens_locally, st, want);
  RUN_TEST_ARGS(check_engine_on_bucket, want);
  RUN_TEST(check_cli_against_lancedb);
  lp__storage_close(st);
  s3_delete_bucket(c, bucket);
  lp__s3_client_destroy(c);
  return 0;
}
