/* lp_db_cleanup and LanceDB's index directories. Official LanceDB 0.31.0 (Node) builds four indexes on a
 * table (indexed_table.mjs), lancepool compacts it, LanceDB optimizes it (which remaps every index into a
 * new _indices/<uuid>/ directory), then:
 *   - a cleanup that retains every version removes no index file (and no orphan younger than its cut-off);
 *   - an index directory no version references and older than the cut-off (a build that never committed)
 *     is emptied;
 *   - a cleanup that retains only the latest version empties exactly the directories that version does
 *     not list, keeps every file of those it does, and LanceDB still answers with all four indexes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "lancepool/lance.h"
#include "lp_test.h"
#include "table/indices.h"
#include "table/versions.h"

#define ORPHAN_UUID "00000000-1111-4222-8333-444444444444"

static char work[2048], db_dir[2100], table_dir[2200], idx_dir[2300];

static void node(const char *mode) {
  char cmd[20000];
  snprintf(cmd, sizeof cmd, "node '%s/indexed_table.mjs' %s '%s' >'%s/node.out' 2>'%s/node.err'", getenv("LP_NODE_DIR"),
           mode, db_dir, work, work);
  if (system(cmd) != 0) LP_FAIL("LanceDB %s failed (see %s/node.err)", mode, work);
}

/* Regular files in _indices/<uuid>/. */
static int files_in(const char *uuid) {
  char dir[4500];
  if (snprintf(dir, sizeof dir, "%s/%s", idx_dir, uuid) >= (int)sizeof dir) LP_FAIL("index path too long");
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Every uuid under _indices/ (at most cap) and their file counts. */
static size_t list_dirs(char uuids[][37], int *counts, size_t cap) {
  DIR *d = opendir(idx_dir);
  CHECK(d != NULL);
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < cap) {
    if (de->d_name[0] == '.' || strlen(de->d_name) != 36) continue;
    memcpy(uuids[n], de->d_name, 37); /* 36 characters and the NUL, checked above */
    counts[n] = files_in(de->d_name);
    n++;
  }
  closedir(d);
  return n;
}

static uint64_t latest_version(void) {
  uint64_t *v = NULL;
  size_t n = 0;
  lp_error err = {0};
  CHECK_OK(lp__versions_list(table_dir, &v, &n, &err), &err);
  CHECK_GT(n, 0);
  uint64_t last = v[n - 1];
  free(v);
  return last;
}

static void make_orphan(time_t mtime) {
  char path[4600];
  snprintf(path, sizeof path, "%s/%s", idx_dir, ORPHAN_UUID);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/index.idx", idx_dir, ORPHAN_UUID);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  fputs("never committed", f);
  fclose(f);
  struct utimbuf t = {mtime, mtime};
  CHECK_EQ(utime(path, &t), 0);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  if (tmp == NULL || getenv("LP_NODE_DIR") == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  snprintf(work, sizeof work, "%s/index_cleanup", tmp);
  snprintf(db_dir, sizeof db_dir, "%s/db", work);
  snprintf(table_dir, sizeof table_dir, "%s/docs.lance", db_dir);
  snprintf(idx_dir, sizeof idx_dir, "%s/_indices", table_dir);
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", work, work);
  CHECK_EQ(system(cmd), 0);
  node("gen");

  lp_error err = {0};
  lp_session *s;
  lp_db *db;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  CHECK_OK(lp_db_open(db_dir, s, &db, &err), &err);
  uint64_t version, rewritten;
  CHECK_OK(lp_db_compact(db, "docs", NULL, &version, &rewritten, &err), &err);
  CHECK_GE(rewritten, 2);
  node("optimize");

  char before[64][37];
  int before_n[64];
  size_t n_before = list_dirs(before, before_n, 64);
  CHECK_GE(n_before, 8); /* four built by LanceDB, four remapped by its optimize */

  /* retaining every version: no index file goes, and a fresh orphan stays */
  make_orphan(time(NULL));
  uint64_t n_versions, n_files;
  CHECK_OK(lp_db_cleanup(db, "docs", 3600, &n_versions, &n_files, &err), &err);
  CHECK_EQ(n_versions, 0);
  for (size_t i = 0; i < n_before; i++) CHECK_EQ(files_in(before[i]), before_n[i]);
  CHECK_EQ(files_in(ORPHAN_UUID), 1);

  /* an orphan older than the cut-off is a build that never committed */
  make_orphan(time(NULL) - 7200);
  CHECK_OK(lp_db_cleanup(db, "docs", 3600, &n_versions, &n_files, &err), &err);
  CHECK_EQ(files_in(ORPHAN_UUID), 0);
  for (size_t i = 0; i < n_before; i++) CHECK_EQ(files_in(before[i]), before_n[i]);

  /* retaining only the latest version: exactly its indexes keep their files */
  lp__index_list latest;
  CHECK_OK(lp__index_list_read(table_dir, latest_version(), &latest, &err), &err);
  CHECK_GE(latest.n, 4);
  /* A cut-off of 0 s is "now" in whole seconds: versions committed within the current second are kept. Wait
   * for the next second so every version but the latest is older than the cut-off. */
  for (time_t t0 = time(NULL); time(NULL) == t0;) usleep(10000);
  CHECK_OK(lp_db_cleanup(db, "docs", 0, &n_versions, &n_files, &err), &err);
  CHECK_GT(n_versions, 0);
  size_t emptied = 0;
  for (size_t i = 0; i < n_before; i++) {
    bool listed = false;
    for (size_t j = 0; j < latest.n; j++) listed |= strcmp(latest.v[j].uuid, before[i]) == 0;
    if (listed) CHECK_EQ(files_in(before[i]), before_n[i]);
    else {
      CHECK_EQ(files_in(before[i]), 0);
      emptied++;
    }
  }
  CHECK_GE(emptied, 4); /* LanceDB's optimize replaced all four */
  lp__index_list_reset(&latest);
  lp_db_close(db);
  lp_session_unref(s);

  /* LanceDB answers with every index from what is left */
  node("state");
  snprintf(cmd, sizeof cmd, "grep -q '\"vector_plan_uses_index\":true' '%s/node.out'", work);
  CHECK_EQ(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "test $(grep -c '\"stats\"' '%s/node.out') -eq 4", work);
  CHECK_EQ(system(cmd), 0);
  fprintf(stderr, "index cleanup: %zu index directories emptied, the latest version's %d kept\n", emptied,
          (int)(n_before - emptied));
  return 0;
}
