/* Runs the Node peer as a child process (no shell: arguments go straight to execvp) and parses the CSV
 * it prints, one measurement per line. */
#include "cli/bench_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef LP_SOURCE_DIR
#define LP_SOURCE_DIR "."
#endif

const char *lp__bench_source_dir(void) {
  const char *env = getenv("LP_SOURCE_DIR");
  return env != NULL && env[0] != '\0' ? env : LP_SOURCE_DIR;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Is `node` on PATH and runnable? */
static bool have_node(void) {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execlp("node", "node", "--version", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Copy the last LOG_TAIL_BYTES of the peer's log to stderr (its error message is at the end). */
#define LOG_TAIL_BYTES 4096
static void print_log_tail(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  if (fseek(f, 0, SEEK_END) == 0) {
    long size = ftell(f);
    if (size > LOG_TAIL_BYTES) fseek(f, size - LOG_TAIL_BYTES, SEEK_SET);
    else rewind(f);
  }
  char buf[LOG_TAIL_BYTES];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  fwrite(buf, 1, n, stderr);
}

static lp_status append(lp_bench_result **results, size_t *n, const lp_bench_result *r, lp_error *err) {
  lp_bench_result *grown = realloc(*results, (*n + 1) * sizeof *grown);
  if (grown == NULL) return lp_error_set(err, LP_ENOMEM, "bench peer: out of memory");
  grown[(*n)++] = *r;
  *results = grown;
  return LP_OK;
}

/* One CSV row "workload,mode,threads,ops,p50,p99". */
static lp_status parse_row(const char *line, lp_bench_result *r, lp_error *err) {
  memset(r, 0, sizeof *r);
  char w[sizeof r->workload], m[sizeof r->mode];
  if (sscanf(line, "%15[^,],%23[^,],%u,%lf,%lf,%lf", w, m, &r->threads, &r->ops_per_sec, &r->p50_us,
             &r->p99_us) != 6)
    return lp_error_set(err, LP_EIO, "bench peer: expected a CSV row of 6 fields, found '%.80s'", line);
  snprintf(r->workload, sizeof r->workload, "%s", w);
  snprintf(r->mode, sizeof r->mode, "%s", m);
  return LP_OK;
}

/* The CLI's storage options for the peer's LanceDB, as "KEY=VALUE" lines in LP_STORAGE_OPTIONS; lancepool's
 * own keys (the disk cache) are left out. Runs in the child before exec. */
static void set_storage_options_env(void) {
  size_t n = 0;
  const lp_storage_option *o = lp__cli_storage_options(&n);
  char buf[8192];
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (strncmp(o[i].key, "cache_", 6) == 0) continue;
    int k = snprintf(buf + used, sizeof buf - used, "%s=%s\n", o[i].key, o[i].value);
    if (k < 0 || (size_t)k >= sizeof buf - used) break;
    used += (size_t)k;
  }
  setenv("LP_STORAGE_OPTIONS", buf, 1);
}

/* The peer script and the node_modules directory it needs, checked. */
static lp_status find_peer(char *script, size_t script_cap, char *node_dir, size_t node_cap, lp_error *err) {
  char modules[4200];
  const char *src = lp__bench_source_dir();
  snprintf(script, script_cap, "%s/bench/peers/store_peer.mjs", src);
  const char *nd = getenv("LP_NODE_DIR");
  snprintf(node_dir, node_cap, "%s", nd != NULL && nd[0] ? nd : "");
  if (node_dir[0] == '\0') snprintf(node_dir, node_cap, "%s/tests/interop/node", src);
  snprintf(modules, sizeof modules, "%s/node_modules/@lancedb/lancedb", node_dir);
  if (!exists(script))
    return lp_error_set(err, LP_ENOTFOUND, "bench peer: %s not found (set LP_SOURCE_DIR to the source tree)", script);
  if (!exists(modules))
    return lp_error_set(err, LP_ENOTFOUND, "bench peer: %s not found (run `npm ci` in %s, or pass --no-peers)",
                        modules, node_dir);
  if (!have_node())
    return lp_error_set(err, LP_ENOTFOUND, "bench peer: Node.js (`node`) is not on PATH; install nodejs or pass --no-peers");
  return LP_OK;
}

/* Start `node argv...` with stdout into a pipe (*out_fd) and stderr into log_path (truncated first). */
static lp_status spawn_node(char *const *argv, const char *node_dir, const char *log_path, pid_t *out_pid,
                            int *out_fd, lp_error *err) {
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "bench peer: cannot create its log %s", log_path);
  int fds[2];
  if (pipe(fds) != 0) {
    close(log_fd);
    return lp_error_set_errno(err, LP_EIO, errno, "bench peer: pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    close(log_fd);
    return lp_error_set_errno(err, LP_EIO, errno, "bench peer: fork");
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    setenv("LP_NODE_DIR", node_dir, 1);
    set_storage_options_env();
    setenv("RUST_LOG", "error", 0);
    execvp("node", argv);
    _exit(127);
  }
  close(fds[1]);
  close(log_fd);
  *out_pid = pid;
  *out_fd = fds[0];
  return LP_OK;
}

/* Wait for the peer; on failure print the end of its log and say so. */
static lp_status wait_node(pid_t pid, const char *script, const char *log_path, lp_status rc, lp_error *err) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (rc == LP_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    print_log_tail(log_path);
    rc = lp_error_set(err, LP_EIO, "bench peer: %s failed (exit status %d); the end of its log %s is above",
                      script, WIFEXITED(status) ? WEXITSTATUS(status) : -1, log_path);
  }
  return rc;
}

lp_status lp__bench_peer_fts_index(const char *db_dir, const char *table, const char *log_path, lp_error *err) {
  char script[4096], node_dir[4096];
  LP_TRY(find_peer(script, sizeof script, node_dir, sizeof node_dir, err));
  char *argv[] = {"node", script, "--db", (char *)db_dir, "--table", (char *)table, "--create-fts-index", NULL};
  pid_t pid = 0;
  int fd = -1;
  LP_TRY(spawn_node(argv, node_dir, log_path, &pid, &fd, err));
  char buf[256];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  return wait_node(pid, script, log_path, LP_OK, err);
}

lp_status lp__bench_peer_run(const lp_bench_peer_args *a, lp_bench_result **results, size_t *n_results,
                             lp_error *err) {
  char script[4096], node_dir[4096];
  LP_TRY(find_peer(script, sizeof script, node_dir, sizeof node_dir, err));
  char records[32], dim[32], seconds[32], threads[256] = "";
  snprintf(records, sizeof records, "%u", a->records);
  snprintf(dim, sizeof dim, "%u", a->dim);
  snprintf(seconds, sizeof seconds, "%g", a->seconds);
  for (size_t i = 0; i < a->n_threads; i++)
    snprintf(threads + strlen(threads), sizeof threads - strlen(threads), "%s%u", i ? "," : "", a->threads[i]);
  char *argv[] = {"node", script, "--db", (char *)a->db_dir, "--table", (char *)a->table, "--records", records,
                  "--dim", dim, "--threads", threads, "--seconds", seconds, "--workloads", (char *)a->workloads,
                  NULL};
  pid_t pid = 0;
  int fd = -1;
  LP_TRY(spawn_node(argv, node_dir, a->log_path, &pid, &fd, err));
  FILE *in = fdopen(fd, "r");
  lp_status rc = LP_OK;
  char line[512];
  while (in != NULL && fgets(line, sizeof line, in) != NULL) {
    if (rc != LP_OK || line[0] == '\n' || strncmp(line, "workload,", 9) == 0) continue;
    lp_bench_result r;
    rc = parse_row(line, &r, err);
    if (rc == LP_OK) rc = append(results, n_results, &r, err);
  }
  if (in != NULL)
    fclose(in);
  else
    close(fd);
  return wait_node(pid, script, a->log_path, rc, err);
}
