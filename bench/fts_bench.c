/* Full-text benchmark: lancepool vs official LanceDB 0.31.0 (Node) in the same run, on the same rows.
 * bench/peers/fts_peer.mjs writes two tables of 100,000 documents (8..40 words of a Zipf-like vocabulary,
 * 5% null, and a 32-dim vector): fts_ldb, which LanceDB indexes and searches, and fts_lp, the same rows,
 * which lancepool indexes with its own index (lp_db_create_index, "fts"). Figures, each engine on its
 * table:
 * - index build time;
 * - text search q/s: top 10 (BM25, 1..3 query words), one query at a time, after one warm-up query;
 * - hybrid q/s: the same text plus a query vector, RRF (flat vector leg: no vector index);
 * - first query after reopening (lancepool: a new session, so the saved blocks are loaded from disk);
 * - time until an appended row is found: append one row with a new word, then search until it is found
 *   (median of 5).
 * lancepool runs with a session (the blocks stay in its cache between queries); the text search uses one
 * thread, the vector leg of hybrid search its default (one per core). The append is not fsynced (LanceDB
 * does not fsync). The peer runs with LANCE_CPU_THREADS=8 (see run_peer).
 * Usage: fts_bench [--no-peer] [WORK_DIR [QUERIES [ROWS]]]   (env LP_NODE_DIR or the source tree's
 * node_modules; --no-peer reuses the tables and queries of an earlier run and skips LanceDB, for profiling) */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "write/write_json.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct figures {
  double build_s, text_qps, hybrid_qps, append_visible_ms, reopen_first_ms;
} figures;

static int fail(const char *what, const lp_error *err) {
  fprintf(stderr, "fts_bench: %s: %s\n", what, err->message);
  return 1;
}

/* LanceDB's figures: run the peer, one JSON object per figure. */
static int run_peer(const char *work, int nq, int rows, figures *f) {
  const char *node_dir = getenv("LP_NODE_DIR");
  char cmd[4096], line[1024];
  /* LANCE_CPU_THREADS: with its default pool (one thread per core) LanceDB 0.31.0's FTS index build on
     100,000 documents never finished on a 2-core machine (all its threads waiting on futexes, 0 CPU);
     with 8 threads it builds in seconds. */
  const char *cpu = getenv("LANCE_CPU_THREADS");
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/db' && LANCE_CPU_THREADS=%s NODE_PATH='%s' node '%s/bench/peers/fts_peer.mjs' '%s/db' %d %d 2>/dev/null", work,
           cpu ? cpu : "8",
           node_dir ? node_dir : LP_SOURCE_DIR "/tests/interop/node/node_modules", LP_SOURCE_DIR, work, nq, rows);
  fprintf(stderr, "peer: %s\n", cmd);
  FILE *p = popen(cmd, "r");
  if (p == NULL) return 1;
  int n = 0;
  while (fgets(line, sizeof line, p)) {
    json_t *j = json_loads(line, 0, NULL);
    if (j == NULL) continue;
    const char *name = json_string_value(json_object_get(j, "figure"));
    double v = json_number_value(json_object_get(j, "value"));
    if (name && strcmp(name, "build_s") == 0) f->build_s = v, n++;
    if (name && strcmp(name, "text_qps") == 0) f->text_qps = v, n++;
    if (name && strcmp(name, "hybrid_qps") == 0) f->hybrid_qps = v, n++;
    if (name && strcmp(name, "append_visible_ms") == 0) f->append_visible_ms = v, n++;
    json_decref(j);
  }
  if (pclose(p) != 0 || n != 4) {
    fprintf(stderr, "fts_bench: the LanceDB peer failed (%d figures)\n", n);
    return 1;
  }
  return 0;
}

typedef struct query {
  char *text;
  float vec[32];
} query;

static int load_queries(const char *dbdir, query **out, size_t *n) {
  char path[4200];
  snprintf(path, sizeof path, "%s/fts_queries.json", dbdir);
  json_t *qs = json_load_file(path, 0, NULL);
  *n = json_array_size(qs);
  if (*n == 0) {
    fprintf(stderr, "fts_bench: no queries in %s\n", path);
    return 1;
  }
  *out = calloc(*n, sizeof **out);
  for (size_t i = 0; i < *n; i++) {
    json_t *q = json_array_get(qs, i);
    (*out)[i].text = strdup(json_string_value(json_object_get(q, "text")));
    for (size_t d = 0; d < 32; d++) (*out)[i].vec[d] = (float)json_number_value(json_array_get(json_object_get(q, "vector"), d));
  }
  json_decref(qs);
  return 0;
}

static lp_status text_search(lp_table *t, const char *text, int64_t *n_found, lp_error *err) {
  static const char *const cols[] = {"id"};
  lp_text_search_options o;
  lp_text_search_options_init(&o);
  o.query = text;
  o.column = "body";
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray a;
  struct ArrowSchema s;
  lp_status rc = lp_table_text_search(t, &o, &a, &s, err);
  if (rc == LP_OK) {
    *n_found = a.length;
    a.release(&a);
    s.release(&s);
  }
  return rc;
}

static lp_status hybrid_search(lp_table *t, const query *q, lp_error *err) {
  static const char *const cols[] = {"id"};
  lp_hybrid_search_options o;
  lp_hybrid_search_options_init(&o);
  o.vector.vector = q->vec;
  o.vector.dim = 32;
  o.vector.column = "vec";
  o.vector.n_threads = 0; /* its default: one per core, as LanceDB's vector leg */
  o.text.query = q->text;
  o.text.column = "body";
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray a;
  struct ArrowSchema s;
  lp_status rc = lp_table_hybrid_search(t, &o, &a, &s, err);
  if (rc == LP_OK) {
    a.release(&a);
    s.release(&s);
  }
  return rc;
}

static lp_status open_table(const char *dbdir, lp_session **sess, lp_db **db, lp_table **t, lp_error *err) {
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.vector_cache_bytes = (size_t)1 << 30;
  *sess = NULL;
  *db = NULL;
  *t = NULL;
  lp_status rc = lp_session_create(&cfg, sess, err);
  if (rc == LP_OK) rc = lp_db_open(dbdir, *sess, db, err);
  if (rc == LP_OK) rc = lp_table_open(*db, "fts_lp", LP_VERSION_LATEST, t, err);
  return rc;
}

static void close_table(lp_session *sess, lp_db *db, lp_table *t) {
  lp_table_close(t);
  lp_db_close(db);
  lp_session_unref(sess);
}

/* One row with a word no other row has, appended; then searched for until found. */
static lp_status append_visible_ms(const char *dbdir, lp_db *db, lp_session *sess, int r, double *out_ms, lp_error *err) {
  (void)sess;
  lp__schema s;
  LP_TRY(lp__wschema_parse_spec("id:int32 not null, body:utf8, vec:fixed_size_list<float32, 32>", &s, err));
  char word[32], line[1024];
  snprintf(word, sizeof word, "lpfreshword%d", r);
  int n = snprintf(line, sizeof line, "{\"id\":%d,\"body\":\"%s kamo tire\",\"vec\":[", 1000000 + r, word);
  for (int d = 0; d < 32; d++) n += snprintf(line + n, sizeof line - (size_t)n, "%s0.%d", d ? "," : "", d % 10);
  snprintf(line + n, sizeof line - (size_t)n, "]}");
  json_t *row = json_loads(line, 0, NULL);
  size_t line_no = 1;
  struct ArrowArray *b = calloc(1, sizeof *b);
  lp_status rc = lp__json_rows_to_batch(&s, &row, &line_no, 1, b, err);
  json_decref(row);
  struct ArrowArrayStream st;
  if (rc == LP_OK) rc = lp__batches_stream(&s, b, 1, &st, err);
  lp_write_options wo;
  lp_write_options_init(&wo);
  wo.durable = false; /* LanceDB does not fsync its commits either */
  uint64_t v = 0;
  double t0 = now_s();
  if (rc == LP_OK) rc = lp_db_add(db, "fts_lp", &st, &wo, &v, err);
  int64_t found = 0;
  while (rc == LP_OK && found == 0) {
    lp_table *t = NULL;
    rc = lp_table_open(db, "fts_lp", LP_VERSION_LATEST, &t, err);
    if (rc == LP_OK) rc = text_search(t, word, &found, err);
    lp_table_close(t);
  }
  *out_ms = (now_s() - t0) * 1e3;
  lp__wschema_reset(&s);
  (void)dbdir;
  return rc;
}

static int run_lancepool(const char *dbdir, const query *qs, size_t nq, figures *f) {
  lp_error err = {0};
  lp_session *sess;
  lp_db *db;
  lp_table *t;
  if (open_table(dbdir, &sess, &db, &t, &err) != LP_OK) return fail("open", &err);
  lp_index_options io;
  lp_index_options_init(&io);
  io.column = "body";
  io.type = "fts";
  io.replace = true;
  char name[64];
  uint64_t v = 0;
  double t0 = now_s();
  if (lp_db_create_index(db, "fts_lp", &io, NULL, name, sizeof name, &v, &err) != LP_OK) return fail("create index", &err);
  f->build_s = now_s() - t0;
  close_table(sess, db, t);

  /* a fresh session: the first query loads the saved blocks */
  if (open_table(dbdir, &sess, &db, &t, &err) != LP_OK) return fail("reopen", &err);
  int64_t found = 0;
  t0 = now_s();
  if (text_search(t, qs[0].text, &found, &err) != LP_OK) return fail("text search", &err);
  f->reopen_first_ms = (now_s() - t0) * 1e3;
  t0 = now_s();
  for (size_t i = 0; i < nq; i++)
    if (text_search(t, qs[i].text, &found, &err) != LP_OK) return fail("text search", &err);
  f->text_qps = (double)nq / (now_s() - t0);
  if (hybrid_search(t, &qs[0], &err) != LP_OK) return fail("hybrid search", &err); /* warm the vectors */
  t0 = now_s();
  for (size_t i = 0; i < nq; i++)
    if (hybrid_search(t, &qs[i], &err) != LP_OK) return fail("hybrid search", &err);
  f->hybrid_qps = (double)nq / (now_s() - t0);
  lp_table_close(t);
  double ms[5];
  for (int r = 0; r < 5; r++)
    if (append_visible_ms(dbdir, db, sess, r, &ms[r], &err) != LP_OK) return fail("append", &err);
  for (int i = 0; i < 5; i++) /* median */
    for (int j = i + 1; j < 5; j++)
      if (ms[j] < ms[i]) {
        double x = ms[i];
        ms[i] = ms[j];
        ms[j] = x;
      }
  f->append_visible_ms = ms[2];
  lp_db_close(db);
  lp_session_unref(sess);
  return 0;
}

int main(int argc, char **argv) {
  bool no_peer = argc > 1 && strcmp(argv[1], "--no-peer") == 0;
  if (no_peer) argc--, argv++;
  const char *work = argc > 1 ? argv[1] : "/tmp/lancepool-fts-bench";
  int nq = argc > 2 ? atoi(argv[2]) : 200, rows = argc > 3 ? atoi(argv[3]) : 100000;
  if (nq <= 0 || rows <= 0 || (argc > 1 && argv[1][0] == '-')) {
    fprintf(stderr, "usage: fts_bench [--no-peer] [WORK_DIR [QUERIES [ROWS]]]\n");
    return 2;
  }
  figures ldb = {1, 1, 1, 1, 1}, lp = {0};
  if (!no_peer && run_peer(work, nq, rows, &ldb) != 0) return 1;
  char dbdir[1200];
  snprintf(dbdir, sizeof dbdir, "%s/db", work);
  query *qs = NULL;
  size_t n = 0;
  if (load_queries(dbdir, &qs, &n) != 0) return 1;
  if (run_lancepool(dbdir, qs, n, &lp) != 0) return 1;
  printf("%d documents, %zu queries (top 10), one query at a time\n", rows, n);
  printf("%-32s %12s %12s %8s\n", "figure", "lancepool", "LanceDB", "ratio");
  printf("%-32s %12.2f %12.2f %7.1fx\n", "text search q/s", lp.text_qps, ldb.text_qps, lp.text_qps / ldb.text_qps);
  printf("%-32s %12.2f %12.2f %7.1fx\n", "hybrid search q/s", lp.hybrid_qps, ldb.hybrid_qps, lp.hybrid_qps / ldb.hybrid_qps);
  printf("%-32s %12.2f %12.2f %7.1fx\n", "index build s (lower is better)", lp.build_s, ldb.build_s, ldb.build_s / lp.build_s);
  printf("%-32s %12.1f %12.1f %7.1fx\n", "append visible ms (lower better)", lp.append_visible_ms, ldb.append_visible_ms,
         ldb.append_visible_ms / lp.append_visible_ms);
  printf("%-32s %12.1f %12s\n", "first query after reopen ms", lp.reopen_first_ms, "-");
  for (size_t i = 0; i < n; i++) free(qs[i].text);
  free(qs);
  return 0;
}
