/* Deterministic store records, mirrored in bench/peers/store_peer.mjs: change both or neither. */
#include "cli/bench_data.h"

#include <stdio.h>
#include <string.h>

static const char *const words[16] = {"lance",  "pool",   "vector",    "memory",   "store",   "query",
                                      "table",  "column", "search",    "index",    "record",  "chunk",
                                      "embedding", "fragment", "version", "commit"};

void lp__bench_rng_seed(lp_bench_rng *r, uint32_t seed) { r->state = seed; }

uint32_t lp__bench_rng_next(lp_bench_rng *r) {
  r->state += 0x6d2b79f5u;
  uint32_t t = r->state;
  t = (t ^ (t >> 15)) * (1u | t);
  t = (t + (t ^ (t >> 7)) * (61u | t)) ^ t;
  return t ^ (t >> 14);
}

static void fill_vector(lp_bench_rng *r, uint32_t dim, float *v) {
  /* (x >> 8) / 2^23 - 1 is exact in float32: every value in [-1, 1) on a 2^-23 grid. */
  for (uint32_t d = 0; d < dim; d++) v[d] = (float)((double)(lp__bench_rng_next(r) >> 8) / 8388608.0 - 1.0);
}

void lp__bench_record_id(uint32_t i, char *buf) { snprintf(buf, LP_BENCH_ID_BYTES, "rec-%08u", i); }

void lp__bench_record(uint32_t i, uint32_t dim, const char *id_override, lp_bench_record *rec, float *vector) {
  lp_bench_rng r;
  lp__bench_rng_seed(&r, (i * 0x9e3779b9u) ^ 0x5eed1234u);
  fill_vector(&r, dim, vector);
  size_t len = 0;
  rec->text[0] = '\0';
  while (len < LP_BENCH_TEXT_BYTES) {
    const char *w = words[lp__bench_rng_next(&r) & 15];
    if (len > 0) rec->text[len++] = ' ';
    size_t wl = strlen(w);
    memcpy(rec->text + len, w, wl);
    len += wl;
    rec->text[len] = '\0';
  }
  if (id_override != NULL)
    snprintf(rec->id, sizeof rec->id, "%s", id_override);
  else
    lp__bench_record_id(i, rec->id);
  snprintf(rec->path, sizeof rec->path, "/corpus/d%03u/f%u.txt", i % 100, i);
  snprintf(rec->metadata, sizeof rec->metadata, "{\"i\":%u,\"group\":\"g%u\"}", i, i % 10);
  rec->created_at_us = LP_BENCH_CREATED_BASE_US + (int64_t)i * 1000000;
}

void lp__bench_query_vector(uint32_t q, uint32_t dim, float *vector) {
  lp_bench_rng r;
  lp__bench_rng_seed(&r, 0xc0ffeeu ^ (q * 0x85ebca6bu));
  fill_vector(&r, dim, vector);
}

void lp__bench_query_text(uint32_t x, char *buf, size_t cap) {
  snprintf(buf, cap, "%s %s", words[x & 15], words[(x >> 4) & 15]);
}
