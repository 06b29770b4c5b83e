/* Top-k selection for exact nearest-neighbour search: keeps the k smallest (distance, row position)
 * pairs seen. Order: distance ascending, ties broken by position ascending (the smaller position wins);
 * NaN distances sort after every number (and among themselves by position), so they are kept only
 * while fewer than k numbers were seen — LanceDB drops NaN results, so callers filter them out before
 * or after. -0.0 and +0.0 are equal. A bounded max-heap: pushing costs O(1) when the candidate is not
 * better than the current worst (the common case) and O(log k) otherwise; nothing is allocated after
 * init. One lp__topk per thread; merge the per-thread heaps at the end. Internal. */
#ifndef LP_QUERY_TOPK_H
#define LP_QUERY_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__topk_item {
  float dist;
  uint64_t pos; /* row position (or row address) */
} lp__topk_item;

typedef struct lp__topk {
  lp__topk_item *heap; /* max-heap on (dist, pos); heap[0] is the current worst (owned) */
  size_t k;            /* capacity */
  size_t n;            /* items held, <= k */
} lp__topk;

/* Prepare h to keep k >= 1 items. Free with lp__topk_reset. */
LP_MUST_CHECK lp_status lp__topk_init(lp__topk *h, size_t k, lp_error *err);
void lp__topk_reset(lp__topk *h);
/* Forget the items, keep the capacity. */
void lp__topk_clear(lp__topk *h);

/* Offer one candidate. */
void lp__topk_push(lp__topk *h, float dist, uint64_t pos);

/* Offer n candidates dists[i] at positions first_pos + i (one batch of computed distances). Rows whose
 * bit is 0 in sel (an Arrow-order bitmap, may be NULL for all rows) are skipped. */
void lp__topk_push_batch(lp__topk *h, const float *dists, size_t n, uint64_t first_pos, const uint8_t *sel);

/* Offer every item of from (e.g. another thread's heap) to into. from is unchanged. */
void lp__topk_merge(lp__topk *into, const lp__topk *from);

/* Write the items sorted ascending by (dist, pos) to out (room for h->n items); returns the count.
 * h is unchanged. */
size_t lp__topk_sorted(const lp__topk *h, lp__topk_item *out);

/* The total order used: true when a sorts strictly before b. */
bool lp__topk_less(lp__topk_item a, lp__topk_item b);

#endif
