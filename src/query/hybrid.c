/* Hybrid search (lp_table_hybrid_search in lance.h), fused as LanceDB's hybrid query fuses:
 * - both legs run the same query base: k results each, the same pre-filter;
 * - the candidates are the vector leg's rows in rank order, then the text leg's rows the vector leg did
 *   not return, in rank order (LanceDB's merge of the two result sets);
 * - RRF (LanceDB's default reranker): a row scores 1 / (60 + i) for each leg that returned it at rank i
 *   (0-based), summed in float32; with alpha set, alpha / (60 + i_vector) + (1 - alpha) / (60 + i_text)
 *   (weighted RRF, not a LanceDB reranker);
 * - LINEAR: each leg's scores are min-max normalised as LanceDB normalises them (a range below 1e-4 is
 *   replaced by the maximum), the distance turned into a similarity 1 - d, a missing leg counting 0;
 *   the score is alpha * vector + (1 - alpha) * text with alpha 0.7 by default (the weight of LanceDB's
 *   Python LinearCombinationReranker; its Node binding has no linear reranker to compare against);
 * - sorted by the fused score, descending; equal scores keep the candidate order; the first k kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/search_int.h"

#define RRF_K 60.0f

void lp_hybrid_search_options_init(lp_hybrid_search_options *o) {
  memset(o, 0, sizeof *o);
  lp_search_options_init(&o->vector);
  lp_text_search_options_init(&o->text);
  o->k = 10;
  o->rerank = LP_RERANK_RRF;
  o->alpha = NAN;
}

typedef struct cand {
  uint64_t pos;
  int64_t rank_vec, rank_text; /* -1 = not returned by that leg */
  float dist, score;           /* the legs' raw values */
  float fused;
  size_t order;                /* candidate order, for ties */
} cand;

static lp_status merge(const lp__topk_item *vh, size_t nv, const lp__topk_item *th, size_t nt, cand **out,
                       size_t *out_n, lp_error *err) {
  cand *c = calloc(nv + nt + 1, sizeof *c);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "hybrid search: out of memory");
  size_t n = 0;
  for (size_t i = 0; i < nv; i++) {
    c[n] = (cand){vh[i].pos, (int64_t)i, -1, vh[i].dist, 0, 0, n};
    n++;
  }
  for (size_t j = 0; j < nt; j++) {
    size_t i = 0;
    while (i < nv && c[i].pos != th[j].pos) i++;
    if (i < nv) {
      c[i].rank_text = (int64_t)j;
      c[i].score = th[j].dist;
    } else {
      c[n] = (cand){th[j].pos, -1, (int64_t)j, 0, th[j].dist, 0, n};
      n++;
    }
  }
  *out = c;
  *out_n = n;
  return LP_OK;
}

static void fuse_rrf(cand *c, size_t n, double alpha) {
  bool weighted = !isnan(alpha);
  float wv = weighted ? (float)alpha : 1.0f, wt = weighted ? (float)(1.0 - alpha) : 1.0f;
  for (size_t i = 0; i < n; i++) {
    float s = 0;
    if (c[i].rank_vec >= 0) s += wv / ((float)c[i].rank_vec + RRF_K);
    if (c[i].rank_text >= 0) s += wt / ((float)c[i].rank_text + RRF_K);
    c[i].fused = s;
  }
}

/* LanceDB's min-max normalisation of one leg's values: (x - min) / range, range = max when max - min is
 * below 1e-4 (and nothing changes when that is 0). */
static void minmax(const float *v, size_t n, float *lo, float *range) {
  float mx = -INFINITY, mn = INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (v[i] > mx) mx = v[i];
    if (v[i] < mn) mn = v[i];
  }
  *lo = mn;
  *range = mx - mn < 10e-5f ? mx : mx - mn;
}

static float normalised(float x, float lo, float range) { return range != 0.0f ? (x - lo) / range : x; }

static lp_status fuse_linear(cand *c, size_t n, const lp__topk_item *vh, size_t nv, const lp__topk_item *th, size_t nt,
                             double alpha, lp_error *err) {
  float *tmp = malloc((nv + nt + 1) * sizeof *tmp);
  if (tmp == NULL) return lp_error_set(err, LP_ENOMEM, "hybrid search: out of memory");
  float vlo, vrange, tlo, trange;
  for (size_t i = 0; i < nv; i++) tmp[i] = vh[i].dist;
  minmax(tmp, nv, &vlo, &vrange);
  for (size_t i = 0; i < nt; i++) tmp[i] = th[i].dist;
  minmax(tmp, nt, &tlo, &trange);
  free(tmp);
  double w = isnan(alpha) ? 0.7 : alpha;
  for (size_t i = 0; i < n; i++) {
    double v = c[i].rank_vec >= 0 ? 1.0 - normalised(c[i].dist, vlo, vrange) : 0.0;
    double t = c[i].rank_text >= 0 ? normalised(c[i].score, tlo, trange) : 0.0;
    c[i].fused = (float)(w * v + (1.0 - w) * t);
  }
  return LP_OK;
}

static int cmp_fused(const void *x, const void *y) {
  const cand *a = x, *b = y;
  if (a->fused != b->fused) return a->fused > b->fused ? -1 : 1;
  return (a->order > b->order) - (a->order < b->order);
}

static lp_status check_options(const lp_hybrid_search_options *o, lp_error *err) {
  if (o->k <= 0) return lp_error_set(err, LP_EINVAL, "hybrid search: k must be positive, found %lld", (long long)o->k);
  if (o->rerank != LP_RERANK_RRF && o->rerank != LP_RERANK_LINEAR)
    return lp_error_set(err, LP_EINVAL, "hybrid search: unknown reranker %d", (int)o->rerank);
  if (!isnan(o->alpha) && !(o->alpha >= 0 && o->alpha <= 1))
    return lp_error_set(err, LP_EINVAL, "hybrid search: alpha must lie in [0, 1], found %g", o->alpha);
  return LP_OK;
}

lp_status lp_table_hybrid_search(lp_table *t, const lp_hybrid_search_options *o, struct ArrowArray *out_array,
                                 struct ArrowSchema *out_schema, lp_error *err) {
  if (t == NULL || o == NULL || out_array == NULL || out_schema == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_table_hybrid_search: table, options and outputs must not be NULL");
  memset(out_array, 0, sizeof *out_array);
  memset(out_schema, 0, sizeof *out_schema);
  LP_TRY(check_options(o, err));
  lp_search_options v = o->vector;
  v.k = o->k;
  v.offset = 0;
  v.where = o->where;
  v.postfilter = false;
  lp_text_search_options tx = o->text;
  tx.k = o->k;
  lp__topk_item *vh = NULL, *th = NULL, *out = NULL;
  size_t nv = 0, nt = 0, n = 0;
  cand *c = NULL;
  lp_status rc = lp__vector_search_hits(t, &v, &vh, &nv, err);
  if (rc == LP_OK) rc = lp__text_search_hits(t, &tx, o->where, &th, &nt, err);
  if (rc == LP_OK && nt > (size_t)o->k) nt = (size_t)o->k;
  if (rc == LP_OK) rc = merge(vh, nv, th, nt, &c, &n, err);
  if (rc == LP_OK) {
    if (o->rerank == LP_RERANK_RRF) fuse_rrf(c, n, o->alpha);
    else rc = fuse_linear(c, n, vh, nv, th, nt, o->alpha, err);
  }
  if (rc == LP_OK && n > 1) qsort(c, n, sizeof *c, cmp_fused);
  if (rc == LP_OK && n > (size_t)o->k) n = (size_t)o->k;
  if (rc == LP_OK && (out = malloc((n + 1) * sizeof *out)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "hybrid search: out of memory");
  for (size_t i = 0; rc == LP_OK && i < n; i++) out[i] = (lp__topk_item){c[i].fused, c[i].pos};
  if (rc == LP_OK) rc = lp__search_build_result(t, o->columns, o->n_columns, out, n, "_relevance_score", out_array, out_schema, err);
  free(out);
  free(c);
  free(vh);
  free(th);
  return rc;
}
