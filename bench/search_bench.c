/* Flat search benchmark: lancepool vs official LanceDB 0.31.0 (Node, flat search, no index) on the same
 * tables, written by bench/peers/search_peer.mjs: 10,000 and 100,000 rows of 384-dim float32 vectors and
 * 20,000 rows of 1536. Top-10 L2, without and with a filter on a string column (cat = 'alpha'), one
 * query at a time, warm page cache, each engine reading the table's own files. lancepool runs with a
 * session (so decoded vector pages stay cached in memory between queries, within the session budget);
 * the first query, which decodes, is timed separately.
 *
 * It also measures the memory-bandwidth bound: the best rate (bytes/s) of a plain vectorised streaming
 * sum over a buffer of the same size as the 100k x 384 vectors, and reports each case's vector bytes per
 * second as a fraction of it.
 * Usage: search_bench [work-dir] [queries-per-case]  (env LP_NODE_DIR or the source tree's node_modules) */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <immintrin.h>

#include "lancepool/lance.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One streaming pass: AVX2 loads into four independent sums (no arithmetic bottleneck). */
__attribute__((target("avx2"))) static float stream_sum(const float *buf, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(buf + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(buf + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(buf + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(buf + i + 24));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

/* Best of several single-threaded streaming passes over a buffer of n_bytes already in memory. */
static double bandwidth_bytes_per_s(size_t n_bytes) {
  size_t n = n_bytes / sizeof(float);
  float *buf = malloc(n * sizeof *buf);
  if (buf == NULL) return 0;
  for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 1023) * 0.001f;
  double best = 0;
  volatile float sink = 0;
  for (int pass = 0; pass < 8; pass++) {
    double t0 = now_s();
    sink += stream_sum(buf, n);
    double dt = now_s() - t0;
    if ((double)n_bytes / dt > best) best = (double)n_bytes / dt;
  }
  (void)sink;
  free(buf);
  return best;
}

typedef struct peer_result {
  char table[32];
  bool filtered;
  double qps;
} peer_result;

int main(int argc, char **argv) {
  const char *work = argc > 1 ? argv[1] : "/tmp/lancepool-search-bench";
  int nq = argc > 2 ? atoi(argv[2]) : 20;
  const char *node_dir = getenv("LP_NODE_DIR");
  char cmd[4096], path[1200];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && NODE_PATH='%s' node '%s/bench/peers/search_peer.mjs' '%s/db' %d 2>/dev/null",
           work, node_dir ? node_dir : LP_SOURCE_DIR "/tests/interop/node/node_modules", LP_SOURCE_DIR, work, nq);
  fprintf(stderr, "peer: %s\n", cmd);
  FILE *p = popen(cmd, "r");
  if (p == NULL) return 1;
  peer_result peers[16];
  int n_peers = 0;
  char line[1024];
  while (fgets(line, sizeof line, p) && n_peers < 16) {
    json_t *j = json_loads(line, 0, NULL);
    if (j == NULL) continue;
    snprintf(peers[n_peers].table, sizeof peers[n_peers].table, "%s", json_string_value(json_object_get(j, "table")));
    peers[n_peers].filtered = !json_is_null(json_object_get(j, "filter"));
    peers[n_peers].qps = json_number_value(json_object_get(j, "qps"));
    n_peers++;
    json_decref(j);
  }
  if (pclose(p) != 0 || n_peers == 0) {
    fprintf(stderr, "search_bench: the LanceDB peer failed\n");
    return 1;
  }
  double bw = bandwidth_bytes_per_s((size_t)100000 * 384 * 4);
  printf("memory-bandwidth bound (one thread, AVX2 streaming sum over 154 MB, best of 8): %.2f GB/s\n", bw / 1e9);
  printf("%-10s %-8s %12s %12s %10s %12s %10s\n", "table", "filter", "lancepool q/s", "LanceDB q/s", "ratio",
         "first ms", "of bound");

  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.cache_bytes = (size_t)512 << 20;
  lp_session *sess = NULL;
  lp_db *db = NULL;
  snprintf(path, sizeof path, "%s/db", work);
  if (lp_session_create(&cfg, &sess, &err) != LP_OK || lp_db_open(path, sess, &db, &err) != LP_OK) {
    fprintf(stderr, "search_bench: %s\n", err.message);
    return 1;
  }
  for (int i = 0; i < n_peers; i++) {
    snprintf(path, sizeof path, "%s/db/queries_%s.json", work, peers[i].table);
    json_t *qs = json_load_file(path, 0, NULL);
    size_t n = json_array_size(qs), dim = json_array_size(json_array_get(qs, 0));
    float *vecs = malloc(n * dim * sizeof *vecs);
    for (size_t q = 0; q < n; q++)
      for (size_t d = 0; d < dim; d++) vecs[q * dim + d] = (float)json_number_value(json_array_get(json_array_get(qs, q), d));
    json_decref(qs);
    lp_table *t = NULL;
    if (lp_table_open(db, peers[i].table, LP_VERSION_LATEST, &t, &err) != LP_OK) {
      fprintf(stderr, "search_bench: %s\n", err.message);
      return 1;
    }
    uint64_t rows = 0;
    if (lp_table_count_rows(t, &rows, &err) != LP_OK) return 1;
    const char *cols[] = {"id"};
    lp_search_options o;
    lp_search_options_init(&o);
    o.dim = dim;
    o.k = 10;
    o.columns = cols;
    o.n_columns = 1;
    o.where = peers[i].filtered ? "cat = 'alpha'" : NULL;
    double first_ms = 0, t0 = 0;
    for (size_t q = 0; q <= n; q++) {
      if (q == 1) t0 = now_s();
      o.vector = vecs + (q == 0 ? 0 : q - 1) * dim;
      struct ArrowArray a;
      struct ArrowSchema s;
      double tq = now_s();
      if (lp_table_search(t, &o, &a, &s, &err) != LP_OK) {
        fprintf(stderr, "search_bench: %s\n", err.message);
        return 1;
      }
      if (q == 0) first_ms = (now_s() - tq) * 1e3;
      a.release(&a);
      s.release(&s);
    }
    double qps = (double)n / (now_s() - t0);
    double frac = qps * (double)rows * (double)dim * 4 / bw;
    printf("%-10s %-8s %12.1f %12.2f %9.1fx %12.1f %9.0f%%\n", peers[i].table, peers[i].filtered ? "cat=" : "none", qps,
           peers[i].qps, qps / peers[i].qps, first_ms, frac * 100);
    lp_table_close(t);
    free(vecs);
  }
  lp_db_close(db);
  lp_session_unref(sess);
  return 0;
}
