/* The three ways `lancepool bench` reaches the store table, and the workload operations. */
#ifndef LP_CLI_BENCH_MODES_H
#define LP_CLI_BENCH_MODES_H

#include <pthread.h>
#include <stdatomic.h>

#include "cli/bench_run.h"
#include "lancepool/lance.h"
#include "lancepool/store.h"

typedef enum { LP_BENCH_PER_OP, LP_BENCH_PERSISTENT, LP_BENCH_POOLED } lp_bench_mode;

typedef struct {
  lp_bench_mode mode;
  const char *dir, *table;
  uint32_t dim, records;
  const char *workload;
  lp_store *store;           /* POOLED; PERSISTENT: a store of one connection for all threads... */
  pthread_mutex_t *db_mu;    /* ...serialised by this mutex */
  lp_write_options wopts;    /* PER_OP writes (durability as the stores') */
  atomic_uint *add_seq;      /* unique numbers for added records (whole run) */
  atomic_uint *delete_next;  /* next initial record to delete, counting down (whole run) */
  char tag[32];              /* makes added ids unique per measurement */
} lp_bench_ctx;

/* The operation of ctx->workload (an lp_bench_op). */
lp_status lp__bench_op(void *ctx, unsigned worker, lp_bench_rng *rng, lp_error *err);

#endif
