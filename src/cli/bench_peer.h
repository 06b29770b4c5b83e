/* The official-LanceDB peer of `lancepool bench`: runs bench/peers/store_peer.mjs with Node and reads its
 * CSV rows. */
#ifndef LP_CLI_BENCH_PEER_H
#define LP_CLI_BENCH_PEER_H

#include <stddef.h>

#include "cli/bench_run.h"

typedef struct {
  const char *db_dir;    /* database directory for the peer's own table */
  const char *table;
  unsigned records, dim;
  const unsigned *threads;
  size_t n_threads;
  double seconds;
  const char *workloads; /* comma list */
  const char *log_path;  /* the peer's stderr (LanceDB's own log lines) goes to this file, truncated first */
} lp_bench_peer_args;

/* Where the source tree is: $LP_SOURCE_DIR, else the directory this binary was built from. */
const char *lp__bench_source_dir(void);

/* Run the peer; append its rows to *results (realloc'd; *n_results grows). LP_ENOTFOUND with a clear
 * message when Node, the script or the pinned node_modules are missing; LP_EIO when the peer fails (the
 * last lines of its log are then copied to stderr). */
LP_MUST_CHECK lp_status lp__bench_peer_run(const lp_bench_peer_args *a, lp_bench_result **results,
                                           size_t *n_results, lp_error *err);

/* Build LanceDB's full-text index on the text column of table `table` in db_dir with LanceDB itself
 * (lancepool builds none): the fts and hybrid workloads need one. Errors as lp__bench_peer_run. */
LP_MUST_CHECK lp_status lp__bench_peer_fts_index(const char *db_dir, const char *table, const char *log_path,
                                                 lp_error *err);

#endif
