/* Wait-time histogram: log-linear buckets (16 per power of two), so any percentile is within about 6% of
 * the true value; the maximum is kept exactly. Caller holds the pool lock. */
#include <stdint.h>

#include "pool/pool_int.h"

#define SUB_BITS 4 /* log2(LP__HIST_SUB) */

static int bucket_of(uint64_t v) {
  if (v < LP__HIST_SUB) return (int)v;
  int top = 63 - __builtin_clzll(v); /* >= SUB_BITS */
  int sub = (int)((v >> (top - SUB_BITS)) & (LP__HIST_SUB - 1));
  return (top - SUB_BITS + 1) * LP__HIST_SUB + sub;
}

/* The largest value that falls in bucket b. */
static uint64_t bucket_high(int b) {
  if (b < LP__HIST_SUB) return (uint64_t)b;
  int top = b / LP__HIST_SUB + SUB_BITS - 1;
  uint64_t sub = (uint64_t)(b % LP__HIST_SUB);
  uint64_t low = ((uint64_t)LP__HIST_SUB + sub) << (top - SUB_BITS);
  return low + ((uint64_t)1 << (top - SUB_BITS)) - 1;
}

void lp__hist_record(lp__hist *h, uint64_t value) {
  h->buckets[bucket_of(value)]++;
  h->count++;
  if (value > h->max) h->max = value;
}

/* The value at quantile q (0..1): the upper edge of the bucket holding that rank, never above the max. */
uint64_t lp__hist_percentile(const lp__hist *h, double q) {
  if (h->count == 0) return 0;
  uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
  if (rank < 1) rank = 1;
  if (rank > h->count) rank = h->count;
  uint64_t seen = 0;
  for (int b = 0; b < LP__HIST_BUCKETS; b++) {
    seen += h->buckets[b];
    if (seen >= rank) {
      uint64_t v = bucket_high(b);
      return v < h->max ? v : h->max;
    }
  }
  return h->max;
}
