/* Workload operations in the three modes. per-op opens a connection with no session (nothing cached) for
 * every operation and closes it after; persistent is a store of one connection (opened once, with its
 * session) that every thread shares under a mutex; pooled calls the store, which borrows one of its
 * pooled connections. */
#include "cli/bench_modes.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "store/store_conn.h"

typedef struct {
  lp_bench_record rec[100];
  float vec[100 * 1024];
} add_buf;

static lp_status do_search(lp_bench_ctx *c, lp_db *db, lp_bench_rng *rng, lp_error *err) {
  float q[4096];
  lp__bench_query_vector(lp__bench_rng_next(rng), c->dim, q);
  lp_store_rows rows = {0};
  lp_status rc = db ? lp__store_conn_search(db, c->table, q, c->dim, 10, NULL, LP_METRIC_L2, &rows, err)
                    : lp_store_search(c->store, q, c->dim, 10, NULL, LP_METRIC_L2, &rows, err);
  if (rc == LP_OK && rows.n == 0) rc = lp_error_set(err, LP_EIO, "bench search: no rows returned");
  lp_store_rows_reset(&rows);
  return rc;
}

/* A top-10 BM25 (or hybrid: BM25 + L2, fused by RRF) search for two of the records' words. */
static lp_status do_text(lp_bench_ctx *c, lp_db *db, lp_bench_rng *rng, bool hybrid, lp_error *err) {
  float q[4096];
  char words[64];
  lp_store_query sq;
  lp_store_query_init(&sq);
  sq.mode = hybrid ? LP_STORE_SEARCH_HYBRID : LP_STORE_SEARCH_TEXT;
  if (hybrid) {
    lp__bench_query_vector(lp__bench_rng_next(rng), c->dim, q);
    sq.vector = q;
    sq.dim = c->dim;
  }
  lp__bench_query_text(lp__bench_rng_next(rng), words, sizeof words);
  sq.text = words;
  sq.k = 10;
  lp_store_rows rows = {0};
  lp_status rc = db ? lp__store_conn_query(db, c->table, NULL, &sq, &rows, err) : lp_store_query_run(c->store, &sq, &rows, err);
  if (rc == LP_OK && rows.n == 0) rc = lp_error_set(err, LP_EIO, "bench %s: no rows returned for '%s'", hybrid ? "hybrid" : "fts", words);
  lp_store_rows_reset(&rows);
  return rc;
}

static lp_status do_get(lp_bench_ctx *c, lp_db *db, lp_bench_rng *rng, lp_error *err) {
  char id[LP_BENCH_ID_BYTES];
  lp__bench_record_id(lp__bench_rng_next(rng) % (c->records / 2 ? c->records / 2 : 1), id);
  const char *ids[1] = {id};
  lp_store_rows rows = {0};
  lp_status rc = db ? lp__store_conn_get(db, c->table, ids, 1, &rows, err) : lp_store_get(c->store, ids, 1, &rows, err);
  lp_store_rows_reset(&rows);
  return rc;
}

static lp_status do_add(lp_bench_ctx *c, lp_db *db, size_t n, lp_error *err) {
  if (c->dim > 1024) return lp_error_set(err, LP_EINVAL, "bench: --dim above 1024 is not supported for adds");
  add_buf *b = malloc(sizeof *b);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "bench: out of memory");
  lp_store_record recs[100];
  for (size_t k = 0; k < n; k++) {
    unsigned seq = atomic_fetch_add(c->add_seq, 1);
    char id[LP_BENCH_ID_BYTES];
    snprintf(id, sizeof id, "add-%s-%u", c->tag, seq);
    lp__bench_record(LP_BENCH_ADDED_BASE + seq, c->dim, id, &b->rec[k], b->vec + k * c->dim);
    recs[k] = (lp_store_record){b->rec[k].id, b->rec[k].path, b->rec[k].text, b->vec + k * c->dim, c->dim,
                                b->rec[k].metadata, b->rec[k].created_at_us, NULL, 0};
  }
  lp_status rc = db ? lp__store_conn_add(db, c->table, NULL, recs, n, &c->wopts, NULL, err) : lp_store_add(c->store, recs, n, err);
  free(b);
  return rc;
}

static lp_status do_delete(lp_bench_ctx *c, lp_db *db, lp_error *err) {
  unsigned i = atomic_fetch_sub(c->delete_next, 1);
  if (i < c->records / 2 || i > c->records)
    return lp_error_set(err, LP_ENOTFOUND, "bench delete: ran out of rows to delete (raise --records)");
  char id[LP_BENCH_ID_BYTES];
  lp__bench_record_id(i, id);
  const char *ids[1] = {id};
  uint64_t n = 0;
  lp_status rc = db ? lp__store_conn_delete_ids(db, c->table, "id", ids, 1, &c->wopts, &n, err)
                    : lp_store_delete_ids(c->store, ids, 1, &n, err);
  if (rc == LP_OK && n != 1) rc = lp_error_set(err, LP_EIO, "bench delete: id %s was not deleted (%llu rows)", id,
                                               (unsigned long long)n);
  return rc;
}

static lp_status run(lp_bench_ctx *c, lp_db *db, lp_bench_rng *rng, lp_error *err) {
  const char *w = c->workload;
  if (w[0] == 's') return do_search(c, db, rng, err);
  if (w[0] == 'f') return do_text(c, db, rng, false, err);
  if (w[0] == 'h') return do_text(c, db, rng, true, err);
  if (w[0] == 'g') return do_get(c, db, rng, err);
  if (w[0] == 'a') return do_add(c, db, w[3] == '1' && w[4] == '0' ? 100 : 1, err);
  if (w[0] == 'd') return do_delete(c, db, err);
  unsigned x = lp__bench_rng_next(rng) % 100;
  if (x < 45) return do_search(c, db, rng, err);
  if (x < 90) return do_get(c, db, rng, err);
  return do_add(c, db, 1, err);
}

lp_status lp__bench_op(void *ctx, unsigned worker, lp_bench_rng *rng, lp_error *err) {
  (void)worker;
  lp_bench_ctx *c = ctx;
  if (c->mode == LP_BENCH_POOLED) return run(c, NULL, rng, err);
  if (c->mode == LP_BENCH_PERSISTENT) { /* a store of one connection, one caller at a time */
    pthread_mutex_lock(c->db_mu);
    lp_status rc = run(c, NULL, rng, err);
    pthread_mutex_unlock(c->db_mu);
    return rc;
  }
  lp_db *db = NULL;
  LP_TRY(lp__cli_db_open(c->dir, &db, err));
  lp_status rc = run(c, db, rng, err);
  lp_db_close(db);
  return rc;
}
