/* Tables, CSV and chart of a bench run. Ratios compare like with like: same workload, same thread count. */
#include "cli/bench_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const lp__bench_workloads[LP_BENCH_N_WORKLOADS] = {"search", "get",   "add1", "add100",
                                                                "delete", "mixed", "fts",  "hybrid"};
static const char *const lp_modes[] = {"per-op", "persistent", "pooled", "lancedb-per-op", "lancedb-persistent",
                                       "lancedb-pooled"};
#define N_MODES (sizeof lp_modes / sizeof lp_modes[0])

const char *lp__bench_workload_title(const char *w) {
  if (strcmp(w, "search") == 0) return "top-10 vector search (flat, L2, no index)";
  if (strcmp(w, "get") == 0) return "get one record by id";
  if (strcmp(w, "add1") == 0) return "add 1 record";
  if (strcmp(w, "add100") == 0) return "add 100 records";
  if (strcmp(w, "delete") == 0) return "delete one record by id";
  if (strcmp(w, "mixed") == 0) return "mixed: 45% search, 45% get, 10% add 1";
  if (strcmp(w, "fts") == 0) return "top-10 full-text search (BM25, LanceDB's FTS index, two words)";
  if (strcmp(w, "hybrid") == 0) return "top-10 hybrid search (flat L2 + BM25, RRF k=60)";
  return w;
}

static const lp_bench_result *find(const lp_bench_result *r, size_t n, const char *w, const char *m, unsigned t) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(r[i].workload, w) == 0 && strcmp(r[i].mode, m) == 0 && r[i].threads == t) return &r[i];
  return NULL;
}

/* Sorted distinct thread counts used for workload w. */
static size_t thread_counts(const lp_bench_result *r, size_t n, const char *w, unsigned *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(r[i].workload, w) != 0) continue;
    bool seen = false;
    for (size_t j = 0; j < k; j++) seen = seen || out[j] == r[i].threads;
    if (!seen && k < cap) out[k++] = r[i].threads;
  }
  for (size_t i = 1; i < k; i++)
    for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
      unsigned tmp = out[j];
      out[j] = out[j - 1];
      out[j - 1] = tmp;
    }
  return k;
}

static void ratio_cell(FILE *out, const lp_bench_result *a, const lp_bench_result *b) {
  if (a == NULL || b == NULL || b->ops_per_sec <= 0)
    fprintf(out, " %18s", "-");
  else
    fprintf(out, " %17.2fx", a->ops_per_sec / b->ops_per_sec);
}

/* LanceDB's fastest mode for (w, t), or NULL without peer rows. */
static const lp_bench_result *lancedb_best(const lp_bench_result *r, size_t n, const char *w, unsigned t) {
  const lp_bench_result *best = NULL;
  for (size_t m = 3; m < N_MODES; m++) {
    const lp_bench_result *x = find(r, n, w, lp_modes[m], t);
    if (x != NULL && (best == NULL || x->ops_per_sec > best->ops_per_sec)) best = x;
  }
  return best;
}

static void print_one(FILE *out, const lp_bench_result *r, size_t n, const char *w, unsigned records, unsigned dim) {
  unsigned th[16];
  size_t nt = thread_counts(r, n, w, th, 16);
  if (nt == 0) return;
  fprintf(out, "\n== %s: %s; %u records, dim %u ==\n", w, lp__bench_workload_title(w), records, dim);
  fprintf(out, "%-20s %7s %12s %10s %10s\n", "mode", "threads", "ops/s", "p50 us", "p99 us");
  for (size_t m = 0; m < N_MODES; m++)
    for (size_t t = 0; t < nt; t++) {
      const lp_bench_result *x = find(r, n, w, lp_modes[m], th[t]);
      if (x != NULL)
        fprintf(out, "%-20s %7u %12.1f %10.0f %10.0f\n", x->mode, x->threads, x->ops_per_sec, x->p50_us, x->p99_us);
    }
  fprintf(out, "%-8s %18s %18s %18s %18s\n", "threads", "pooled/per-op", "pooled/persistent", "pooled/lancedb-best",
          "lancedb-best mode");
  for (size_t t = 0; t < nt; t++) {
    const lp_bench_result *pooled = find(r, n, w, "pooled", th[t]);
    const lp_bench_result *best = lancedb_best(r, n, w, th[t]);
    fprintf(out, "%-8u", th[t]);
    ratio_cell(out, pooled, find(r, n, w, "per-op", th[t]));
    ratio_cell(out, pooled, find(r, n, w, "persistent", th[t]));
    ratio_cell(out, pooled, best);
    fprintf(out, " %18s\n", best != NULL ? best->mode : "-");
  }
  for (size_t t = 0; t < nt; t++) {
    const lp_bench_result *pooled = find(r, n, w, "pooled", th[t]);
    if (pooled != NULL && pooled->pool_stats[0] != '\0')
      fprintf(out, "pool after pooled %u thread%s: %s\n", th[t], th[t] == 1 ? "" : "s", pooled->pool_stats);
  }
  for (size_t i = 0; i < n; i++) /* object storage: what each run cost in connections and requests */
    if (strcmp(r[i].workload, w) == 0 && r[i].io_stats[0] != '\0')
      fprintf(out, "s3 %s %u thread%s: %s\n", r[i].mode, r[i].threads, r[i].threads == 1 ? "" : "s", r[i].io_stats);
  for (size_t i = 0; i < n; i++) /* failed operations are counted, not fatal: show them */
    if (strcmp(r[i].workload, w) == 0 && r[i].failed > 0)
      fprintf(out, "failed operations, %s %u thread%s: %lu (first: %s)\n", r[i].mode, r[i].threads,
              r[i].threads == 1 ? "" : "s", r[i].failed, r[i].first_error);
}

void lp__bench_print_tables(FILE *out, const lp_bench_result *r, size_t n, unsigned records, unsigned dim) {
  for (size_t w = 0; w < LP_BENCH_N_WORKLOADS; w++) print_one(out, r, n, lp__bench_workloads[w], records, dim);
  fflush(out);
}

lp_status lp__bench_write_csv(const char *path, const lp_bench_result *r, size_t n, lp_error *err) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return lp_error_set_errno(err, LP_EIO, errno, "bench: cannot write CSV %s", path);
  fputs("workload,mode,threads,ops_per_sec,p50_us,p99_us\n", f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s,%s,%u,%.1f,%.0f,%.0f\n", r[i].workload, r[i].mode, r[i].threads, r[i].ops_per_sec, r[i].p50_us,
            r[i].p99_us);
  if (fclose(f) != 0) return lp_error_set_errno(err, LP_EIO, errno, "bench: cannot write CSV %s", path);
  return LP_OK;
}

/* gnuplot data: for each workload a block (separated by two blank lines) with one row per thread count
 * and one column per mode (0 when absent). */
static void write_chart_data(FILE *f, const lp_bench_result *r, size_t n) {
  for (size_t w = 0; w < LP_BENCH_N_WORKLOADS; w++) {
    unsigned th[16];
    size_t nt = thread_counts(r, n, lp__bench_workloads[w], th, 16);
    fprintf(f, "# %s\n", lp__bench_workloads[w]);
    for (size_t t = 0; t < nt; t++) {
      fprintf(f, "\"%u thr\"", th[t]);
      for (size_t m = 0; m < N_MODES; m++) {
        const lp_bench_result *x = find(r, n, lp__bench_workloads[w], lp_modes[m], th[t]);
        fprintf(f, " %.2f", x != NULL ? x->ops_per_sec : 0.0);
      }
      fputc('\n', f);
    }
    if (nt == 0) fputs("\"-\" 0 0 0 0 0 0\n", f);
    fputs("\n\n", f);
  }
}

lp_status lp__bench_write_chart(const char *png, const lp_bench_result *r, size_t n, unsigned records, unsigned dim,
                                lp_error *err) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0)
    return lp_error_set(err, LP_ENOTFOUND, "bench: gnuplot is not installed (apt-get install gnuplot-nox); no chart");
  char dat[] = "/tmp/lp-bench-XXXXXX";
  int fd = mkstemp(dat);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "bench: temporary chart data");
  FILE *f = fdopen(fd, "w");
  if (f == NULL) {
    close(fd);
    unlink(dat);
    return lp_error_set_errno(err, LP_EIO, errno, "bench: temporary chart data");
  }
  write_chart_data(f, r, n);
  fclose(f);
  FILE *gp = popen("gnuplot 2>&1", "w");
  if (gp == NULL) {
    unlink(dat);
    return lp_error_set_errno(err, LP_EIO, errno, "bench: cannot run gnuplot");
  }
  fprintf(gp, "set terminal pngcairo size 1500,1350 font ',10'\nset output '%s'\n", png);
  fprintf(gp, "set multiplot layout 3,3 title 'lancepool vs official LanceDB 0.31.0: ops/s (log scale), %u records x dim %u'\n",
          records, dim);
  fputs("set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
        "set logscale y\nset yrange [0.5:*]\nset grid ytics\nset key top left font ',8'\nset boxwidth 0.9\n",
        gp);
  for (size_t w = 0; w < LP_BENCH_N_WORKLOADS; w++) {
    fprintf(gp, "set title '%s'\n", lp__bench_workloads[w]);
    fprintf(gp, "plot '%s' index %zu using 2:xtic(1) title 'per-op' lc rgb '#9e9e9e', '' index %zu using 3 title "
                "'persistent' lc rgb '#4c78a8', '' index %zu using 4 title 'pooled' lc rgb '#e45756', '' index %zu "
                "using 5 title 'lancedb-per-op' lc rgb '#d4c9a8', '' index %zu using 6 title 'lancedb-persistent' "
                "lc rgb '#a0cbe8', '' index %zu using 7 title 'lancedb-pooled' lc rgb '#ff9d98'\n",
            dat, w, w, w, w, w, w);
  }
  fputs("unset multiplot\n", gp);
  int status = pclose(gp);
  unlink(dat);
  if (status != 0) return lp_error_set(err, LP_EIO, "bench: gnuplot failed drawing %s (status %d)", png, status);
  return LP_OK;
}
