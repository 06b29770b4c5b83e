/* Bounded max-heap top-k (see topk.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/topk.h"

bool lp__topk_less(lp__topk_item a, lp__topk_item b) {
  bool an = isnan(a.dist), bn = isnan(b.dist);
  if (an || bn) {
    if (an != bn) return bn; /* numbers before NaN */
    return a.pos < b.pos;
  }
  if (a.dist != b.dist) return a.dist < b.dist;
  return a.pos < b.pos;
}

lp_status lp__topk_init(lp__topk *h, size_t k, lp_error *err) {
  memset(h, 0, sizeof *h);
  if (k == 0) return lp_error_set(err, LP_EINVAL, "top-k: k must be at least 1");
  if (k > SIZE_MAX / sizeof *h->heap) return lp_error_set(err, LP_EINVAL, "top-k: k = %zu is too large", k);
  h->heap = malloc(k * sizeof *h->heap);
  if (h->heap == NULL) return lp_error_set(err, LP_ENOMEM, "top-k: out of memory for k = %zu", k);
  h->k = k;
  return LP_OK;
}

void lp__topk_reset(lp__topk *h) {
  if (h == NULL) return;
  free(h->heap);
  memset(h, 0, sizeof *h);
}

void lp__topk_clear(lp__topk *h) { h->n = 0; }

static void sift_down(lp__topk_item *a, size_t n, size_t i) {
  lp__topk_item x = a[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && lp__topk_less(a[c], a[c + 1])) c++;
    if (!lp__topk_less(x, a[c])) break;
    a[i] = a[c];
    i = c;
  }
  a[i] = x;
}

static void sift_up(lp__topk_item *a, size_t i) {
  lp__topk_item x = a[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!lp__topk_less(a[p], x)) break;
    a[i] = a[p];
    i = p;
  }
  a[i] = x;
}

void lp__topk_push(lp__topk *h, float dist, uint64_t pos) {
  lp__topk_item it = {dist, pos};
  if (h->n < h->k) {
    h->heap[h->n] = it;
    sift_up(h->heap, h->n++);
    return;
  }
  if (!lp__topk_less(it, h->heap[0])) return; /* not better than the worst kept */
  h->heap[0] = it;
  sift_down(h->heap, h->n, 0);
}

void lp__topk_push_batch(lp__topk *h, const float *dists, size_t n, uint64_t first_pos, const uint8_t *sel) {
  size_t i = 0;
  /* Fill phase. */
  for (; i < n && h->n < h->k; i++)
    if (sel == NULL || (sel[i >> 3] >> (i & 7) & 1)) lp__topk_push(h, dists[i], first_pos + i);
  /* Steady phase: one comparison rejects anything worse than the current worst. Positions grow within
   * a batch, so a distance equal to the worst's loses unless its position is smaller. */
  float worst = h->n ? h->heap[0].dist : 0;
  bool worst_nan = h->n && isnan(worst);
  for (; i < n; i++) {
    float d = dists[i];
    if (!worst_nan && !(d <= worst)) continue; /* d > worst, or d is NaN */
    if (sel != NULL && !(sel[i >> 3] >> (i & 7) & 1)) continue;
    lp__topk_push(h, d, first_pos + i);
    worst = h->heap[0].dist;
    worst_nan = isnan(worst);
  }
}

void lp__topk_merge(lp__topk *into, const lp__topk *from) {
  for (size_t i = 0; i < from->n; i++) lp__topk_push(into, from->heap[i].dist, from->heap[i].pos);
}

size_t lp__topk_sorted(const lp__topk *h, lp__topk_item *out) {
  /* Heap-sort a copy: repeatedly move the worst to the end. */
  size_t n = h->n;
  memcpy(out, h->heap, n * sizeof *out);
  for (size_t end = n; end > 1; end--) {
    lp__topk_item t = out[0];
    out[0] = out[end - 1];
    out[end - 1] = t;
    sift_down(out, end - 1, 0);
  }
  return n;
}
