/* Helpers shared by the store tests: scratch directories, deterministic records, reading a table back
 * with official LanceDB (tests/interop/node/lancedb_dump.mjs). */
#ifndef LP_STORE_TEST_UTIL_H
#define LP_STORE_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lancepool/store.h"
#include "lp_test.h"

static inline int st_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  chmod(path, 0755);
  return remove(path);
}

/* A fresh empty directory LP_TEST_TMP/<name> (or /tmp/<name>), written into out. */
static inline void st_scratch(const char *name, char *out, size_t cap) {
  const char *root = getenv("LP_TEST_TMP");
  if (root == NULL || root[0] == '\0') root = "/tmp";
  snprintf(out, cap, "%s/%s", root, name);
  nftw(out, st_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  mkdir(root, 0777);
  CHECK(mkdir(out, 0777) == 0);
}

/* The vector of (key, version), dim floats. */
static inline void st_vector(unsigned key, unsigned version, uint32_t dim, float *out) {
  uint32_t x = key * 2654435761u + version * 40503u + 1u;
  for (uint32_t i = 0; i < dim; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = (float)(x % 20001u) / 1000.0f - 10.0f;
  }
}

/* Check the pool's statistics balance once nothing is in flight (the store's maintenance thread may hold
 * a connection for a moment: wait up to 2 s for it). */
static inline void st_check_balanced(lp_store *s) {
  lp_store_stats st;
  for (int i = 0; i < 200; i++) {
    lp_store_stats_get(s, &st);
    if (st.pool.in_use == 0) break;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  CHECK_EQ(st.pool.in_use, 0);
  CHECK_EQ(st.pool.connections_created - st.pool.destroyed, st.pool.current_size);
  CHECK_EQ(st.pool.available_connections, st.pool.current_size);
}

/* Run the shell command `cmd` and return its whole stdout (malloc'd); *out_rc = its exit status (pclose). */
static inline char *st_run_command(const char *cmd, int *out_rc) {
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  CHECK(buf != NULL);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (cap - len < 4096) {
      cap *= 2;
      buf = realloc(buf, cap);
      CHECK(buf != NULL);
    }
  }
  buf[len] = '\0';
  *out_rc = pclose(p);
  return buf;
}

/* Run official LanceDB's dump of `table` in `dir` (columns id,text; JSON Lines) into a malloc'd string,
 * or NULL (with a note on stderr) when node or the LanceDB modules are not available. */
static inline char *st_lancedb_dump(const char *dir, const char *table) {
  const char *node_dir = getenv("LP_NODE_DIR");
  if (node_dir == NULL) return NULL;
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "node '%s/lancedb_dump.mjs' dump '%s' '%s' --columns id,text,metadata", node_dir, dir,
           table);
  int rc = 0;
  char *buf = st_run_command(cmd, &rc);
  if (rc != 0) LP_FAIL("official LanceDB could not read %s/%s (exit %d): %s", dir, table, rc, buf);
  return buf;
}

#endif
