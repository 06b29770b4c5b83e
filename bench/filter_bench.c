/* Filter benchmark: lancepool vs official LanceDB 0.31.0 (Node) in the same run, on the same 100,000-row
 * table written by bench/peers/filter_peer.mjs: filtered count (lp_table_count_where vs countRows) and
 * filtered top-10 flat search with a pre-filter (lp_table_search vs search().where()), for a simple, an
 * arithmetic, a string-function and a regex filter. Best of the repeats, milliseconds per call, warm
 * page cache, lancepool with a session whose vector cache keeps the decoded vectors between searches (the
 * first search decodes them and counts in the best-of only if it wins); both engines must count the same
 * rows (a difference is reported, not timed).
 * Usage: filter_bench [work-dir] [repeats]   (env LP_NODE_DIR or the source tree's node_modules) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lancepool/lance.h"

static const char *const FILTERS[] = {
    "qty = 7",                                  /* simple */
    "price * qty > 500 AND id % 7 = 3",         /* arithmetic */
    "lower(name) LIKE 'alpha%' AND length(name) > 9", /* string functions */
    "regexp_like(name, '^src/.*\\.c-[0-9]$')",  /* regex */
};
#define N_FILTERS (sizeof FILTERS / sizeof FILTERS[0])

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

typedef struct peer_row {
  long long count;
  double count_ms, search_ms;
} peer_row;

/* Runs the peer, which writes the table (once) and prints one JSON line per filter. */
static int run_peer(const char *dir, int reps, peer_row *out) {
  const char *src = getenv("LP_SOURCE_DIR") ? getenv("LP_SOURCE_DIR") : LP_SOURCE_DIR;
  size_t cap = 8192;
  char *cmd = malloc(cap);
  if (cmd == NULL) return -1;
  int n = snprintf(cmd, cap, "node '%s/bench/peers/filter_peer.mjs' '%s' %d", src, dir, reps);
  for (size_t i = 0; i < N_FILTERS; i++) n += snprintf(cmd + n, cap - (size_t)n, " \"%s\"", FILTERS[i]);
  FILE *p = popen(cmd, "r");
  free(cmd);
  if (p == NULL) return -1;
  char line[4096];
  size_t k = 0;
  while (fgets(line, sizeof line, p) != NULL && k < N_FILTERS) {
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (o == NULL) continue; /* LanceDB's own log lines */
    out[k].count = json_integer_value(json_object_get(o, "count"));
    out[k].count_ms = json_number_value(json_object_get(o, "count_ms"));
    out[k].search_ms = json_number_value(json_object_get(o, "search_ms"));
    json_decref(o);
    k++;
  }
  return pclose(p) == 0 && k == N_FILTERS ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp/lancepool-filter-bench";
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1) reps = 1;
  peer_row peer[N_FILTERS];
  if (run_peer(dir, reps, peer) != 0) {
    fprintf(stderr, "filter_bench: the LanceDB peer failed\n");
    return 1;
  }
  char qpath[1200];
  snprintf(qpath, sizeof qpath, "%s/filter_query.json", dir);
  json_error_t jerr;
  json_t *q = json_load_file(qpath, 0, &jerr);
  float vec[16];
  for (size_t i = 0; i < 16; i++) vec[i] = (float)json_number_value(json_array_get(q, i));
  json_decref(q);

  lp_error err = {0};
  lp_db *db;
  lp_table *t;
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.vector_cache_bytes = (size_t)1 << 28; /* the decoded vectors stay in memory between queries */
  lp_session *sess = NULL;
  if (lp_session_create(&cfg, &sess, &err) != LP_OK || lp_db_open(dir, sess, &db, &err) != LP_OK ||
      lp_table_open(db, "filt_100k", LP_VERSION_LATEST, &t, &err) != LP_OK) {
    fprintf(stderr, "filter_bench: %s\n", err.message);
    return 1;
  }
  printf("100,000 rows; ms per call, best of %d (LanceDB 0.31.0 through Node in the same run)\n", reps);
  printf("| filter | rows | lancepool count ms | LanceDB count ms | ratio | lancepool top-10 ms | LanceDB top-10 ms | ratio |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  int rc = 0;
  for (size_t f = 0; f < N_FILTERS; f++) {
    uint64_t count = 0;
    double best_count = 1e30, best_search = 1e30;
    for (int r = 0; r < reps && rc == 0; r++) {
      double t0 = now_ms();
      if (lp_table_count_where(t, FILTERS[f], &count, &err) != LP_OK) rc = 1;
      double t1 = now_ms();
      lp_search_options so;
      lp_search_options_init(&so);
      so.vector = vec;
      so.dim = 16;
      so.k = 10;
      so.where = FILTERS[f];
      const char *cols[] = {"id"};
      so.columns = cols;
      so.n_columns = 1;
      struct ArrowArray arr;
      struct ArrowSchema sch;
      if (rc == 0 && lp_table_search(t, &so, &arr, &sch, &err) != LP_OK) rc = 1;
      double t2 = now_ms();
      if (rc == 0) {
        arr.release(&arr);
        sch.release(&sch);
      }
      if (t1 - t0 < best_count) best_count = t1 - t0;
      if (t2 - t1 < best_search) best_search = t2 - t1;
    }
    if (rc != 0) {
      fprintf(stderr, "filter_bench: %s: %s\n", FILTERS[f], err.message);
      break;
    }
    if ((long long)count != peer[f].count) {
      printf("| `%s` | MISMATCH: lancepool %llu, LanceDB %lld | | | | | | |\n", FILTERS[f], (unsigned long long)count,
             peer[f].count);
      rc = 1;
      continue;
    }
    printf("| `%s` | %llu | %.2f | %.2f | %.1fx | %.2f | %.2f | %.1fx |\n", FILTERS[f], (unsigned long long)count,
           best_count, peer[f].count_ms, peer[f].count_ms / best_count, best_search, peer[f].search_ms,
           peer[f].search_ms / best_search);
  }
  lp_table_close(t);
  lp_db_close(db);
  lp_session_unref(sess);
  return rc;
}
