/* Deterministic store records for `lancepool bench`, generated exactly like bench/peers/store_peer.mjs
 * (same PRNG, words and formats), so a table built here and one built by official LanceDB hold the same
 * rows. */
#ifndef LP_CLI_BENCH_DATA_H
#define LP_CLI_BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

#define LP_BENCH_TEXT_BYTES 500
#define LP_BENCH_ID_BYTES 48
#define LP_BENCH_PATH_BYTES 48
#define LP_BENCH_META_BYTES 48
#define LP_BENCH_CREATED_BASE_US 1700000000000000LL
#define LP_BENCH_ADDED_BASE 1000000000u /* record numbers of rows added by the write workloads */

/* mulberry32: a small 32-bit PRNG, reproduced bit for bit in the Node peer. */
typedef struct {
  uint32_t state;
} lp_bench_rng;

void lp__bench_rng_seed(lp_bench_rng *r, uint32_t seed);
uint32_t lp__bench_rng_next(lp_bench_rng *r);

/* One record's owned text fields; the vector lives in caller storage of `dim` floats. */
typedef struct {
  char id[LP_BENCH_ID_BYTES];
  char path[LP_BENCH_PATH_BYTES];
  char text[LP_BENCH_TEXT_BYTES + 16];
  char metadata[LP_BENCH_META_BYTES];
  int64_t created_at_us;
} lp_bench_record;

/* Record number i: fills *rec and vector[0..dim). id_override (may be NULL) replaces the id. */
void lp__bench_record(uint32_t i, uint32_t dim, const char *id_override, lp_bench_record *rec, float *vector);

/* The id of initial record i ("rec-00000042"). buf holds LP_BENCH_ID_BYTES. */
void lp__bench_record_id(uint32_t i, char *buf);

/* Query vector number q. */
void lp__bench_query_vector(uint32_t q, uint32_t dim, float *vector);

/* The keywords of text query x: two of the records' words (mirrored in store_peer.mjs). */
void lp__bench_query_text(uint32_t x, char *buf, size_t cap);

#endif
