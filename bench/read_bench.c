/* Read benchmark: lancepool's engine (C API) against official LanceDB 0.31.0 (Node.js) on the same files in
 * the same run. Official LanceDB builds a 100,000-row table (id int64, text ~500 bytes, 384-dim float32
 * vector) in a temp dir; then each side, warm (table opened once, best of REPEATS):
 *   - full scan of every column (lp_table_scan drained / query().toArrow()),
 *   - one take of 1,000 random row positions (lp_table_take / takeOffsets),
 *   - 1,000 single-row takes at those positions (LanceDB: timed on 200 and scaled, each is an async call).
 * Positions are distinct (takeOffsets returns a repeated offset once).
 * Environment: LP_SOURCE_DIR (repo root; default from this file's path), LP_BENCH_TMP (scratch parent dir,
 * default /tmp), LP_BENCH_ROWS (default 100000), LP_BENCH_KEEP=1 keeps the table, LP_BENCH_STORAGE the
 * table's data storage version (read by the peer that builds it: "2.0", "2.2", "next"; default 2.1). */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lancepool/lance.h"

#define N_TAKES 1000
#define REPEATS 3

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const lp_error *err) {
  fprintf(stderr, "read_bench: %s: %s\n", what, err ? err->message : strerror(errno));
  exit(1);
}

/* Run argv; when out is not NULL, capture up to cap-1 bytes of its stdout. Exits on failure. */
static void run(char *const argv[], char *out, size_t cap) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe", NULL);
  pid_t pid = fork();
  if (pid < 0) die("fork", NULL);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv);
    fprintf(stderr, "read_bench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  size_t len = 0;
  char sink[4096];
  for (;;) {
    char *dst = out && len + 1 < cap ? out + len : sink;
    size_t room = out && len + 1 < cap ? cap - 1 - len : sizeof sink;
    ssize_t n = read(fds[0], dst, room);
    if (n <= 0) break;
    if (dst != sink) len += (size_t)n;
  }
  close(fds[0]);
  if (out) out[len] = '\0';
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "read_bench: %s %s failed\n", argv[0], argv[1]);
    exit(1);
  }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t next_random(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

/* Drain a full scan; returns the number of rows seen. */
static uint64_t scan_all(lp_table *t) {
  lp_error err = {0};
  struct ArrowArrayStream stream = {0};
  if (lp_table_scan(t, NULL, &stream, &err) != LP_OK) die("scan", &err);
  uint64_t rows = 0;
  for (;;) {
    struct ArrowArray batch = {0};
    if (stream.get_next(&stream, &batch) != 0) {
      fprintf(stderr, "read_bench: scan: %s\n", stream.get_last_error(&stream));
      exit(1);
    }
    if (batch.release == NULL) break;
    rows += (uint64_t)batch.length;
    batch.release(&batch);
  }
  stream.release(&stream);
  return rows;
}

static void take(lp_table *t, const uint64_t *positions, size_t n) {
  lp_error err = {0};
  struct ArrowArray array = {0};
  struct ArrowSchema schema = {0};
  if (lp_table_take(t, positions, n, NULL, 0, &array, &schema, &err) != LP_OK) die("take", &err);
  if (array.length != (int64_t)n) {
    fprintf(stderr, "read_bench: take returned %" PRId64 " rows, expected %zu\n", array.length, n);
    exit(1);
  }
  array.release(&array);
  schema.release(&schema);
}

static void row(const char *what, double ours, double theirs) {
  printf("%-28s %12.2f ms %14.2f ms %10.2fx\n", what, ours, theirs, theirs / ours);
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  char src_buf[2048];
  if (src == NULL) { /* this file is <root>/bench/read_bench.c */
    snprintf(src_buf, sizeof src_buf, "%s", __FILE__);
    char *cut = strstr(src_buf, "/bench/read_bench.c");
    if (cut == NULL) {
      fprintf(stderr, "read_bench: set LP_SOURCE_DIR to the repository root\n");
      return 1;
    }
    *cut = '\0';
    src = src_buf;
  }
  const char *tmp = getenv("LP_BENCH_TMP") ? getenv("LP_BENCH_TMP") : "/tmp";
  long rows = getenv("LP_BENCH_ROWS") ? atol(getenv("LP_BENCH_ROWS")) : 100000;
  if (rows < N_TAKES) rows = N_TAKES;
  char dir[2048], peer[2100], pos_file[2100], rows_text[32];
  snprintf(dir, sizeof dir, "%s/lp_read_bench.XXXXXX", tmp);
  if (mkdtemp(dir) == NULL) die("mkdtemp", NULL);
  snprintf(peer, sizeof peer, "%s/bench/peers/read_peer.mjs", src);
  snprintf(pos_file, sizeof pos_file, "%s/positions.txt", dir);
  snprintf(rows_text, sizeof rows_text, "%ld", rows);

  double t0 = now_ms();
  run((char *const[]){"node", peer, "build", dir, rows_text, NULL}, NULL, 0);
  printf("read bench: %ld rows (id int64, text ~500 B, vector 384 x float32) written by LanceDB in %.1f s\n", rows,
         (now_ms() - t0) / 1e3);

  uint64_t positions[N_TAKES];
  FILE *f = fopen(pos_file, "w");
  if (f == NULL) die(pos_file, NULL);
  for (size_t i = 0; i < N_TAKES; i++) { /* distinct: LanceDB's takeOffsets drops repeats */
    bool repeat;
    do {
      positions[i] = next_random() % (uint64_t)rows;
      repeat = false;
      for (size_t k = 0; k < i; k++) repeat = repeat || positions[k] == positions[i];
    } while (repeat);
    fprintf(f, "%" PRIu64 "\n", positions[i]);
  }
  if (fclose(f) != 0) die(pos_file, NULL);

  /* lancepool: one session, table opened once (warm after the first round) */
  lp_error err = {0};
  lp_session *session = NULL;
  lp_db *db = NULL;
  lp_table *t = NULL;
  if (lp_session_create(NULL, &session, &err) != LP_OK) die("session", &err);
  if (lp_db_open(dir, session, &db, &err) != LP_OK) die("open db", &err);
  if (lp_table_open(db, "bench", LP_VERSION_LATEST, &t, &err) != LP_OK) die("open table", &err);
  double scan = 1e300, batch = 1e300, single = 1e300;
  for (int r = 0; r < REPEATS; r++) {
    double a = now_ms();
    uint64_t seen = scan_all(t);
    double b = now_ms();
    if (seen != (uint64_t)rows) {
      fprintf(stderr, "read_bench: scan returned %" PRIu64 " rows, expected %ld\n", seen, rows);
      return 1;
    }
    take(t, positions, N_TAKES);
    double c = now_ms();
    for (size_t i = 0; i < N_TAKES; i++) take(t, &positions[i], 1);
    double d = now_ms();
    if (b - a < scan) scan = b - a;
    if (c - b < batch) batch = c - b;
    if (d - c < single) single = d - c;
  }
  lp_table_close(t);
  lp_db_close(db);
  /* connections: a new connection opening the latest version on the warm session (a directory listing and
   * a stat, nothing decoded) and taking one row; the same without a session (everything decoded) */
  lp_session_stats st0, st1;
  lp_session_stats_get(session, &st0);
  double warm_open = 1e300, cold_open = 1e300;
  for (int r = 0; r < REPEATS; r++) {
    for (int mode = 0; mode < 2; mode++) {
      double a = now_ms();
      for (size_t i = 0; i < 200; i++) {
        if (lp_db_open(dir, mode == 0 ? session : NULL, &db, &err) != LP_OK) die("open db", &err);
        if (lp_table_open(db, "bench", LP_VERSION_LATEST, &t, &err) != LP_OK) die("open table", &err);
        take(t, &positions[i], 1);
        lp_table_close(t);
        lp_db_close(db);
      }
      double per = (now_ms() - a) / 200;
      if (mode == 0 && per < warm_open) warm_open = per;
      if (mode == 1 && per < cold_open) cold_open = per;
    }
  }
  lp_session_stats_get(session, &st1);
  lp_session_unref(session);

  char peer_out[256];
  char repeats[8];
  snprintf(repeats, sizeof repeats, "%d", REPEATS);
  run((char *const[]){"node", peer, "run", dir, pos_file, repeats, NULL}, peer_out, sizeof peer_out);
  double l_scan, l_batch, l_single;
  long l_rows;
  if (sscanf(peer_out, "%lf %lf %lf %ld", &l_scan, &l_batch, &l_single, &l_rows) != 4 || l_rows != rows) {
    fprintf(stderr, "read_bench: unexpected peer output: %s\n", peer_out);
    return 1;
  }
  printf("best of %d, warm; same files, same positions\n", REPEATS);
  printf("%-28s %15s %17s %11s\n", "", "lancepool", "LanceDB 0.31.0", "ratio");
  row("full scan (all columns)", scan, l_scan);
  row("take 1000 rows (one call)", batch, l_batch);
  row("1000 single-row takes", single, l_single);
  printf("(ratio = LanceDB time / lancepool time; above 1 means lancepool is faster)\n");
  printf("lancepool, new connection + open latest + take 1 row: %.1f us on a warm session (%" PRIu64
         " new cache misses), %.1f us without a session\n",
         warm_open * 1e3, st1.misses - st0.misses, cold_open * 1e3);

  if (getenv("LP_BENCH_KEEP") == NULL) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  else printf("table kept in %s\n", dir);
  return 0;
}
