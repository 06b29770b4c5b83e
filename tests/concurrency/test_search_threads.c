/* Searches from several threads while official LanceDB commits to the same table.
 *
 * Node (tests/interop/node/live_appender.mjs) writes table "live" and then makes 10 commits (appends and
 * deletes) about 80 ms apart, while 3 reader threads, each with its own lp_db on one shared session,
 * open the newest version again and again and run three searches on it (L2 with a pre-filter, cosine
 * with a post-filter, dot) on the multi-threaded executor (2 worker threads per query). The session's
 * vector cache is small, so entries are evicted while other threads use them. Afterwards every answer is
 * checked against a single-threaded search (1 worker, no session) of the version that reader saw: the
 * same ids in the same order with bit-identical distances. Run under ThreadSanitizer by `make test`. */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lancepool/lance.h"
#include "lp_test.h"

#define N_READERS 3
#define N_QUERIES 3
#define K 12
#define DIM 32
#define MAX_OBS 3000 /* answers kept per reader (the latest, in a ring) */
#define PAUSE_US 4000 /* between a reader's rounds, so the kept answers span the writer's commits */
#define N_COMMITS 10

extern char **environ;

typedef struct obs {
  uint64_t version;
  int query;
  int64_t n;
  int32_t ids[K];
  float dist[K];
} obs;

typedef struct reader {
  lp_session *session;
  obs *obs;  /* ring of MAX_OBS */
  int n_obs; /* answers recorded, may exceed MAX_OBS */
} reader;

static char g_db[4096];
static atomic_int g_stop;
static float g_vec[N_QUERIES][DIM];

static void options(int q, lp_search_options *o, int n_threads) {
  static const char *cols[] = {"id"};
  lp_search_options_init(o);
  o->vector = g_vec[q];
  o->dim = DIM;
  o->k = K;
  o->columns = cols;
  o->n_columns = 1;
  o->n_threads = n_threads;
  o->metric = q == 0 ? LP_METRIC_L2 : q == 1 ? LP_METRIC_COSINE : LP_METRIC_DOT;
  o->where = q == 0 ? "cat = 'a'" : q == 1 ? "cat != 'b'" : NULL;
  o->postfilter = q == 1;
}

/* Run query q on t and record the answer. */
static void run(lp_table *t, int q, int n_threads, obs *out) {
  lp_search_options o;
  options(q, &o, n_threads);
  struct ArrowArray a;
  struct ArrowSchema s;
  lp_error err = {0};
  CHECK_OK(lp_table_search(t, &o, &a, &s, &err), &err);
  CHECK_EQ(a.n_children, 2);
  CHECK_LE(a.length, K);
  out->version = lp_table_version(t);
  out->query = q;
  out->n = a.length;
  const int32_t *ids = a.children[0]->buffers[1];
  const float *d = a.children[1]->buffers[1];
  for (int64_t i = 0; i < a.length; i++) {
    out->ids[i] = ids[a.children[0]->offset + i];
    out->dist[i] = d[a.children[1]->offset + i];
  }
  a.release(&a);
  s.release(&s);
}

static void *reader_main(void *arg) {
  reader *r = arg;
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, r->session, &db, &err), &err);
  int after_stop = 0;
  while (after_stop < 2) {
    if (atomic_load(&g_stop)) after_stop++;
    lp_table *t = NULL;
    CHECK_OK(lp_table_open(db, "live", LP_VERSION_LATEST, &t, &err), &err);
    for (int q = 0; q < N_QUERIES; q++, r->n_obs++) run(t, q, 2, &r->obs[r->n_obs % MAX_OBS]);
    lp_table_close(t);
    usleep(PAUSE_US);
  }
  lp_db_close(db);
  return NULL;
}

static pid_t spawn_node(const char *script, const char *cmd, const char *arg) {
  char *argv[] = {"node", (char *)script, g_db, (char *)cmd, (char *)arg, NULL};
  pid_t pid;
  if (posix_spawnp(&pid, "node", NULL, NULL, argv, environ) != 0) LP_FAIL("cannot start node");
  return pid;
}

static int wait_child(pid_t pid) {
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP"), *node_dir = getenv("LP_NODE_DIR");
  if (tmp == NULL || node_dir == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  char script[4200];
  snprintf(g_db, sizeof g_db, "%s/search_threads", tmp);
  snprintf(script, sizeof script, "%s/live_appender.mjs", node_dir);
  for (int q = 0; q < N_QUERIES; q++)
    for (int j = 0; j < DIM; j++) g_vec[q][j] = (float)((j * 37 + q * 11) % 17) / 8.0f - 1.0f;
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_db);
  CHECK_EQ(system(cmd), 0);
  CHECK_EQ(wait_child(spawn_node(script, "create", NULL)), 0);

  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.vector_cache_bytes = 400 << 10; /* ~ three fragments' vectors: evictions while in use */
  lp_session *session = NULL;
  lp_error err = {0};
  CHECK_OK(lp_session_create(&cfg, &session, &err), &err);
  reader rs[N_READERS];
  pthread_t tid[N_READERS];
  char n_commits[8];
  snprintf(n_commits, sizeof n_commits, "%d", N_COMMITS);
  pid_t writer = spawn_node(script, "append", n_commits);
  for (int i = 0; i < N_READERS; i++) {
    rs[i] = (reader){session, calloc(MAX_OBS, sizeof(obs)), 0};
    CHECK(rs[i].obs != NULL);
    CHECK_EQ(pthread_create(&tid[i], NULL, reader_main, &rs[i]), 0);
  }
  int writer_status = wait_child(writer);
  atomic_store(&g_stop, 1);
  for (int i = 0; i < N_READERS; i++) CHECK_EQ(pthread_join(tid[i], NULL), 0);
  CHECK_EQ(writer_status, 0);

  /* The single-threaded baseline of each (version, query) seen, computed once. */
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  obs base[64][N_QUERIES];
  uint64_t versions[64];
  int n_versions = 0, checked = 0;
  for (int i = 0; i < N_READERS; i++)
    for (int j = 0; j < rs[i].n_obs && j < MAX_OBS; j++) {
      const obs *o = &rs[i].obs[j];
      int v = 0;
      while (v < n_versions && versions[v] != o->version) v++;
      if (v == n_versions) {
        CHECK_LT(n_versions, 64);
        lp_table *t = NULL;
        CHECK_OK(lp_table_open(db, "live", o->version, &t, &err), &err);
        for (int q = 0; q < N_QUERIES; q++) run(t, q, 1, &base[v][q]);
        lp_table_close(t);
        versions[n_versions++] = o->version;
      }
      const obs *b = &base[v][o->query];
      if (o->n != b->n) LP_FAIL("version %llu query %d: %lld rows, baseline %lld", (unsigned long long)o->version, o->query, (long long)o->n, (long long)b->n);
      for (int64_t r = 0; r < o->n; r++)
        if (o->ids[r] != b->ids[r] || memcmp(&o->dist[r], &b->dist[r], sizeof(float)) != 0)
          LP_FAIL("version %llu query %d rank %lld: id %d distance %.9g, baseline id %d distance %.9g",
                  (unsigned long long)o->version, o->query, (long long)r, o->ids[r], o->dist[r], b->ids[r], b->dist[r]);
      checked++;
    }
  lp_session_stats st;
  lp_session_stats_get(session, &st);
  printf("search threads: %d answers checked over %d versions; vector cache hits %llu misses %llu evictions %llu, %zu/%zu bytes\n",
         checked, n_versions, (unsigned long long)st.vector_hits, (unsigned long long)st.vector_misses,
         (unsigned long long)st.vector_evictions, st.vector_bytes_used, st.vector_bytes_budget);
  CHECK_GE(n_versions, 2); /* the readers saw the writer's commits */
  CHECK_LE(st.vector_bytes_used, st.vector_bytes_budget);
  CHECK_GT(st.vector_hits, 0);
  CHECK_GT(st.vector_evictions, 0);
  lp_db_close(db);
  lp_session_unref(session);
  for (int i = 0; i < N_READERS; i++) free(rs[i].obs);
  return 0;
}
