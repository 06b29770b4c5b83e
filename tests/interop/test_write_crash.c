/* Crash safety of commits: a writer process appending one row per version is killed with SIGKILL at random
 * moments (at least 50 kills over at least 500 commits). After every kill the table must open, hold exactly
 * the rows 0..n-1 of the versions committed so far (every append reported as committed among them), and
 * at the end every version v must be readable with its v-1 rows: a partially written version is never
 * visible. Finally official LanceDB (Node) must read the table too, when LP_NODE_DIR is set. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define MIN_COMMITS 500
#define MIN_KILLS 50
#define MAX_ROUNDS 2000

static char db_dir[4096];

static uint64_t count_rows(lp_db *db) {
  lp_error err = {0};
  lp_table *t;
  CHECK_OK(lp_table_open(db, "k", LP_VERSION_LATEST, &t, &err), &err);
  uint64_t n;
  CHECK_OK(lp_table_count_rows(t, &n, &err), &err);
  lp_table_close(t);
  return n;
}

/* The ids of table k at `version`, checked to be exactly 0..n-1 in order; returns n. */
static uint64_t check_ids(lp_db *db, uint64_t version) {
  lp_error err = {0};
  lp_table *t;
  CHECK_OK(lp_table_open(db, "k", version, &t, &err), &err);
  struct ArrowArrayStream s;
  const char *cols[] = {"id"};
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.columns = cols;
  o.n_columns = 1;
  CHECK_OK(lp_table_scan(t, &o, &s, &err), &err);
  uint64_t next = 0;
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ(s.get_next(&s, &a), 0);
    if (a.release == NULL) break;
    const int64_t *ids = a.children[0]->buffers[1];
    for (int64_t i = 0; i < a.length; i++) {
      int64_t id = ids[a.children[0]->offset + a.offset + i];
      if (id != (int64_t)next) LP_FAIL("version %" PRIu64 ": row %" PRIu64 " has id %" PRId64, version, next, id);
      next++;
    }
    a.release(&a);
  }
  s.release(&s);
  lp_table_close(t);
  return next;
}

static void child_writer(int fd) {
  lp_error err = {0};
  lp_db *db;
  if (lp_db_open(db_dir, NULL, &db, &err) != LP_OK) _exit(3);
  uint64_t n = count_rows(db);
  lp__schema s;
  if (lp__wschema_parse_spec("id:int64 not null, text:utf8", &s, &err) != LP_OK) _exit(3);
  for (;;) {
    char line[128];
    snprintf(line, sizeof line, "{\"id\": %" PRIu64 ", \"text\": \"row %" PRIu64 "\"}", n, n);
    json_t *row = json_loads(line, 0, NULL);
    size_t ln = 1;
    struct ArrowArray *b = calloc(1, sizeof *b);
    struct ArrowArrayStream st;
    if (!row || !b || lp__json_rows_to_batch(&s, &row, &ln, 1, b, &err) != LP_OK) _exit(3);
    json_decref(row);
    if (lp__batches_stream(&s, b, 1, &st, &err) != LP_OK) _exit(3);
    uint64_t v;
    if (lp_db_add(db, "k", &st, NULL, &v, &err) != LP_OK) {
      fprintf(stderr, "child: %s\n", err.message);
      _exit(4);
    }
    if (write(fd, &n, sizeof n) != (ssize_t)sizeof n) _exit(5);
    n++;
  }
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  snprintf(db_dir, sizeof db_dir, "%s/write_crash", tmp);
  char cmd[3 * sizeof db_dir];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", db_dir, db_dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp_db *db;
  CHECK_OK(lp_db_open(db_dir, NULL, &db, &err), &err);
  lp__schema s;
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, text:utf8", &s, &err), &err);
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  uint64_t v;
  CHECK_OK(lp_db_create_table(db, "k", &as, NULL, false, NULL, &v, &err), &err);
  as.release(&as);
  lp__wschema_reset(&s);
  srand((unsigned)time(NULL));
  int kills = 0;
  int64_t reported_max = -1;
  uint64_t rows = 0;
  for (int round = 0; round < MAX_ROUNDS && (kills < MIN_KILLS || rows < MIN_COMMITS); round++) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      child_writer(p[1]);
    }
    close(p[1]);
    /* a durable commit takes ~30 ms here: live 5-155 ms, so kills land in every phase of a commit */
    struct timespec d = {0, (long)(5000 + rand() % 150000) * 1000L};
    nanosleep(&d, NULL);
    kill(pid, SIGKILL);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) LP_FAIL("writer exited on its own: status %d", status);
    kills++;
    uint64_t id;
    while (read(p[0], &id, sizeof id) == (ssize_t)sizeof id) {
      CHECK_EQ((int64_t)id, reported_max + 1);
      reported_max = (int64_t)id;
    }
    close(p[0]);
    /* the table opens; its rows are 0..n-1 and include every reported commit (plus at most the one
     * in flight when the kill came) */
    rows = check_ids(db, LP_VERSION_LATEST);
    if ((int64_t)rows < reported_max + 1 || (int64_t)rows > reported_max + 2)
      LP_FAIL("after kill %d: %" PRIu64 " rows, %" PRId64 " reported", kills, rows, reported_max + 1);
    reported_max = (int64_t)rows - 1; /* an unreported commit that landed counts from now on */
  }
  fprintf(stderr, "%d kills, %" PRIu64 " commits\n", kills, rows);
  CHECK_GE(kills, MIN_KILLS);
  CHECK_GE(rows, MIN_COMMITS);
  /* every version is readable with exactly its rows */
  lp_table *t;
  CHECK_OK(lp_table_open(db, "k", LP_VERSION_LATEST, &t, &err), &err);
  lp_version_info *vs;
  size_t nv;
  CHECK_OK(lp_table_versions(t, &vs, &nv, &err), &err);
  lp_table_close(t);
  CHECK_EQ(nv, rows + 1);
  for (size_t i = 0; i < nv; i++) {
    CHECK_EQ(vs[i].version, i + 1);
    CHECK_EQ(check_ids(db, vs[i].version), vs[i].version - 1);
  }
  free(vs);
  /* no zero-byte or partial manifest under a manifest name */
  snprintf(cmd, sizeof cmd, "test -z \"$(find '%s/k.lance/_versions' -name '*.manifest' -size -40c)\"", db_dir);
  CHECK_EQ(system(cmd), 0);
  lp_db_close(db);
  const char *node = getenv("LP_NODE_DIR");
  if (node) {
    snprintf(cmd, sizeof cmd, "node '%s/write_peer.mjs' expect-ids '%s' k '0-%" PRIu64 "'", node, db_dir, rows - 1);
    CHECK_EQ(system(cmd), 0);
  }
  fprintf(stderr, "PASS\n");
  return 0;
}
