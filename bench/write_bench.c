/* Write benchmark: lancepool's engine (C API) against official LanceDB 0.31.0 (Node.js, bench/peers/
 * write_peer.mjs), same table shape (id int64, text ~40 bytes, 128-dim float32 vector), each in its own
 * temp dir:
 *   - append of 1 row (median latency over N_APPENDS appends),
 *   - one append of 100,000 rows (throughput),
 *   - delete of one row by id (median over N_DELETES),
 *   - compaction of 1,000 one-row fragments.
 * lancepool runs twice: durable (the default: fsync before and after publishing) and with durable off,
 * which is what LanceDB does (it never fsyncs). Prints both sides and the ratios (LanceDB time / lancepool
 * time: > 1 means lancepool is faster).
 * Environment: LP_SOURCE_DIR (repo root; default from this file's path), LP_BENCH_TMP (default /tmp),
 * LP_BENCH_ROWS (default 100000), LP_BENCH_FRAGS (default 1000), LP_BENCH_STORAGE (the tables' data storage
 * version on both sides: "2.0", "2.1" or "2.2"; default 2.1). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"

#define DIM 128
#define N_APPENDS 50
#define N_DELETES 20

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const lp_error *err) {
  fprintf(stderr, "write_bench: %s: %s\n", what, err ? err->message : strerror(errno));
  exit(1);
}

static lp__schema schema;

/* A stream of one batch of n rows with ids first.. */
static struct ArrowArrayStream rows(int64_t first, int64_t n) {
  lp_error err = {0};
  int64_t *ids = lp__arrow_buf_alloc((size_t)n * 8);
  int32_t *offs = lp__arrow_buf_alloc((size_t)(n + 1) * 4);
  char *text = lp__arrow_buf_alloc((size_t)n * 64);
  float *vec = lp__arrow_buf_alloc((size_t)n * DIM * 4);
  if (!ids || !offs || !text || !vec) die("out of memory", NULL);
  int32_t at = 0;
  for (int64_t i = 0; i < n; i++) {
    ids[i] = first + i;
    offs[i] = at;
    at += sprintf(text + at, "row %" PRId64 " of the write benchmark, some text", first + i);
    for (int k = 0; k < DIM; k++) vec[i * DIM + k] = (float)(((first + i) * 31 + k) % 997) / 997.0f;
  }
  offs[n] = at;
  struct ArrowArray cols[3], child, *chp = &child;
  void *b0[2] = {NULL, ids}, *b1[3] = {NULL, offs, text}, *bv[2] = {NULL, vec}, *b2[1] = {NULL};
  if (lp__arrow_array_make(&cols[0], n, 0, 2, b0, NULL, 0, &err) != LP_OK ||
      lp__arrow_array_make(&cols[1], n, 0, 3, b1, NULL, 0, &err) != LP_OK ||
      lp__arrow_array_make(&child, n * DIM, 0, 2, bv, NULL, 0, &err) != LP_OK ||
      lp__arrow_array_make(&cols[2], n, 0, 1, b2, &chp, 1, &err) != LP_OK)
    die("arrays", &err);
  struct ArrowArray *batch = calloc(1, sizeof *batch);
  if (batch == NULL || lp__arrow_struct_make(batch, cols, 3, n, NULL, 0, &err) != LP_OK) die("batch", &err);
  struct ArrowArrayStream s;
  if (lp__batches_stream(&schema, batch, 1, &s, &err) != LP_OK) die("stream", &err);
  return s;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct result {
  double append1_ms, append_rows_s, delete1_ms, compact_s;
} result;

static result run_lancepool(const char *dir, bool durable, int64_t n_rows, int frags) {
  lp_error err = {0};
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd) != 0) die("mkdir", NULL);
  lp_db *db;
  if (lp_db_open(dir, NULL, &db, &err) != LP_OK) die("open", &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.durable = durable;
  o.data_storage_version = getenv("LP_BENCH_STORAGE"); /* NULL: 2.1 */
  struct ArrowSchema as;
  if (lp__wschema_to_arrow(&schema, &as, &err) != LP_OK) die("schema", &err);
  uint64_t v;
  struct ArrowArrayStream s = rows(0, 10);
  if (lp_db_create_table(db, "w", &as, &s, false, &o, &v, &err) != LP_OK) die("create", &err);
  result r;
  double lat[N_APPENDS], del[N_DELETES];
  for (int i = 0; i < N_APPENDS; i++) {
    s = rows(1000 + i, 1);
    double t0 = now_ms();
    if (lp_db_add(db, "w", &s, &o, &v, &err) != LP_OK) die("append", &err);
    lat[i] = now_ms() - t0;
  }
  qsort(lat, N_APPENDS, sizeof *lat, cmp_d);
  r.append1_ms = lat[N_APPENDS / 2];
  s = rows(1000000, n_rows);
  double t0 = now_ms();
  if (lp_db_add(db, "w", &s, &o, &v, &err) != LP_OK) die("big append", &err);
  r.append_rows_s = (now_ms() - t0) / 1000;
  for (int i = 0; i < N_DELETES; i++) {
    char pred[64];
    snprintf(pred, sizeof pred, "id = %d", 1000000 + i * 7);
    uint64_t n;
    t0 = now_ms();
    if (lp_db_delete(db, "w", pred, &o, &n, &v, &err) != LP_OK || n != 1) die("delete", &err);
    del[i] = now_ms() - t0;
  }
  qsort(del, N_DELETES, sizeof *del, cmp_d);
  r.delete1_ms = del[N_DELETES / 2];
  lp_write_options fast = o;
  fast.durable = false; /* the set-up of the compaction table is not measured */
  s = rows(0, 1);
  if (lp_db_create_table(db, "c", &as, &s, false, &fast, &v, &err) != LP_OK) die("create", &err);
  for (int i = 1; i < frags; i++) {
    s = rows(i, 1);
    if (lp_db_add(db, "c", &s, &fast, &v, &err) != LP_OK) die("append", &err);
  }
  uint64_t rewritten;
  t0 = now_ms();
  if (lp_db_compact(db, "c", &o, &v, &rewritten, &err) != LP_OK) die("compact", &err);
  r.compact_s = (now_ms() - t0) / 1000;
  if ((int)rewritten != frags) die("compaction rewrote an unexpected number of fragments", NULL);
  as.release(&as);
  lp_db_close(db);
  return r;
}

int main(void) {
  lp_error err = {0};
  if (lp__wschema_parse_spec("id:int64 not null, text:utf8, vec:vector(128)", &schema, &err) != LP_OK) die("spec", &err);
  const char *tmp = getenv("LP_BENCH_TMP") ? getenv("LP_BENCH_TMP") : "/tmp";
  int64_t n_rows = getenv("LP_BENCH_ROWS") ? atoll(getenv("LP_BENCH_ROWS")) : 100000;
  int frags = getenv("LP_BENCH_FRAGS") ? atoi(getenv("LP_BENCH_FRAGS")) : 1000;
  char src[4096], dir[4200], peer[4300], cmd[16384];
  if (getenv("LP_SOURCE_DIR")) {
    snprintf(src, sizeof src, "%s", getenv("LP_SOURCE_DIR"));
  } else {
    snprintf(src, sizeof src, "%s", __FILE__);
    char *slash = strrchr(src, '/');
    if (slash) *slash = 0;
    strncat(src, "/..", sizeof src - strlen(src) - 1);
  }
  snprintf(dir, sizeof dir, "%s/lp_write_bench_%d", tmp, (int)getpid());
  snprintf(peer, sizeof peer, "%s/bench/peers/write_peer.mjs", src);
  printf("write benchmark: %" PRId64 "-row append, %d-fragment compaction, 128-dim vectors\n", n_rows, frags);
  result d = run_lancepool(dir, true, n_rows, frags);
  result f = run_lancepool(dir, false, n_rows, frags);
  snprintf(cmd, sizeof cmd, "node '%s' '%s_ldb' %" PRId64 " %d %d %d", peer, dir, n_rows, N_APPENDS, N_DELETES, frags);
  FILE *p = popen(cmd, "r");
  result l;
  bool have_l = p && fscanf(p, "%lf %lf %lf %lf", &l.append1_ms, &l.append_rows_s, &l.delete1_ms, &l.compact_s) == 4;
  if (p) pclose(p);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s_ldb'", dir, dir);
  if (system(cmd) != 0) fprintf(stderr, "write_bench: could not remove %s\n", dir);
  printf("%-34s %14s %14s %14s %12s %12s\n", "", "lancepool", "lancepool", "LanceDB", "ratio", "ratio");
  printf("%-34s %14s %14s %14s %12s %12s\n", "", "(durable)", "(no fsync)", "0.31.0", "(durable)", "(no fsync)");
#define ROW(name, field, unit)                                                                                    \
  printf("%-34s %11.3f %-2s %11.3f %-2s %11.3f %-2s %11.2fx %11.2fx\n", name, d.field, unit, f.field, unit,         \
         have_l ? l.field : 0.0, unit, have_l ? l.field / d.field : 0.0, have_l ? l.field / f.field : 0.0)
  ROW("append 1 row (median latency)", append1_ms, "ms");
  ROW("append 100,000 rows (one call)", append_rows_s, "s");
  ROW("delete 1 row by id (median)", delete1_ms, "ms");
  ROW("compact 1,000 one-row fragments", compact_s, "s");
  printf("throughput of the large append: lancepool %.0f rows/s (durable), %.0f rows/s (no fsync)",
         (double)n_rows / d.append_rows_s, (double)n_rows / f.append_rows_s);
  if (have_l) printf(", LanceDB %.0f rows/s", (double)n_rows / l.append_rows_s);
  printf("\nratio = LanceDB time / lancepool time (above 1: lancepool is faster)%s\n",
         have_l ? "" : "; LanceDB peer did not run (is node and tests/interop/node set up?)");
  lp__wschema_reset(&schema);
  return 0;
}
