/* Flat search benchmark: lancepool vs official LanceDB 0.31.0 (Node, flat search, no index) on the same
 * tables, written by bench/peers/search_peer.mjs: 10,000 and 100,000 rows of 384-dim float32 vectors and
 * 20,000 rows of 1536. Top-10 L2, without and with a filter on a string column (cat = 'alpha'), one
 * query at a time, warm page cache, each engine reading the table's own files.
 *
 * lancepool runs with a session whose vector cache (lp_session_config.vector_cache_bytes, 1 GiB here)
 * keeps each fragment's decoded vector column in memory between queries; the first query of a case, which
 * reads and decodes the table's files (page cache warm), is timed apart ("first ms"), and a fresh session
 * is used per table so every first query really decodes. With --cold the page cache of the table's files
 * is dropped first (posix_fadvise DONTNEED) so "first ms" is a cold read from disk.
 *
 * Bandwidth bound: for each case, the best rate (bytes/s) of a plain vectorised streaming sum over a
 * buffer of that case's vector bytes, on 1 thread and on as many threads as the search uses; q/s x vector
 * bytes is reported as a fraction of the bound of the same thread count. Search is measured with its
 * default threads (one per core) and with 1 thread.
 * Usage: search_bench [work-dir] [queries-per-case] [--no-peer] [--cold]
 *   (env LP_NODE_DIR or the source tree's node_modules; --no-peer reuses the tables and queries of an
 *    earlier run and skips LanceDB, for profiling) */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <unistd.h>

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

typedef struct stream_job {
  const float *buf;
  size_t n;
  float sink;
} stream_job;

static void *stream_main(void *arg) {
  stream_job *j = arg;
  j->sink += stream_sum(j->buf, j->n);
  return NULL;
}

/* Best of several streaming passes over a buffer of n_bytes already in memory, split among n_threads
 * threads (as the search splits its rows). */
static double bandwidth_bytes_per_s(size_t n_bytes, int n_threads) {
  size_t n = n_bytes / sizeof(float);
  float *buf = malloc(n * sizeof *buf);
  if (buf == NULL) return 0;
  for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 1023) * 0.001f;
  stream_job jobs[8];
  pthread_t tid[8];
  size_t share = (n / (size_t)n_threads) & ~(size_t)31;
  double best = 0;
  for (int pass = 0; pass < 10; pass++) {
    double t0 = now_s();
    for (int t = 0; t < n_threads; t++) {
      jobs[t] = (stream_job){buf + (size_t)t * share, t == n_threads - 1 ? n - (size_t)t * share : share, 0};
      if (t > 0) pthread_create(&tid[t], NULL, stream_main, &jobs[t]);
    }
    stream_main(&jobs[0]);
    for (int t = 1; t < n_threads; t++) pthread_join(tid[t], NULL);
    double dt = now_s() - t0;
    if ((double)n_bytes / dt > best) best = (double)n_bytes / dt;
  }
  free(buf);
  return best;
}

/* Drop the page cache of every file below dir (for --cold). */
static void drop_cache(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "find '%s' -type f", dir);
  FILE *p = popen(cmd, "r");
  char line[1200];
  while (p && fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = '\0';
    int fd = open(line, O_RDONLY);
    if (fd < 0) continue;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
  if (p) pclose(p);
}

typedef struct peer_result {
  char table[32];
  bool filtered;
  double qps;
} peer_result;

/* Time one case: a fresh session (so the first query decodes), the first query apart, then nq queries. */
static int run_case(const char *dbdir, const peer_result *pc, const float *vecs, size_t n, size_t dim,
                    int n_threads, bool cold, double *out_qps, double *out_first_ms, uint64_t *out_rows) {
  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  cfg.vector_cache_bytes = (size_t)1 << 30; /* the 100k x 384 table's vectors are 154 MB */
  lp_session *sess = NULL;
  lp_db *db = NULL;
  lp_table *t = NULL;
  if (lp_session_create(&cfg, &sess, &err) != LP_OK || lp_db_open(dbdir, sess, &db, &err) != LP_OK ||
      lp_table_open(db, pc->table, LP_VERSION_LATEST, &t, &err) != LP_OK ||
      lp_table_count_rows(t, out_rows, &err) != LP_OK) {
    fprintf(stderr, "search_bench: %s\n", err.message);
    return 1;
  }
  if (cold) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s.lance", dbdir, pc->table);
    drop_cache(dir);
  }
  const char *cols[] = {"id"};
  lp_search_options o;
  lp_search_options_init(&o);
  o.dim = dim;
  o.k = 10;
  o.columns = cols;
  o.n_columns = 1;
  o.n_threads = n_threads;
  o.where = pc->filtered ? "cat = 'alpha'" : NULL;
  double t0 = 0;
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
    if (q == 0) *out_first_ms = (now_s() - tq) * 1e3;
    a.release(&a);
    s.release(&s);
  }
  *out_qps = (double)n / (now_s() - t0);
  lp_table_close(t);
  lp_db_close(db);
  lp_session_unref(sess);
  return 0;
}

/* LanceDB's figures: run the peer, one JSON object per case. */
static int run_peer(const char *work, int nq, peer_result *peers, int *n_peers) {
  const char *node_dir = getenv("LP_NODE_DIR");
  char cmd[4096], line[1024];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && NODE_PATH='%s' node '%s/bench/peers/search_peer.mjs' '%s/db' %d 2>/dev/null",
           work, node_dir ? node_dir : LP_SOURCE_DIR "/tests/interop/node/node_modules", LP_SOURCE_DIR, work, nq);
  fprintf(stderr, "peer: %s\n", cmd);
  FILE *p = popen(cmd, "r");
  if (p == NULL) return 1;
  while (fgets(line, sizeof line, p) && *n_peers < 16) {
    json_t *j = json_loads(line, 0, NULL);
    if (j == NULL) continue;
    peer_result *r = &peers[(*n_peers)++];
    snprintf(r->table, sizeof r->table, "%s", json_string_value(json_object_get(j, "table")));
    r->filtered = !json_is_null(json_object_get(j, "filter"));
    r->qps = json_number_value(json_object_get(j, "qps"));
    json_decref(j);
  }
  if (pclose(p) != 0 || *n_peers == 0) {
    fprintf(stderr, "search_bench: the LanceDB peer failed\n");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *work = "/tmp/lancepool-search-bench";
  int nq = 20, n_pos = 0;
  bool no_peer = false, cold = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--no-peer") == 0) no_peer = true;
    else if (strcmp(argv[i], "--cold") == 0) cold = true;
    else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: search_bench [--no-peer] [--cold] [WORK_DIR [QUERIES]]\n");
      return strcmp(argv[i], "--help") == 0 ? 0 : 2;
    } else if (n_pos++ == 0) work = argv[i];
    else nq = atoi(argv[i]);
  }
  peer_result peers[16];
  int n_peers = 0;
  if (no_peer) {
    const char *names[] = {"v384_10k", "v384_100k", "v1536_20k"};
    for (int i = 0; i < 6; i++) peers[n_peers++] = (peer_result){"", i % 2 == 1, 0};
    for (int i = 0; i < 6; i++) snprintf(peers[i].table, sizeof peers[i].table, "%s", names[i / 2]);
  } else if (run_peer(work, nq, peers, &n_peers) != 0) return 1;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int auto_threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
  char dbdir[1200], path[2048];
  snprintf(dbdir, sizeof dbdir, "%s/db", work);
  printf("machine: %ld cores; bound = best streaming AVX2 sum over a buffer of the case's vector bytes, same threads\n", ncpu);
  printf("%-10s %-5s %3s %9s %9s %7s %9s %8s %8s %7s\n", "table", "filt", "thr", "lp q/s", "LanceDB", "ratio",
         "first ms", "GB/s", "bound", "of bnd");
  for (int i = 0; i < n_peers; i++) {
    snprintf(path, sizeof path, "%s/queries_%s.json", dbdir, peers[i].table);
    json_t *qs = json_load_file(path, 0, NULL);
    size_t n = json_array_size(qs), dim = json_array_size(json_array_get(qs, 0));
    if (n == 0 || dim == 0) {
      fprintf(stderr, "search_bench: no queries in %s\n", path);
      return 1;
    }
    float *vecs = malloc(n * dim * sizeof *vecs);
    for (size_t q = 0; q < n; q++)
      for (size_t d = 0; d < dim; d++) vecs[q * dim + d] = (float)json_number_value(json_array_get(json_array_get(qs, q), d));
    json_decref(qs);
    int threads[2] = {auto_threads, 1};
    for (int ti = 0; ti < (auto_threads > 1 ? 2 : 1); ti++) {
      double qps = 0, first_ms = 0;
      uint64_t rows = 0;
      if (run_case(dbdir, &peers[i], vecs, n, dim, threads[ti], cold && ti == 0, &qps, &first_ms, &rows) != 0) return 1;
      size_t bytes = (size_t)rows * dim * 4;
      double bw = bandwidth_bytes_per_s(bytes, threads[ti]);
      char ratio[32] = "-", peer[32] = "-";
      if (peers[i].qps > 0) {
        snprintf(ratio, sizeof ratio, "%.1fx", qps / peers[i].qps);
        snprintf(peer, sizeof peer, "%.2f", peers[i].qps);
      }
      printf("%-10s %-5s %3d %9.1f %9s %7s %9.1f %8.2f %8.2f %6.0f%%\n", peers[i].table, peers[i].filtered ? "cat=" : "none",
             threads[ti], qps, peer, ratio, first_ms, qps * (double)bytes / 1e9, bw / 1e9, qps * (double)bytes / bw * 100);
      fflush(stdout);
    }
    free(vecs);
  }
  return 0;
}
