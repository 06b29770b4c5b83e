/* `lancepool bench`: the store benchmark. Builds a store of N records, measures every workload in three
 * modes (per-op, persistent, pooled) and thread counts, runs the same workloads with official LanceDB
 * (bench/peers/store_peer.mjs), and prints tables, a CSV and a chart. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <inttypes.h>

#include "cli/bench_modes.h"
#include "cli/bench_peer.h"
#include "cli/bench_report.h"
#include "cli/cli.h"
#include "io/disk_cache.h"
#include "io/http_pool.h"
#include "store/store_conn.h"

#define TABLE "store"
#define BUILD_BATCH 50000 /* rows per initial fragment: large enough that maintenance leaves them alone */

typedef struct {
  unsigned records, dim, threads[8];
  size_t n_threads;
  double seconds;
  const char *db, *csv, *png, *workloads, *peer_log;
  bool peers, quick, durable;
  unsigned pool_max;
} options;

static int parse(int argc, char **argv, options *o) {
  *o = (options){.records = 100000, .dim = 384, .threads = {1, 2, 8}, .n_threads = 3, .seconds = 3,
                 .peers = true, .durable = true, .workloads = "search,get,add1,add100,delete,mixed,fts,hybrid"};
  bool set_records = false, set_seconds = false, set_threads = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--quick") == 0) { o->quick = true; continue; }
    if (strcmp(a, "--no-peers") == 0) { o->peers = false; continue; }
    if (strcmp(a, "--no-durable") == 0) { o->durable = false; continue; }
    if (v == NULL) return lp__cli_usage(BENCH_USAGE, "unknown option or missing value: %s", a);
    i++;
    if (strcmp(a, "--records") == 0) { o->records = (unsigned)strtoul(v, NULL, 10); set_records = true; }
    else if (strcmp(a, "--dim") == 0) o->dim = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--max-connections") == 0) o->pool_max = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--seconds") == 0) { o->seconds = strtod(v, NULL); set_seconds = true; }
    else if (strcmp(a, "--db") == 0) o->db = v;
    else if (strcmp(a, "--csv") == 0) o->csv = v;
    else if (strcmp(a, "--png") == 0) o->png = v;
    else if (strcmp(a, "--peer-log") == 0) o->peer_log = v;
    else if (strcmp(a, "--workloads") == 0) o->workloads = v;
    else if (strcmp(a, "--threads") == 0) {
      set_threads = true;
      o->n_threads = 0;
      for (char *p = (char *)v; *p && o->n_threads < 8;) {
        char *end;
        unsigned long t = strtoul(p, &end, 10);
        if (end == p || t == 0 || t > 256) return lp__cli_usage(BENCH_USAGE, "--threads: expected a comma list of 1..256, found '%s'", v);
        o->threads[o->n_threads++] = (unsigned)t;
        p = *end == ',' ? end + 1 : end;
      }
    } else
      return lp__cli_usage(BENCH_USAGE, "unknown option: %s", a);
  }
  if (o->quick) { /* about a minute and a half with the peer on a 2-vCPU machine */
    if (!set_records) o->records = 10000;
    if (!set_seconds) o->seconds = 0.75;
    if (!set_threads) {
      o->threads[0] = 1;
      o->threads[1] = 8;
      o->n_threads = 2;
    }
  }
  if (o->records < 1000 || o->dim == 0 || o->dim > 1024 || !(o->seconds > 0))
    return lp__cli_usage(BENCH_USAGE, "need --records >= 1000, --dim in 1..1024 and --seconds > 0");
  return 0;
}

/* What a run cost in object storage: HTTP connections opened and requests sent (process-wide counters of
 * io/http_pool.h), TLS sessions resumed, and disk cache hits. */
typedef struct io_counters {
  lp__http_totals http;
  lp__disk_cache_stats cache;
} io_counters;

static void io_counters_get(io_counters *c) {
  lp__http_totals_get(&c->http);
  lp__disk_cache_stats_get(&c->cache);
}

static void format_io_stats(const io_counters *before, lp_bench_result *r) {
  io_counters now;
  io_counters_get(&now);
  double ops = r->ops ? (double)r->ops : 1;
  uint64_t hits = now.cache.hits - before->cache.hits, misses = now.cache.misses - before->cache.misses;
  uint64_t tls = now.http.tls_connects - before->http.tls_connects;
  int n = snprintf(r->io_stats, sizeof r->io_stats,
                   "connections/op=%.3f requests/op=%.2f tls resumed=%" PRIu64 "/%" PRIu64 " cache hits=%" PRIu64
                   "/%" PRIu64 " (%.0f%%)",
                   (double)(now.http.tcp_connects - before->http.tcp_connects) / ops,
                   (double)(now.http.requests - before->http.requests) / ops,
                   now.http.tls_resumed - before->http.tls_resumed, tls, hits, hits + misses,
                   hits + misses ? 100.0 * (double)hits / (double)(hits + misses) : 0.0);
  if (n < 0 || (size_t)n >= sizeof r->io_stats) r->io_stats[0] = '\0';
}

static lp_status build_store(const char *dir, const options *o, lp_error *err) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = o->dim;
  cfg.storage_options = lp__cli_storage_options(&cfg.n_storage_options);
  lp_store *s = NULL;
  LP_TRY(lp_store_open(dir, TABLE, &cfg, &s, err));
  uint64_t have = 0;
  lp_status rc = lp_store_count(s, &have, err);
  lp_bench_record *recs = malloc(BUILD_BATCH * sizeof *recs);
  float *vecs = malloc((size_t)BUILD_BATCH * o->dim * sizeof *vecs);
  lp_store_record *in = malloc(BUILD_BATCH * sizeof *in);
  if (rc == LP_OK && (!recs || !vecs || !in)) rc = lp_error_set(err, LP_ENOMEM, "bench: out of memory");
  lp_db *db = NULL;
  struct lp__store_layout *lay = NULL;
  if (rc == LP_OK) rc = lp__cli_db_open(dir, &db, err);
  if (rc == LP_OK) rc = lp__store_conn_layout(db, TABLE, o->dim, NULL, &lay, err);
  for (unsigned start = (unsigned)have; rc == LP_OK && start < o->records; start += BUILD_BATCH) {
    unsigned n = o->records - start < BUILD_BATCH ? o->records - start : BUILD_BATCH;
    for (unsigned k = 0; k < n; k++) {
      lp__bench_record(start + k, o->dim, NULL, &recs[k], vecs + (size_t)k * o->dim);
      in[k] = (lp_store_record){recs[k].id, recs[k].path, recs[k].text, vecs + (size_t)k * o->dim, o->dim,
                                recs[k].metadata, recs[k].created_at_us, NULL, 0};
    }
    /* The initial load is one plain append per batch (ids are new by construction). */
    struct ArrowArrayStream st = {0};
    rc = lp__store_records_stream(lay, in, n, &st, err);
    uint64_t v = 0;
    if (rc == LP_OK) rc = lp_db_add(db, TABLE, &st, NULL, &v, err);
    lp__bench_progress("building the store: %u/%u records", start + n, o->records);
  }
  lp__bench_progress_clear();
  lp__store_layout_free(lay);
  lp_db_close(db);
  free(recs);
  free(vecs);
  free(in);
  lp_store_close(s);
  return rc;
}

static void format_stats(lp_store *s, char *buf, size_t cap) {
  lp_store_stats st;
  lp_store_stats_get(s, &st);
  snprintf(buf, cap,
           "hits=%llu misses=%llu created=%llu reused=%llu expired=%llu waits=%llu size=%llu commits=%llu "
           "writes=%llu compactions=%llu",
           (unsigned long long)st.pool.pool_hits, (unsigned long long)st.pool.pool_misses,
           (unsigned long long)st.pool.connections_created, (unsigned long long)st.pool.connections_reused,
           (unsigned long long)st.pool.connections_expired, (unsigned long long)st.pool.wait_count,
           (unsigned long long)st.pool.current_size, (unsigned long long)st.commits, (unsigned long long)st.writes,
           (unsigned long long)st.compactions);
}

/* results with room for one more (NULL when out of memory: the old block is then freed). */
static lp_bench_result *grow_results(lp_bench_result *res, size_t n) {
  lp_bench_result *g = realloc(res, (n + 1) * sizeof *g);
  if (g == NULL) free(res);
  return g;
}

/* Is w one of the names in the comma list? */
static bool has_workload(const char *list, const char *w) {
  size_t n = strlen(w);
  for (const char *p = list; p != NULL && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, w, n) == 0) return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

static bool is_read_workload(const char *w) {
  return strcmp(w, "search") == 0 || strcmp(w, "get") == 0 || strcmp(w, "fts") == 0 || strcmp(w, "hybrid") == 0;
}

/* The table's latest version. */
static lp_status latest_version(lp_db *db, uint64_t *out, lp_error *err) {
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, TABLE, LP_VERSION_LATEST, &t, err));
  *out = lp_table_version(t);
  lp_table_close(t);
  return LP_OK;
}

/* Roll the table back to the content as built (a metadata-only commit that reuses its data files), so
 * every measurement starts from the same N records whatever earlier write workloads added or deleted;
 * the peer does the same. Without it fast writers grow the table and later workloads measure another
 * table (a million rows whose vectors no longer fit the vector cache). *base becomes the restored
 * version: the store's maintenance removes versions older than its retention, so the one to restore
 * must stay recent. */
static lp_status reset_table(lp_db *db, uint64_t *base, lp_error *err) {
  uint64_t now = 0, v = 0;
  LP_TRY(latest_version(db, &now, err));
  if (now == *base) return LP_OK;
  LP_TRY(lp_db_restore(db, TABLE, *base, NULL, &v, err));
  *base = v;
  return LP_OK;
}

static lp_status measure_lancepool(const char *dir, const options *o, lp_bench_result **res, size_t *n_res,
                                   lp_error *err) {
  static const char *const mode_names[] = {"per-op", "persistent", "pooled"};
  lp_db *admin = NULL;
  uint64_t base = 0;
  LP_TRY(lp__cli_db_open(dir, &admin, err));
  lp_status brc = latest_version(admin, &base, err);
  if (brc != LP_OK) {
    lp_db_close(admin);
    return brc;
  }
  atomic_uint add_seq = 0, delete_next = o->records - 1;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  for (size_t w = 0; w < LP_BENCH_N_WORKLOADS; w++) {
    const char *wl = lp__bench_workloads[w];
    if (!has_workload(o->workloads, wl))
      continue;
    for (int m = 0; m < 3; m++)
      for (size_t t = 0; t < o->n_threads; t++) {
        lp_bench_ctx c = {.mode = (lp_bench_mode)m, .dir = dir, .table = TABLE, .dim = o->dim, .records = o->records,
                          .workload = wl, .db_mu = &mu, .add_seq = &add_seq, .delete_next = &delete_next};
        lp_write_options_init(&c.wopts);
        c.wopts.durable = o->durable;
        snprintf(c.tag, sizeof c.tag, "%s-%u", mode_names[m], o->threads[t]);
        lp_status rc = reset_table(admin, &base, err);
        atomic_store(&delete_next, o->records - 1); /* the rows deleted last time are back */
        if (rc == LP_OK && m != LP_BENCH_PER_OP) {
          lp_store_config cfg;
          lp_store_config_init(&cfg);
          cfg.dim = o->dim;
          cfg.durable = o->durable;
          cfg.pool.max_connections = m == LP_BENCH_PERSISTENT ? 1 : (int)(o->pool_max ? o->pool_max : o->threads[t]);
          cfg.pool.min_connections = 1;
          cfg.storage_options = lp__cli_storage_options(&cfg.n_storage_options);
          rc = lp_store_open(dir, TABLE, &cfg, &c.store, err);
        }
        lp_bench_result r = {0};
        char label[96];
        snprintf(label, sizeof label, "%s %s %u threads", wl, mode_names[m], o->threads[t]);
        /* Read workloads warm up first (two untimed operations), in every mode and in the peer. */
        if (rc == LP_OK && is_read_workload(wl)) {
          lp_bench_rng wr;
          lp__bench_rng_seed(&wr, 0x5eed);
          for (int i = 0; i < 2 && rc == LP_OK; i++) rc = lp__bench_op(&c, 0, &wr, err);
        }
        io_counters before;
        io_counters_get(&before);
        if (rc == LP_OK) rc = lp__bench_measure(lp__bench_op, &c, o->threads[t], o->seconds, label, &r, err);
        if (rc == LP_OK && strncmp(dir, "s3://", 5) == 0) format_io_stats(&before, &r);
        snprintf(r.workload, sizeof r.workload, "%s", wl);
        snprintf(r.mode, sizeof r.mode, "%s", mode_names[m]);
        if (c.store && m == LP_BENCH_POOLED) format_stats(c.store, r.pool_stats, sizeof r.pool_stats);
        lp_store_close(c.store);
        if (rc == LP_OK && r.failed > 0)
          fprintf(stderr, "lancepool bench: %s: %lu operations failed; first: %s\n", label, r.failed, r.first_error);
        if (rc == LP_OK && (*res = grow_results(*res, *n_res)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "bench: out of memory");
        if (rc != LP_OK) {
          lp_db_close(admin);
          lp_error_wrap(err, "%s: ", label);
          return rc;
        }
        lp_bench_result *g = *res;
        g[(*n_res)++] = r;
      }
  }
  lp_db_close(admin);
  return LP_OK;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* The peer's log: --peer-log, else bench-peer.log beside the CSV (or the chart), else in the work directory
 * (a temporary one is removed afterwards; a failing peer's log tail is printed either way). */
static void default_peer_log(const options *o, const char *root, char *out, size_t cap) {
  const char *beside = o->csv ? o->csv : o->png;
  if (o->peer_log) {
    snprintf(out, cap, "%s", o->peer_log);
  } else if (beside) {
    const char *slash = strrchr(beside, '/');
    int dir_len = slash ? (int)(slash - beside) : 1;
    snprintf(out, cap, "%.*s/bench-peer.log", dir_len, slash ? beside : ".");
  } else {
    snprintf(out, cap, "%s/bench-peer.log", root);
  }
}

/* The last lines of a run: where its files went. */
static void print_outputs(const options *o, const char *peer_log) {
  if (o->csv) printf("CSV written to %s\n", o->csv);
  if (o->png) printf("chart written to %s\n", o->png);
  if (o->peers && (o->peer_log || o->csv || o->png)) printf("LanceDB peer log written to %s\n", peer_log);
}

int lp__cli_bench(int argc, char **argv) {
  options o;
  int prc = parse(argc, argv, &o);
  if (prc != 0) return prc;
  char tmp[] = "/tmp/lancepool-bench-XXXXXX";
  const char *root = o.db;
  if (root == NULL && mkdtemp(tmp) == NULL) return lp__cli_fail("bench: cannot create a temporary directory: %s", strerror(errno));
  if (root == NULL) root = tmp;
  char dir[4096], peer_dir[4096];
  snprintf(dir, sizeof dir, "%s/lancepool", root);
  snprintf(peer_dir, sizeof peer_dir, "%s/lancedb", root);
  lp_error err = {0};
  lp_bench_result *res = NULL;
  size_t n_res = 0;
  int exit_code = 0;
  fprintf(stderr, "lancepool bench: %u records, dim %u, %g s per measurement, in %s\n", o.records, o.dim, o.seconds, root);
  char peer_log[4096];
  default_peer_log(&o, root, peer_log, sizeof peer_log);
  lp_status rc = build_store(dir, &o, &err);
  if (rc == LP_OK && (has_workload(o.workloads, "fts") || has_workload(o.workloads, "hybrid"))) {
    lp__bench_progress("official LanceDB: building the FTS index on lancepool's table");
    rc = lp__bench_peer_fts_index(dir, TABLE, peer_log, &err);
    lp__bench_progress_clear();
  }
  if (rc == LP_OK) rc = measure_lancepool(dir, &o, &res, &n_res, &err);
  if (rc == LP_OK && o.peers) {
    lp_bench_peer_args pa = {peer_dir, TABLE, o.records, o.dim, o.threads, o.n_threads, o.seconds, o.workloads,
                             peer_log};
    lp__bench_progress("official LanceDB: building and measuring");
    rc = lp__bench_peer_run(&pa, &res, &n_res, &err);
    lp__bench_progress_clear();
  }
  if (rc != LP_OK) {
    exit_code = lp__cli_fail("bench: %s", err.message);
  } else {
    lp__bench_print_tables(stdout, res, n_res, o.records, o.dim);
    if (o.csv && lp__bench_write_csv(o.csv, res, n_res, &err) != LP_OK) exit_code = lp__cli_fail("%s", err.message);
    if (o.png && lp__bench_write_chart(o.png, res, n_res, o.records, o.dim, &err) != LP_OK)
      exit_code = lp__cli_fail("%s", err.message);
    if (exit_code == 0) print_outputs(&o, peer_log);
  }
  free(res);
  if (o.db == NULL) nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return exit_code;
}
