/* Flat k-nearest-neighbour search (lp_table_search).
 *
 * Plan of one query:
 *   1. resolve the vector column and check the query (dimension, NaN, k);
 *   2. pre-filter: scan only the filter's columns and evaluate it into a bitmap over live positions;
 *   3. vectors: each fragment's vector column is decoded once into a "vector block" (one Arrow array of
 *      the fragment's physical rows) kept in the session's vector cache (its own budget,
 *      lp_session_config.vector_cache_bytes) under the data file's path, so later queries read vectors
 *      straight from memory; without a session, or when the block does not fit the budget, it lives
 *      for the query only;
 *   4. distances: the physical rows of all fragments are cut into chunks of 4096 rows that worker
 *      threads claim one at a time; each worker runs the distance kernel over 64-row strips and keeps
 *      a bounded max-heap of the k + offset best (distance, live position) pairs, skipping deleted rows, null vectors, rows
 *      the pre-filter rejected and NaN distances (LanceDB drops those too); the heaps are merged.
 *      For L2 over a cached float32 block the first pass reads the block's 8-bit shadow instead (sq8.h):
 *      it bounds each row's distance, keeps the k + offset smallest upper bounds, and collects the rows
 *      whose lower bound does not exceed them; those candidates alone are then measured with the float32
 *      kernel, so the answer is the plain pass's to the bit, from a quarter of the memory traffic;
 *   5. post-filter (when asked): evaluate the filter on the winners only, taken by position;
 *   6. take the projected columns of the final rows by live position and append `_distance`.
 * Ties in distance are ordered by live position (fragment order, then row), which is LanceDB's row-id
 * order for tables whose fragments are in id order. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "query/distance.h"
#include "query/predicate.h"
#include "query/search_int.h"
#include "table/session.h"
#include "query/sq8.h"
#include "table/table.h"
#include "query/topk.h"

#define STRIP_ROWS 64         /* rows per kernel call: distances stay in L1 */
#define FILTER_BATCH_ROWS 8192 /* rows per filter batch: its buffers stay below malloc's mmap threshold and
                                 are reused from the heap, instead of being mapped and faulted in anew */
#define MAX_THREADS 8
#define MIN_ROWS_PER_THREAD 4096 /* below this a second thread costs more than it saves */
#define CHUNK_ROWS 4096       /* rows a worker claims at a time (1.5 MB of 384-dim float32 vectors) */

/* ---- options ------------------------------------------------------------------------------------ */

void lp_search_options_init(lp_search_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->metric = LP_METRIC_DEFAULT;
  opts->k = 10;
}

lp_status lp_metric_parse(const char *text, lp_metric *out, lp_error *err) {
  static const struct {
    const char *name;
    lp_metric m;
  } names[] = {{"l2", LP_METRIC_L2}, {"euclidean", LP_METRIC_L2}, {"cosine", LP_METRIC_COSINE}, {"dot", LP_METRIC_DOT}};
  for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(text, names[i].name) == 0) {
      *out = names[i].m;
      return LP_OK;
    }
  return lp_error_set(err, LP_EINVAL, "metric: expected l2, cosine or dot, found '%s'", text ? text : "(null)");
}

/* ---- vector column ------------------------------------------------------------------------------ */

static bool is_float_vector(const lp__field *f) {
  return f->type == LP__TYPE_FIXED_SIZE_LIST && (f->elem_type == LP__TYPE_FLOAT32 || f->elem_type == LP__TYPE_FLOAT16);
}

/* The named column, or the only float vector column (among several, the only one of the query's
 * dimension, as LanceDB picks). */
static lp_status resolve_column(const lp_table *t, const char *name, size_t dim, const lp__field **out,
                                lp_error *err) {
  const lp__schema *s = &t->m->schema;
  if (name != NULL) {
    const lp__field *f = lp__schema_find(s, name);
    if (f == NULL) return lp_error_set(err, LP_EINVAL, "search: table %s has no column \"%s\"", t->name, name);
    if (!is_float_vector(f))
      return lp_error_set(err, LP_EINVAL,
                          "search: column \"%s\" of table %s is %s, not a vector (fixed_size_list<float32|float16>)",
                          name, t->name, f->logical_type ? f->logical_type : "another type");
    *out = f;
    return LP_OK;
  }
  const lp__field *only = NULL, *match = NULL;
  size_t n = 0, n_match = 0;
  for (size_t i = 0; i < s->n_fields; i++) {
    if (!is_float_vector(&s->fields[i])) continue;
    only = &s->fields[i];
    n++;
    if ((size_t)only->list_size == dim) {
      match = only;
      n_match++;
    }
  }
  if (n == 0) return lp_error_set(err, LP_EINVAL, "search: table %s has no vector column (fixed_size_list<float>)", t->name);
  if (n == 1) *out = only;
  else if (n_match == 1) *out = match;
  else
    return lp_error_set(err, LP_EINVAL, "search: table %s has %zu vector columns%s; name one with --column", t->name,
                        n, n_match ? " of the query's dimension" : "");
  return LP_OK;
}

/* ---- vector blocks: one fragment's vector column, decoded ---------------------------------------- */

typedef struct vecblock {
  atomic_int refs;
  struct ArrowArray arr;    /* the fixed_size_list array as decoded; owns the memory below */
  const void *values;       /* row 0's first element; float or uint16 (binary16) */
  const uint8_t *validity;  /* NULL = no null vectors */
  int64_t validity_off;     /* bit of row 0 */
  uint64_t n_rows;
  size_t size_bytes;
  lp__sq8 *sq;              /* 8-bit shadow (float32 blocks kept in the cache), or NULL */
} vecblock;

static void *vb_ref(void *v) {
  atomic_fetch_add(&((vecblock *)v)->refs, 1);
  return v;
}
static void vb_unref(void *v) {
  vecblock *b = v;
  if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1) return;
  lp__arrow_release(&b->arr);
  lp__sq8_free(b->sq);
  free(b);
}
static const lp__cache_ops VB_OPS = {vb_ref, vb_unref};

/* Point the block at the decoded array's buffers, checking the shape the decoder gave. */
static lp_status vb_bind(vecblock *b, const lp__field *f, const char *where, lp_error *err) {
  const struct ArrowArray *a = &b->arr;
  size_t elem = f->elem_type == LP__TYPE_FLOAT16 ? 2 : 4;
  if (a->n_children != 1 || a->children == NULL || a->children[0] == NULL || a->n_buffers < 1)
    return lp_error_set(err, LP_ECORRUPT, "%s: vector column \"%s\" decoded to an array of the wrong shape", where, f->name);
  const struct ArrowArray *c = a->children[0];
  uint64_t dim = (uint64_t)f->list_size;
  if (c->n_buffers < 2 || (uint64_t)c->length < (uint64_t)(a->offset + a->length) * dim)
    return lp_error_set(err, LP_ECORRUPT, "%s: vector column \"%s\": %" PRId64 " values for %" PRId64 " rows of %" PRIu64,
                        where, f->name, c->length, a->length, dim);
  b->n_rows = (uint64_t)a->length;
  b->values = (const uint8_t *)c->buffers[1] + ((uint64_t)c->offset + (uint64_t)a->offset * dim) * elem;
  if (a->length > 0 && c->buffers[1] == NULL)
    return lp_error_set(err, LP_ECORRUPT, "%s: vector column \"%s\" has no values buffer", where, f->name);
  b->validity = a->null_count != 0 ? a->buffers[0] : NULL;
  b->validity_off = a->offset;
  b->size_bytes = b->n_rows * dim * elem + (b->n_rows + 7) / 8 + sizeof *b;
  return LP_OK;
}

#define SQ8_MIN_ROWS 2048 /* smaller blocks are measured exactly: the shadow would not pay for itself */
#define SQ8_MIN_DIM 32

/* Give a float32 block its 8-bit shadow when it will be searched again (it goes to the cache) and is
 * large enough, or always when LP_SEARCH_SQ8=always. No shadow is no error: the search measures every
 * row exactly then. */
static void vb_add_shadow(vecblock *b, const lp__field *f, bool cached) {
  lp__sq8_mode mode = lp__sq8_mode_get();
  if (f->elem_type != LP__TYPE_FLOAT32 || mode == LP__SQ8_OFF || f->list_size > LP__SQ8_MAX_DIM) return;
  if (mode == LP__SQ8_AUTO && (!cached || b->n_rows < SQ8_MIN_ROWS || f->list_size < SQ8_MIN_DIM)) return;
  lp_error ignored;
  if (lp__sq8_build(b->values, b->n_rows, (size_t)f->list_size, &b->sq, &ignored) == LP_OK)
    b->size_bytes += b->sq->size_bytes;
}

/* The vector block of fragment fr (all physical rows), from the session cache or decoded now. */
static lp_status vb_get(lp_table *t, lp__frag_reader *fr, const lp__field *f, const struct ArrowSchema *fs,
                        vecblock **out, lp_error *err) {
  lp__cache *cache = t->db->session ? lp__session_vector_cache(t->db->session) : NULL;
  char key[4400];
  key[0] = '\0';
  const lp__fragment *frag = fr->frag;
  int32_t leaf = lp__field_first_leaf_id(f);
  for (size_t i = 0; i < frag->n_files; i++)
    for (size_t j = 0; j < frag->files[i].n_fields; j++)
      if (frag->files[i].fields[j] == leaf)
        snprintf(key, sizeof key, "V|%s/data/%s|%d", t->dir, frag->files[i].path, (int)leaf);
  if (cache && key[0] && (*out = lp__cache_get(cache, key)) != NULL) return LP_OK;
  vecblock *b = calloc(1, sizeof *b);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  atomic_init(&b->refs, 1);
  lp_status rc = lp__frag_read_field(t, fr, f, fs, 0, NULL, frag->physical_rows, &b->arr, err);
  if (rc == LP_OK && (uint64_t)b->arr.length != frag->physical_rows)
    rc = lp_error_set(err, LP_ECORRUPT, "table %s: fragment %" PRIu64 ": column %s returned %" PRId64 " rows, expected %" PRIu64,
                      t->name, frag->id, f->name, b->arr.length, frag->physical_rows);
  if (rc == LP_OK) rc = vb_bind(b, f, t->name, err);
  if (rc != LP_OK) {
    vb_unref(b);
    return rc;
  }
  vb_add_shadow(b, f, cache && key[0]);
  if (cache && key[0]) lp__cache_put(cache, key, b, b->size_bytes, &VB_OPS);
  *out = b;
  return LP_OK;
}

/* A result candidate: distance and live position (topk.h orders them: distance, then position). */
typedef lp__topk_item hit;

/* ---- the distance pass -------------------------------------------------------------------------- */

/* A contiguous run of physical rows of one fragment. */
typedef struct segment {
  const vecblock *b;
  const lp__sq8_query *sqq;    /* the query on b's shadow grid (bounded pass), or NULL (exact pass) */
  const lp__deletion_vec *del; /* NULL = none deleted */
  uint64_t live_base;          /* live position of the fragment's first live row */
  uint64_t lo, hi;             /* physical rows [lo, hi) */
} segment;

/* The prepared query, shared read-only by the workers. */
typedef struct query {
  const float *q;              /* dim values (for a float16 column already rounded to float16 values) */
  size_t dim;
  lp__dist_f32_fn f32;         /* the metric's kernel for float32 rows, or */
  lp__dist_f16_fn f16;         /* for float16 rows (exactly one is set) */
  lp__dist_sq8_fn sq8;         /* integer kernel of the bounded pass, or NULL when the metric is not L2 */
  double slack;                /* 1 + a bound on the float32 kernel's relative error (bounded pass) */
} query;

/* The rows of one query cut into chunks that workers claim one at a time, so a worker whose core is
 * busy with something else simply claims fewer (the answer does not depend on who ran what: the heaps
 * are merged in the total order of topk.h). */
typedef struct work {
  segment *chunks;             /* owned */
  size_t n_chunks;
  atomic_size_t next;          /* the next chunk to claim */
} work;

/* A row the bounded pass could not rule out, to be measured exactly. */
typedef struct candidate {
  float lb;                    /* lower bound of its distance */
  uint64_t pos;
  const float *row;
} candidate;

typedef struct worker {
  const query *q;
  const uint8_t *sel;          /* pre-filter bitmap over live positions, or NULL */
  work *wk;                    /* shared */
  lp__topk heap;               /* this worker's k + offset best */
  /* bounded pass: */
  lp__topk ub;                 /* the k + offset smallest upper bounds seen */
  float cut;                   /* rows with a lower bound above this cannot make the answer */
  candidate *cands;
  size_t n_cands, cap_cands;
  bool out_of_memory;
} worker;

/* Whether physical row r (visited in ascending order; *di counts the deleted rows below it) is a row
 * the search considers: not deleted, its vector not null, passed by the pre-filter. Sets *pos. */
static inline bool row_eligible(const worker *w, const segment *s, uint64_t r, size_t *di, uint64_t *pos) {
  const lp__deletion_vec *d = s->del;
  if (d && *di < d->n_rows && d->rows[*di] == r) {
    (*di)++;
    return false;
  }
  *pos = s->live_base + r - *di;
  if (s->b->validity && !lp__bit_get(s->b->validity, s->b->validity_off + (int64_t)r)) return false;
  return w->sel == NULL || lp__bit_get(w->sel, (int64_t)*pos);
}

static void run_segment(worker *w, const segment *s) {
  float dist[STRIP_ROWS];
  const size_t dim = w->q->dim;
  size_t di = lp__deletion_vec_rank(s->del, s->lo);
  for (uint64_t r0 = s->lo; r0 < s->hi; r0 += STRIP_ROWS) {
    size_t n = s->hi - r0 < STRIP_ROWS ? (size_t)(s->hi - r0) : STRIP_ROWS;
    if (w->q->f16) w->q->f16(w->q->q, (const uint16_t *)s->b->values + r0 * dim, n, dim, dist);
    else w->q->f32(w->q->q, (const float *)s->b->values + r0 * dim, n, dim, dist);
    for (size_t j = 0; j < n; j++) {
      uint64_t pos;
      if (!row_eligible(w, s, r0 + j, &di, &pos)) continue;
      if (isnan(dist[j])) continue; /* LanceDB never returns NaN distances */
      if (w->heap.n == w->heap.k && dist[j] > w->heap.heap[0].dist) continue; /* fast reject */
      lp__topk_push(&w->heap, dist[j], pos);
    }
  }
}

static atomic_uint_fast64_t bounded_chunks, refined_rows;

void lp__search_sq8_counts(uint64_t *chunks, uint64_t *refined) {
  *chunks = atomic_load(&bounded_chunks);
  *refined = atomic_load(&refined_rows);
}

/* t widened by the float32 kernel's possible error (and a hair more for values near underflow). */
static float with_slack(const query *q, float t) { return (float)((double)t * q->slack) + 1e-30f; }

static void add_candidate(worker *w, float lb, uint64_t pos, const float *row) {
  if (w->n_cands == w->cap_cands) {
    size_t cap = w->cap_cands ? 2 * w->cap_cands : 256;
    candidate *c = realloc(w->cands, cap * sizeof *c);
    if (c == NULL) {
      w->out_of_memory = true;
      return;
    }
    w->cands = c;
    w->cap_cands = cap;
  }
  w->cands[w->n_cands++] = (candidate){lb, pos, row};
}

/* The bounded pass over one chunk: integer distances on the shadow, bounds, candidates. A row is kept
 * as a candidate unless its lower bound exceeds the worker's cut, the (slackened) largest of the
 * k + offset smallest upper bounds seen so far; the cut only shrinks, so every row that could be in
 * the answer survives (the final cut, over all workers, is smaller still). */
static void run_segment_sq8(worker *w, const segment *s) {
  uint32_t isum[STRIP_ROWS];
  const size_t dim = w->q->dim;
  const lp__sq8 *sq = s->b->sq;
  const float *values = s->b->values;
  double limit = lp__sq8_isum_limit(sq, s->sqq, w->cut);
  size_t di = lp__deletion_vec_rank(s->del, s->lo);
  for (uint64_t r0 = s->lo; r0 < s->hi; r0 += STRIP_ROWS) {
    size_t n = s->hi - r0 < STRIP_ROWS ? (size_t)(s->hi - r0) : STRIP_ROWS;
    w->q->sq8(s->sqq->codes, sq->codes + r0 * dim, n, dim, isum);
    for (size_t j = 0; j < n; j++) {
      uint64_t r = r0 + j, pos;
      if (!row_eligible(w, s, r, &di, &pos)) continue;
      float resid = sq->resid[r];
      if (sq->has_wild && !(resid < INFINITY)) { /* no bound: measure it exactly */
        add_candidate(w, 0.0f, pos, values + r * dim);
        continue;
      }
      if ((double)isum[j] > limit) continue; /* fast reject: farther than the cut whatever its residual */
      float lb, ub;
      lp__sq8_bounds(sq, s->sqq, isum[j], resid, &lb, &ub);
      if (lb > w->cut) continue;
      add_candidate(w, lb, pos, values + r * dim);
      if (w->ub.n == w->ub.k && ub >= w->ub.heap[0].dist) continue;
      lp__topk_push(&w->ub, ub, pos);
      if (w->ub.n == w->ub.k) {
        w->cut = with_slack(w->q, w->ub.heap[0].dist);
        limit = lp__sq8_isum_limit(sq, s->sqq, w->cut);
      }
    }
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&w->wk->next, 1);
    if (i >= w->wk->n_chunks) return NULL;
    const segment *s = &w->wk->chunks[i];
    if (s->sqq) {
      run_segment_sq8(w, s);
      atomic_fetch_add_explicit(&bounded_chunks, 1, memory_order_relaxed);
    } else {
      run_segment(w, s);
    }
  }
}

static int auto_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* Cut the fragments' row ranges into chunks of at most CHUNK_ROWS rows. */
static lp_status make_chunks(const segment *all, size_t n_all, work *wk, lp_error *err) {
  size_t n = 0;
  for (size_t i = 0; i < n_all; i++) n += (size_t)((all[i].hi - all[i].lo + CHUNK_ROWS - 1) / CHUNK_ROWS);
  if ((wk->chunks = calloc(n + 1, sizeof *wk->chunks)) == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; i < n_all; i++)
    for (uint64_t lo = all[i].lo; lo < all[i].hi; lo += CHUNK_ROWS) {
      segment c = all[i];
      c.lo = lo;
      c.hi = all[i].hi - lo < CHUNK_ROWS ? all[i].hi : lo + CHUNK_ROWS;
      wk->chunks[wk->n_chunks++] = c;
    }
  atomic_init(&wk->next, 0);
  return LP_OK;
}

/* Run every worker: the first on this thread, the others on threads of their own (a worker whose thread
 * cannot start runs here too, so the answer never depends on thread creation). */
static void run_workers(worker *ws, int n_workers) {
  pthread_t tid[MAX_THREADS];
  int started = 1;
  for (int w = 1; w < n_workers; w++, started++)
    if (pthread_create(&tid[w], NULL, worker_main, &ws[w]) != 0) break;
  worker_main(&ws[0]);
  for (int w = started; w < n_workers; w++) worker_main(&ws[w]);
  for (int w = 1; w < started; w++) pthread_join(tid[w], NULL);
}

/* Merge the workers' heaps into the first and hand out its items in rank order. Caller frees *out. */
static lp_status merge_sorted(worker *ws, int n_workers, hit **out, size_t *out_n, lp_error *err) {
  for (int w = 1; w < n_workers; w++) lp__topk_merge(&ws[0].heap, &ws[w].heap);
  hit *all = malloc((ws[0].heap.n + 1) * sizeof *all);
  if (all == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  *out_n = lp__topk_sorted(&ws[0].heap, all);
  *out = all;
  return LP_OK;
}

typedef struct frag_state {
  lp__frag_reader fr;
  bool open;
  vecblock *b;
  lp__sq8_query sqq;           /* the query on b's shadow grid when `bounded` */
  bool bounded;
} frag_state;

/* After a bounded pass: the final cut is the (slackened) k-th smallest upper bound over all workers;
 * each candidate whose lower bound is within it is measured with the float32 kernel and offered to the
 * first worker's heap (the exact pass's heaps are merged into it afterwards). A candidate measured here
 * gets exactly the distance the plain pass would have given it. */
static void refine_candidates(worker *ws, int n_workers, const query *q) {
  for (int w = 1; w < n_workers; w++) lp__topk_merge(&ws[0].ub, &ws[w].ub);
  float cut = ws[0].ub.n == ws[0].ub.k ? with_slack(q, ws[0].ub.heap[0].dist) : INFINITY;
  uint64_t measured = 0;
  for (int w = 0; w < n_workers; w++)
    for (size_t i = 0; i < ws[w].n_cands; i++) {
      const candidate *c = &ws[w].cands[i];
      if (c->lb > cut) continue;
      float d;
      measured++;
      q->f32(q->q, c->row, 1, q->dim, &d);
      if (isnan(d)) continue;
      lp__topk_push(&ws[0].heap, d, c->pos);
    }
  if (measured) atomic_fetch_add_explicit(&refined_rows, measured, memory_order_relaxed);
}

/* Decide, per fragment, between the bounded pass (L2, a block with a shadow, a query that fits the
 * grid) and the exact one. */
static void prepare_bounded(frag_state *fs, const query *q) {
  if (q->sq8 == NULL || fs->b == NULL || fs->b->sq == NULL) return;
  fs->bounded = lp__sq8_query_init(fs->b->sq, q->q, &fs->sqq);
}

/* Steps 3 and 4: the best K hits over the table, ascending. Caller frees *out. */
static lp_status nearest(lp_table *t, const lp__field *vf, const query *q, const uint8_t *sel,
                         size_t K, int n_threads, hit **out, size_t *out_n, lp_error *err) {
  const lp__manifest *m = t->m;
  struct ArrowSchema vs = {0};
  frag_state *fs = calloc(m->n_fragments + 1, sizeof *fs);
  segment *segs = calloc(m->n_fragments + 1, sizeof *segs);
  worker *ws = NULL;
  work wk = {0};
  size_t n_segs = 0;
  uint64_t live_base = 0, total_rows = 0;
  lp_status rc = fs && segs ? LP_OK : lp_error_set(err, LP_ENOMEM, "search: out of memory");
  if (rc == LP_OK) rc = lp__field_to_arrow(vf, &vs, err);
  for (size_t i = 0; rc == LP_OK && i < m->n_fragments; i++) {
    const lp__fragment *f = &m->fragments[i];
    uint64_t live = f->physical_rows - f->num_deleted_rows;
    if (live > 0) {
      rc = lp__frag_reader_open(t, f, &fs[i].fr, err);
      if (rc == LP_OK) fs[i].open = true;
      if (rc == LP_OK) rc = vb_get(t, &fs[i].fr, vf, &vs, &fs[i].b, err);
      if (rc == LP_OK) prepare_bounded(&fs[i], q);
      if (rc == LP_OK && fs[i].b->n_rows > 0) {
        segs[n_segs++] = (segment){fs[i].b, fs[i].bounded ? &fs[i].sqq : NULL, fs[i].fr.deleted, live_base, 0,
                                   fs[i].b->n_rows};
        total_rows += fs[i].b->n_rows;
      }
    }
    live_base += live;
  }
  int n_workers = n_threads > 0 ? n_threads : auto_threads();
  if (n_workers > MAX_THREADS) n_workers = MAX_THREADS;
  if ((uint64_t)n_workers * MIN_ROWS_PER_THREAD > total_rows)
    n_workers = (int)(total_rows / MIN_ROWS_PER_THREAD) > 0 ? (int)(total_rows / MIN_ROWS_PER_THREAD) : 1;
  if (rc == LP_OK && (ws = calloc((size_t)n_workers, sizeof *ws)) == NULL)
    rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
  if (rc == LP_OK) rc = make_chunks(segs, n_segs, &wk, err);
  for (int w = 0; rc == LP_OK && w < n_workers; w++) {
    ws[w].q = q;
    ws[w].sel = sel;
    ws[w].wk = &wk;
    ws[w].cut = INFINITY;
    rc = lp__topk_init(&ws[w].heap, K, err);
    if (rc == LP_OK) rc = lp__topk_init(&ws[w].ub, K, err);
  }
  if (rc == LP_OK) run_workers(ws, n_workers);
  for (int w = 0; rc == LP_OK && w < n_workers; w++)
    if (ws[w].out_of_memory) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory for candidates");
  if (rc == LP_OK) refine_candidates(ws, n_workers, q);
  if (rc == LP_OK) rc = merge_sorted(ws, n_workers, out, out_n, err);
  for (int w = 0; ws && w < n_workers; w++) {
    lp__topk_reset(&ws[w].heap);
    lp__topk_reset(&ws[w].ub);
    free(ws[w].cands);
  }
  free(ws);
  free(wk.chunks);
  for (size_t i = 0; fs && i < m->n_fragments; i++) {
    if (fs[i].bounded) lp__sq8_query_free(&fs[i].sqq);
    vb_unref(fs[i].b);
    if (fs[i].open) lp__frag_reader_close(&fs[i].fr);
  }
  free(fs);
  free(segs);
  if (vs.release) vs.release(&vs);
  return rc;
}

/* ---- filters -------------------------------------------------------------------------------------- */

/* Names of the columns a bound predicate reads (schema order); when it reads none, the first column, so
 * a scan still yields batches of the right lengths. */
static lp_status filter_columns(const lp_table *t, const lp__pred_bound *pb, const char ***out, size_t *out_n,
                                const size_t **out_idx, size_t *out_n_idx, lp_error *err) {
  lp__pred_bound_columns(pb, out_idx, out_n_idx);
  size_t n = *out_n_idx ? *out_n_idx : 1;
  const char **names = calloc(n, sizeof *names);
  if (names == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; i < *out_n_idx; i++) names[i] = t->m->schema.fields[(*out_idx)[i]].name;
  if (*out_n_idx == 0) names[0] = t->m->schema.fields[0].name;
  *out = names;
  *out_n = n;
  return LP_OK;
}

lp_status lp__search_eval(lp_table *t, const lp__pred_bound *pb, const struct ArrowArray **cols, int64_t n_rows,
                          uint64_t first_pos, const uint64_t *positions, uint8_t *sel, int64_t *n_sel, lp_error *err) {
  size_t nf = t->m->schema.n_fields, n = n_rows > 0 ? (size_t)n_rows : 0;
  unsigned pseudo = lp__pred_bound_pseudo(pb);
  uint64_t *vals[LP__PRED_N_PSEUDO] = {NULL, NULL};
  const void *bufs[LP__PRED_N_PSEUDO][2];
  struct ArrowArray views[LP__PRED_N_PSEUDO];
  lp_status rc = LP_OK;
  for (int k = 0; rc == LP_OK && k < LP__PRED_N_PSEUDO; k++) {
    if (!(pseudo & (1u << k))) continue;
    vals[k] = malloc((n ? n : 1) * sizeof *vals[k]);
    if (vals[k] == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
    else if (k == LP__PRED_ROWID) rc = lp__table_row_ids(t, positions, first_pos, n, vals[k], err);
    else rc = lp__table_row_addrs(t, positions, first_pos, n, vals[k], err);
    if (rc == LP_OK) {
      lp__pred_u64_view(vals[k], n_rows, bufs[k], &views[k]);
      cols[nf + (size_t)k] = &views[k];
    }
  }
  if (rc == LP_OK) rc = lp__pred_eval_columns(pb, cols, nf + LP__PRED_N_PSEUDO, n_rows, sel, n_sel, err);
  for (int k = 0; k < LP__PRED_N_PSEUDO; k++) free(vals[k]);
  return rc;
}

/* Evaluate pb over a batch whose children are the columns filter_columns named: live rows first_pos.. or
 * positions[]. */
static lp_status eval_batch(lp_table *t, const lp__pred_bound *pb, const size_t *idx, size_t n_idx,
                            const struct ArrowArray *batch, uint64_t first_pos, const uint64_t *positions,
                            uint8_t *sel, int64_t *n_sel, lp_error *err) {
  size_t nc = t->m->schema.n_fields + LP__PRED_N_PSEUDO;
  const struct ArrowArray *stack[64] = {0};
  const struct ArrowArray **cols = nc <= 64 ? stack : calloc(nc, sizeof *cols);
  if (cols == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; i < nc; i++) cols[i] = NULL;
  for (size_t i = 0; i < n_idx; i++) cols[idx[i]] = batch->children[i];
  lp_status rc = lp__search_eval(t, pb, cols, batch->length, first_pos, positions, sel, n_sel, err);
  if (cols != stack) free(cols);
  return rc;
}

lp_status lp__search_compile_filter(lp_table *t, const char *where, lp__pred_bound **out, lp_error *err) {
  *out = NULL;
  if (where == NULL || where[0] == '\0') return LP_OK;
  lp_status rc = lp__pred_compile(where, t->m->schema.fields, t->m->schema.n_fields, out, err);
  if (rc != LP_OK) {
    lp_error_wrap(err, "table %s: filter: ", t->name);
    return rc;
  }
  return LP_OK;
}

lp_status lp__search_filter_pass(lp_table *t, const lp__pred_bound *pb, lp__sel_fn fn, void *ctx, lp_error *err) {
  const char **names = NULL;
  size_t n_names = 0, n_idx = 0;
  const size_t *idx;
  if (t->m->schema.n_fields == 0) return LP_OK;
  LP_TRY(filter_columns(t, pb, &names, &n_names, &idx, &n_idx, err));
  lp_scan_options so;
  lp_scan_options_init(&so);
  so.columns = names;
  so.n_columns = n_names;
  so.batch_rows = FILTER_BATCH_ROWS;
  struct ArrowArrayStream st = {0};
  uint8_t *sel = NULL;
  uint64_t pos = 0;
  lp_status rc = lp_table_scan(t, &so, &st, err);
  if (rc == LP_OK && (sel = malloc(FILTER_BATCH_ROWS / 8 + 8)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
  while (rc == LP_OK) {
    struct ArrowArray batch = {0};
    if (st.get_next(&st, &batch) != 0) {
      const char *msg = st.get_last_error(&st);
      rc = lp_error_set(err, LP_EIO, "%s", msg ? msg : "scan failed");
      break;
    }
    if (batch.release == NULL) break;
    int64_t n_sel = 0;
    if (batch.length > FILTER_BATCH_ROWS) rc = lp_error_set(err, LP_ECORRUPT, "search: scan batch of %" PRId64 " rows", batch.length);
    if (rc == LP_OK) rc = eval_batch(t, pb, idx, n_idx, &batch, pos, NULL, sel, &n_sel, err);
    if (rc == LP_OK) rc = fn(ctx, pos, sel, batch.length, n_sel, err);
    pos += (uint64_t)batch.length;
    batch.release(&batch);
  }
  if (st.release) st.release(&st);
  free(sel);
  free(names);
  return rc;
}

/* Copy one batch's selection into the table-wide bitmap. */
static lp_status collect_bitmap(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                                lp_error *err) {
  (void)n_sel;
  (void)err;
  lp__bits_copy(ctx, (int64_t)first_pos, sel, 0, n_rows);
  return LP_OK;
}

/* Keep the hits whose rows pass the filter (taken by position); shrinks *n in place, order kept. */
static lp_status postfilter(lp_table *t, const lp__pred_bound *pb, hit *hits, size_t *n, lp_error *err) {
  if (*n == 0) return LP_OK;
  const char **names = NULL;
  size_t n_names = 0, n_idx = 0;
  const size_t *idx;
  LP_TRY(filter_columns(t, pb, &names, &n_names, &idx, &n_idx, err));
  uint64_t *pos = malloc(*n * sizeof *pos);
  uint8_t *sel = malloc(*n / 8 + 8);
  struct ArrowArray a = {0};
  struct ArrowSchema s = {0};
  lp_status rc = pos && sel ? LP_OK : lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; rc == LP_OK && i < *n; i++) pos[i] = hits[i].pos;
  if (rc == LP_OK) rc = lp_table_take(t, pos, *n, names, n_names, &a, &s, err);
  if (rc == LP_OK) rc = eval_batch(t, pb, idx, n_idx, &a, 0, pos, sel, NULL, err);
  if (rc == LP_OK) {
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
      if (lp__bit_get(sel, (int64_t)i)) hits[kept++] = hits[i];
    *n = kept;
  }
  lp__arrow_release(&a);
  if (s.release) s.release(&s);
  free(pos);
  free(sel);
  free(names);
  return rc;
}

/* ---- output ------------------------------------------------------------------------------------- */

typedef struct owned_schema {
  char *name;
  struct ArrowSchema **children;
  int64_t n_children;
} owned_schema;

static void owned_schema_release(struct ArrowSchema *s) {
  if (s == NULL || s->release == NULL) return;
  owned_schema *o = s->private_data;
  for (int64_t i = 0; i < o->n_children; i++) {
    if (o->children[i]->release) o->children[i]->release(o->children[i]);
    free(o->children[i]);
  }
  free(o->children);
  free(o->name);
  free(o);
  s->release = NULL;
}

/* out = struct schema with the children of `in` (moved out of it) plus a nullable float32 column `name`. */
/* A struct schema of in's children (moved out of in) and then a nullable child `name` of Arrow `format`. */
static lp_status schema_append(struct ArrowSchema *in, const char *name, const char *format, struct ArrowSchema *out,
                               lp_error *err) {
  owned_schema *o = calloc(1, sizeof *o);
  int64_t n = in->n_children + 1;
  if (o == NULL || (o->children = calloc((size_t)n, sizeof *o->children)) == NULL) {
    free(o);
    return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  }
  memset(out, 0, sizeof *out);
  out->format = "+s";
  out->name = "";
  out->private_data = o;
  out->release = owned_schema_release;
  for (int64_t i = 0; i < n; i++) {
    if ((o->children[i] = calloc(1, sizeof **o->children)) == NULL) {
      owned_schema_release(out);
      return lp_error_set(err, LP_ENOMEM, "search: out of memory");
    }
    o->n_children++;
    if (i < in->n_children) {
      *o->children[i] = *in->children[i];
      in->children[i]->release = NULL; /* moved */
    }
  }
  owned_schema *d = calloc(1, sizeof *d);
  char *nm = strdup(name);
  if (d == NULL || nm == NULL) {
    free(d);
    free(nm);
    owned_schema_release(out);
    return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  }
  d->name = nm;
  struct ArrowSchema *ds = o->children[n - 1];
  ds->format = format;
  ds->name = nm;
  ds->flags = ARROW_FLAG_NULLABLE;
  ds->private_data = d;
  ds->release = owned_schema_release;
  out->n_children = n;
  out->children = o->children;
  return LP_OK;
}

lp_status lp__search_build_result(lp_table *t, const char *const *columns, size_t n_columns, const lp__topk_item *hits,
                                  size_t n, const char *score_name, struct ArrowArray *out_array,
                                  struct ArrowSchema *out_schema, lp_error *err) {
  struct ArrowArray rows = {0};
  struct ArrowSchema rs = {0};
  uint64_t *pos = malloc((n ? n : 1) * sizeof *pos);
  float *dist = lp__arrow_buf_alloc((n ? n : 1) * sizeof *dist);
  if (pos == NULL || dist == NULL) {
    free(pos);
    lp__arrow_buf_free(dist);
    return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    pos[i] = hits[i].pos;
    dist[i] = hits[i].dist;
  }
  lp_status rc;
  if (n > 0) rc = lp_table_take(t, pos, n, columns, n_columns, &rows, &rs, err);
  else {
    const lp__field **fields = NULL;
    size_t nf = 0;
    rc = lp__project(t, columns, n_columns, &fields, &nf, err);
    if (rc == LP_OK) rc = lp__fields_to_arrow_struct(fields, nf, &rs, err);
    if (rc == LP_OK) rc = lp__arrow_make_nulls(&rows, &rs, 0, err);
    free(fields);
  }
  free(pos);
  struct ArrowArray *kids = NULL;
  if (rc == LP_OK && (kids = calloc((size_t)rows.n_children + 1, sizeof *kids)) == NULL)
    rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
  if (rc == LP_OK) {
    void *bufs[2] = {NULL, dist};
    dist = NULL;
    rc = lp__arrow_array_make(&kids[rows.n_children], (int64_t)n, 0, 2, bufs, NULL, 0, err);
    for (int64_t i = 0; rc == LP_OK && i < rows.n_children; i++) lp__arrow_move(rows.children[i], &kids[i]);
    if (rc == LP_OK) rc = lp__arrow_struct_make(out_array, kids, (size_t)rows.n_children + 1, (int64_t)n, NULL, 0, err);
  }
  if (rc == LP_OK) rc = schema_append(&rs, score_name, "f", out_schema, err);
  if (rc != LP_OK && out_array->release) out_array->release(out_array);
  lp__arrow_buf_free(dist);
  free(kids);
  lp__arrow_release(&rows);
  if (rs.release) rs.release(&rs);
  return rc;
}

/* Add LanceDB's `_rowid` column (after the score, as withRowId() places it) of the hits to a result. On
 * failure both outputs are released. */
static lp_status append_row_ids(lp_table *t, const lp__topk_item *hits, size_t n, struct ArrowArray *arr,
                                struct ArrowSchema *sch, lp_error *err) {
  uint64_t *pos = malloc((n ? n : 1) * sizeof *pos);
  size_t nk = (size_t)arr->n_children;
  struct ArrowArray *kids = calloc(nk + 1, sizeof *kids);
  struct ArrowSchema in = *sch;
  memset(sch, 0, sizeof *sch);
  lp_status rc = pos && kids ? LP_OK : lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; rc == LP_OK && i < n; i++) pos[i] = hits[i].pos;
  if (rc == LP_OK) rc = lp__table_rowid_array(t, pos, 0, n, &kids[nk], err);
  if (rc == LP_OK) rc = schema_append(&in, "_rowid", "L", sch, err);
  if (rc == LP_OK) {
    for (size_t i = 0; i < nk; i++) lp__arrow_move(arr->children[i], &kids[i]);
    arr->release(arr);
    rc = lp__arrow_struct_make(arr, kids, nk + 1, (int64_t)n, NULL, 0, err);
  } else {
    lp__arrow_release(&kids[nk]);
  }
  if (rc != LP_OK) {
    if (arr->release) arr->release(arr);
    if (sch->release) sch->release(sch);
  }
  if (in.release) in.release(&in);
  free(pos);
  free(kids);
  return rc;
}

/* ---- LanceDB's vector index ------------------------------------------------------------------------ */

/* Exact distances (the query's kernel) of the rows at live positions pos[0..n) into out; NaN for a null
 * vector. */
static lp_status exact_dists(lp_table *t, const lp__field *vf, const query *q, const uint64_t *pos, size_t n,
                             float *out, lp_error *err) {
  if (n == 0) return LP_OK;
  const char *cols[] = {vf->name};
  struct ArrowArray a = {0};
  struct ArrowSchema sch = {0};
  LP_TRY(lp_table_take(t, pos, n, cols, 1, &a, &sch, err));
  const struct ArrowArray *fsl = a.children[0], *vals = fsl->children[0];
  const float *v = (const float *)vals->buffers[1] + vals->offset;
  for (size_t i = 0; i < n; i++) {
    int64_t r = fsl->offset + (int64_t)i;
    bool valid = fsl->null_count == 0 || fsl->buffers[0] == NULL || lp__bit_get(fsl->buffers[0], r);
    if (valid) q->f32(q->q, v + (size_t)r * q->dim, 1, q->dim, &out[i]);
    else out[i] = NAN;
  }
  a.release(&a);
  sch.release(&sch);
  return LP_OK;
}

static int cmp_hit(const void *a, const void *b) {
  const hit *x = a, *y = b;
  return lp__topk_less(*x, *y) ? -1 : lp__topk_less(*y, *x) ? 1 : 0;
}

static int cmp_ivf_hit(const void *a, const void *b) {
  const lp__ivf_hit *x = a, *y = b;
  if (x->dist != y->dist) return isnan(x->dist) ? 1 : isnan(y->dist) ? -1 : x->dist < y->dist ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Replace the index distances of h[0..n) by exact ones, drop null vectors, sort by (distance, row address). */
static lp_status make_exact(lp_table *t, const lp__field *vf, const query *q, lp__ivf_hit *h, size_t *n,
                            lp_error *err) {
  uint64_t *pos = malloc((*n ? *n : 1) * sizeof *pos);
  float *d = malloc((*n ? *n : 1) * sizeof *d);
  lp_status rc = pos && d ? LP_OK : lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; rc == LP_OK && i < *n; i++) pos[i] = h[i].pos;
  if (rc == LP_OK) rc = exact_dists(t, vf, q, pos, *n, d, err);
  size_t kept = 0;
  for (size_t i = 0; rc == LP_OK && i < *n; i++)
    if (!isnan(d[i])) h[kept++] = (lp__ivf_hit){d[i], h[i].rowid, h[i].pos};
  if (rc == LP_OK) {
    *n = kept;
    qsort(h, kept, sizeof *h, cmp_ivf_hit);
  }
  free(pos);
  free(d);
  return rc;
}

/* A bitmap of the live positions of the fragments the index does not cover, and'ed with sel. NULL (no
 * allocation) with *any false when there are none. */
static lp_status unindexed_selection(const lp_table *t, const lp__ivf *ivf, const uint8_t *sel, uint8_t **out,
                                     bool *any, lp_error *err) {
  *out = NULL;
  *any = false;
  uint64_t n_live = lp__manifest_live_rows(t->m), base = 0;
  for (size_t i = 0; i < t->m->n_fragments; i++) {
    const lp__fragment *f = &t->m->fragments[i];
    uint64_t live = f->physical_rows - f->num_deleted_rows;
    if (live > 0 && !lp__ivf_covers(ivf, f->id)) {
      if (*out == NULL && (*out = calloc(n_live / 8 + 8, 1)) == NULL)
        return lp_error_set(err, LP_ENOMEM, "search: out of memory");
      *any = true;
      for (uint64_t r = base; r < base + live; r++)
        if (sel == NULL || lp__bit_get(sel, (int64_t)r)) lp__bit_set(*out, (int64_t)r);
    }
    base += live;
  }
  return LP_OK;
}

/* LanceDB's indexed search (indices.md 3.6): the best K * refine candidates of the index; refined to exact
 * distances when asked; then, unless fast_search, the exact distances of those K rows merged with an exact
 * search of the fragments the index does not cover. */
static lp_status indexed_nearest(lp_table *t, const lp__field *vf, const lp_search_options *o, const query *q,
                                 const lp__ivf *ivf, const uint8_t *sel, size_t K, hit **out, size_t *out_n,
                                 lp_error *err) {
  size_t kp = K * (size_t)(o->refine_factor > 0 ? o->refine_factor : 1);
  lp__ivf_hit *ah = NULL;
  size_t n_ah = 0;
  lp_status rc = lp__ivf_search(t, ivf, q->q, q->dim, o->nprobes > 0 ? o->nprobes : 20, sel, kp, &ah, &n_ah, err);
  bool exact = false;
  if (rc == LP_OK && o->refine_factor > 0) {
    rc = make_exact(t, vf, q, ah, &n_ah, err);
    exact = true;
  }
  if (rc == LP_OK && n_ah > K) n_ah = K;
  uint8_t *usel = NULL;
  bool any = false;
  if (rc == LP_OK && !o->fast_search) rc = unindexed_selection(t, ivf, sel, &usel, &any, err);
  hit *flat = NULL;
  size_t n_flat = 0;
  if (rc == LP_OK && any) {
    if (!exact) rc = make_exact(t, vf, q, ah, &n_ah, err);
    if (rc == LP_OK) rc = nearest(t, vf, q, usel, K, o->n_threads, &flat, &n_flat, err);
  }
  hit *all = rc == LP_OK ? malloc((n_ah + n_flat + 1) * sizeof *all) : NULL;
  if (rc == LP_OK && all == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
  if (rc == LP_OK) {
    for (size_t i = 0; i < n_ah; i++) all[i] = (hit){.dist = ah[i].dist, .pos = ah[i].pos};
    if (n_flat) memcpy(all + n_ah, flat, n_flat * sizeof *flat);
    size_t n = n_ah + n_flat;
    if (n_flat) qsort(all, n, sizeof *all, cmp_hit);
    *out = all;
    *out_n = n < K ? n : K;
    all = NULL;
  }
  free(all);
  free(flat);
  free(usel);
  free(ah);
  return rc;
}

/* Does the index cover any fragment of this version? (If not, LanceDB searches flat.) */
static bool covers_any(const lp_table *t, const lp__ivf *ivf) {
  for (size_t i = 0; i < t->m->n_fragments; i++)
    if (lp__ivf_covers(ivf, t->m->fragments[i].id)) return true;
  return false;
}

/* ---- the query ---------------------------------------------------------------------------------- */

static lp_status check_query(const lp_table *t, const lp_search_options *o, const lp__field *vf, lp_error *err) {
  if (o->k <= 0) return lp_error_set(err, LP_EINVAL, "search: k must be positive, found %" PRId64, o->k);
  if (o->vector == NULL || o->dim == 0) return lp_error_set(err, LP_EINVAL, "search: no query vector");
  if (o->dim != (size_t)vf->list_size)
    return lp_error_set(err, LP_EINVAL, "search: query vector has %zu values, but column \"%s\" of table %s holds vectors of %d",
                        o->dim, vf->name, t->name, vf->list_size);
  for (size_t i = 0; i < o->dim; i++)
    if (!isfinite(o->vector[i]))
      return lp_error_set(err, LP_EINVAL, "search: query vector value %zu is %s", i,
                          isnan(o->vector[i]) ? "NaN" : "infinite");
  if (o->nprobes < 0 || o->refine_factor < 0)
    return lp_error_set(err, LP_EINVAL, "search: nprobes and refine_factor must not be negative");
  if (o->metric != LP_METRIC_L2 && o->metric != LP_METRIC_COSINE && o->metric != LP_METRIC_DOT &&
      o->metric != LP_METRIC_DEFAULT)
    return lp_error_set(err, LP_EINVAL, "search: unknown metric %d", (int)o->metric);
  return LP_OK;
}

static lp__dist_kind dist_kind(lp_metric m) {
  return m == LP_METRIC_COSINE ? LP__DIST_COSINE : m == LP_METRIC_DOT ? LP__DIST_DOT : LP__DIST_L2;
}

/* LP_METRIC_DEFAULT resolved as LanceDB resolves an unset distance type: the index's metric, else L2. */
static lp_status resolve_metric(lp_table *t, const lp__field *vf, const lp_search_options *o, lp_metric *out,
                                lp_error *err) {
  *out = o->metric;
  if (o->metric != LP_METRIC_DEFAULT) return LP_OK;
  *out = LP_METRIC_L2;
  if (o->bypass_index) return LP_OK;
  lp__dist_kind k = LP__DIST_L2;
  bool found = false;
  LP_TRY(lp__ivf_index_metric(t, vf, &k, &found, err));
  *out = k == LP__DIST_COSINE ? LP_METRIC_COSINE : k == LP__DIST_DOT ? LP_METRIC_DOT : LP_METRIC_L2;
  return LP_OK;
}

lp_status lp__vector_search_hits(lp_table *t, const lp_search_options *opts, lp__topk_item **out, size_t *out_n,
                                 lp_error *err) {
  *out = NULL;
  *out_n = 0;
  const lp__field *vf = NULL;
  LP_TRY(resolve_column(t, opts->column, opts->dim, &vf, err));
  LP_TRY(check_query(t, opts, vf, err));
  lp_search_options resolved = *opts;
  LP_TRY(resolve_metric(t, vf, opts, &resolved.metric, err));
  const lp_search_options *o = &resolved;

  uint64_t n_live = lp__manifest_live_rows(t->m);
  uint64_t want = (uint64_t)o->k + o->offset;
  if (want < o->offset) want = UINT64_MAX;
  size_t K = (size_t)(want < n_live ? want : n_live);
  float *qv = malloc(o->dim * sizeof *qv);
  if (qv == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  bool half = vf->elem_type == LP__TYPE_FLOAT16;
  for (size_t i = 0; i < o->dim; i++) /* LanceDB casts the query to the column's element type */
    qv[i] = half ? lp__half_to_float(lp__half_from_double(o->vector[i])) : o->vector[i];
  const lp__dist_kernels *kern = lp__dist_kernels_best();
  query q = {qv, o->dim, half ? NULL : kern->f32[dist_kind(o->metric)], half ? kern->f16[dist_kind(o->metric)] : NULL,
             NULL, 0};
  if (!half && o->metric == LP_METRIC_L2) {
    q.sq8 = kern->sq8_l2;
    /* The float32 L2 kernel's relative error is below (dim + 32) * 2^-24 (nonnegative terms, each rounded
       twice, then summed); four times that, doubled again, keeps the cut safely wide. */
    q.slack = 1.0 + 8.0 * ((double)o->dim + 32.0) * 0x1p-24;
  }

  lp__pred_bound *pb = NULL;
  uint8_t *sel = NULL;
  hit *hits = NULL;
  size_t n_hits = 0;
  lp_status rc = lp__search_compile_filter(t, o->where, &pb, err);
  /* LanceDB 0.31.0's vector search knows _rowid but not _rowaddr ("No field named _rowaddr"). */
  if (rc == LP_OK && pb && (lp__pred_bound_pseudo(pb) & (1u << LP__PRED_ROWADDR)))
    rc = lp_error_set(err, LP_EINVAL, "table %s: filter: no column named _rowaddr in a vector search (LanceDB has none)",
                      t->name);
  if (rc == LP_OK && pb && !o->postfilter) {
    if ((sel = calloc(n_live / 8 + 8, 1)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
    if (rc == LP_OK) rc = lp__search_filter_pass(t, pb, collect_bitmap, sel, err);
  }
  lp__ivf *ivf = NULL;
  const char *why = NULL;
  if (rc == LP_OK && K > 0 && !o->bypass_index && !half) rc = lp__ivf_open(t, vf, dist_kind(o->metric), &ivf, &why, err);
  if (ivf && !covers_any(t, ivf)) {
    lp__ivf_free(ivf);
    ivf = NULL;
  }
  /* LanceDB 0.31.0 ignores an index of another metric and searches flat, but with fast_search (indexed rows
     only) that flat search covers nothing: the answer is empty. */
  bool nothing = o->fast_search && why != NULL && strcmp(why, LP__IVF_OTHER_METRIC) == 0;
  if (rc == LP_OK && nothing) n_hits = 0;
  else if (rc == LP_OK && K > 0 && ivf) rc = indexed_nearest(t, vf, o, &q, ivf, sel, K, &hits, &n_hits, err);
  else if (rc == LP_OK && K > 0) rc = nearest(t, vf, &q, sel, K, o->n_threads, &hits, &n_hits, err);
  lp__ivf_free(ivf);
  if (rc == LP_OK && pb && o->postfilter) rc = postfilter(t, pb, hits, &n_hits, err);
  if (rc == LP_OK) {
    size_t skip = o->offset < n_hits ? (size_t)o->offset : n_hits;
    size_t n = n_hits - skip < (uint64_t)o->k ? n_hits - skip : (size_t)o->k;
    if (hits && skip) memmove(hits, hits + skip, n * sizeof *hits);
    *out = hits;
    *out_n = n;
    hits = NULL;
  }
  free(hits);
  free(sel);
  lp__pred_bound_free(pb);
  free(qv);
  return rc;
}

lp_status lp_table_search(lp_table *t, const lp_search_options *o, struct ArrowArray *out_array,
                          struct ArrowSchema *out_schema, lp_error *err) {
  if (t == NULL || o == NULL || out_array == NULL || out_schema == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_table_search: table, options and outputs must not be NULL");
  memset(out_array, 0, sizeof *out_array);
  memset(out_schema, 0, sizeof *out_schema);
  hit *hits = NULL;
  size_t n = 0;
  LP_TRY(lp__vector_search_hits(t, o, &hits, &n, err));
  lp_status rc = lp__search_build_result(t, o->columns, o->n_columns, hits, n, "_distance", out_array, out_schema, err);
  if (rc == LP_OK && o->with_row_id) rc = append_row_ids(t, hits, n, out_array, out_schema, err);
  free(hits);
  return rc;
}
