/* The bounded first pass of L2 search (sq8.h): its answers must equal the plain pass's exactly (the same
 * rows in the same order, distances equal to the bit), whatever the data does to the 8-bit grid.
 *
 * 1. The integer kernel at every instruction-set level against a plain loop (dims 1..70 and 384, codes at
 *    the ends of their ranges).
 * 2. The bounds: for random and skewed rows and queries (some outside the grid), lb <= the distance
 *    computed in double <= ub; wild rows (NaN, infinity, 1e20) get no bound.
 * 3. End to end: tables built here (several fragments, deletions, null vectors, wild rows, duplicate
 *    vectors, a grid stretched by one dimension) searched with LP_SEARCH_SQ8 forced "always" and "off";
 *    pre- and post-filters, offsets, k of 1 up to more than the eligible rows. The bounded pass must have
 *    run, and pruned: fewer rows measured exactly than searched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_build.h"
#include "query/distance.h"
#include "query/search_int.h"
#include "query/sq8.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_u32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static float uniform(float lo, float hi) { return lo + (hi - lo) * (float)(next_u32() & 0xffffff) / 16777216.0f; }

/* ---- 1. the integer kernel ---------------------------------------------------------------------------- */

static void check_kernels(void) {
  int16_t q[400];
  uint8_t rows[3 * 400];
  uint32_t out[3];
  int levels = 0;
  for (int l = 0; l < LP__SIMD_COUNT; l++) {
    const lp__dist_kernels *k = lp__dist_kernels_for((lp__simd)l);
    if (k == NULL) continue;
    levels++;
    for (size_t dim = 1; dim <= 400; dim = dim < 70 ? dim + 1 : dim == 70 ? 384 : 401) {
      for (size_t j = 0; j < dim; j++) q[j] = (int16_t)(j % 5 == 0 ? LP__SQ8_QMIN : j % 5 == 1 ? LP__SQ8_QMAX : (int)(next_u32() % 512) - 128);
      for (size_t j = 0; j < 3 * dim; j++) rows[j] = (uint8_t)(j % 7 == 0 ? 0 : j % 7 == 1 ? 255 : next_u32());
      k->sq8_l2(q, rows, 3, dim, out);
      for (size_t i = 0; i < 3; i++) {
        uint64_t want = 0;
        for (size_t j = 0; j < dim; j++) {
          int64_t d = (int64_t)q[j] - rows[i * dim + j];
          want += (uint64_t)(d * d);
        }
        if (out[i] != want) LP_FAIL("%s sq8_l2 dim %zu row %zu: %u, expected %llu", k->name, dim, i, out[i], (unsigned long long)want);
      }
    }
  }
  CHECK_GE(levels, 1);
}

/* ---- 2. the bounds ------------------------------------------------------------------------------------ */

static double l2_double(const float *a, const float *b, size_t dim) {
  double s = 0;
  for (size_t j = 0; j < dim; j++) {
    double d = (double)a[j] - b[j];
    s += d * d;
  }
  return s;
}

static void check_bounds_on(const float *rows, size_t n, size_t dim, const float *queries, size_t n_q) {
  lp__sq8 *sq = NULL;
  lp_error err = {0};
  CHECK_OK(lp__sq8_build(rows, n, dim, &sq, &err), &err);
  const lp__dist_kernels *k = lp__dist_kernels_best();
  uint32_t *isum = malloc(n * sizeof *isum);
  for (size_t qi = 0; qi < n_q; qi++) {
    lp__sq8_query qq;
    CHECK(lp__sq8_query_init(sq, queries + qi * dim, &qq));
    k->sq8_l2(qq.codes, sq->codes, n, dim, isum);
    for (size_t r = 0; r < n; r++) {
      if (!(sq->resid[r] < INFINITY)) continue;
      float lb, ub;
      lp__sq8_bounds(sq, &qq, isum[r], sq->resid[r], &lb, &ub);
      double d = l2_double(queries + qi * dim, rows + r * dim, dim);
      if (!((double)lb <= d && d <= (double)ub))
        LP_FAIL("dim %zu row %zu query %zu: distance %.17g outside [%.9g, %.9g]", dim, r, qi, d, lb, ub);
      /* The fast reject may drop a row only when its lower bound exceeds the cut. */
      if ((double)isum[r] > lp__sq8_isum_limit(sq, &qq, (float)d)) LP_FAIL("row %zu rejected below its own distance", r);
    }
    lp__sq8_query_free(&qq);
  }
  free(isum);
  lp__sq8_free(sq);
}

static void check_bounds(void) {
  enum { N = 300, NQ = 12 };
  size_t dims[] = {1, 7, 37, 384};
  for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
    size_t dim = dims[di];
    float *rows = malloc(N * dim * sizeof *rows), *qs = malloc(NQ * dim * sizeof *qs);
    for (int shape = 0; shape < 3; shape++) {
      for (size_t i = 0; i < N * dim; i++) {
        size_t d = i % dim;
        rows[i] = shape == 0 ? uniform(-1, 1) : shape == 1 ? (d == 0 ? uniform(-1000, 1000) : uniform(-0.01f, 0.01f))
                                                            : uniform(1e6f, 1e6f + 3);
      }
      for (size_t i = 0; i < NQ * dim; i++) /* the last queries lie outside the grid */
        qs[i] = i / dim >= NQ - 3 ? uniform(-50, 50) : rows[(next_u32() % N) * dim + i % dim] + uniform(-0.1f, 0.1f);
      check_bounds_on(rows, N, dim, qs, NQ);
    }
    free(rows);
    free(qs);
  }
  /* Wild rows: no bound, and the grid comes from the others. */
  float w[4 * 3] = {0.5f, 0.25f, 1, NAN, 0, 0, INFINITY, 1, 1, 1e20f, 0, 0};
  lp__sq8 *sq = NULL;
  lp_error err = {0};
  CHECK_OK(lp__sq8_build(w, 4, 3, &sq, &err), &err);
  CHECK(sq->has_wild);
  CHECK(sq->resid[0] < INFINITY);
  for (int r = 1; r < 4; r++) CHECK(!(sq->resid[r] < INFINITY));
  lp__sq8_free(sq);
  float wild_q[3] = {0, 1e20f, 0};
  CHECK_OK(lp__sq8_build(w, 1, 3, &sq, &err), &err);
  lp__sq8_query qq;
  CHECK(!lp__sq8_query_init(sq, wild_q, &qq)); /* a query that cannot be bounded: the plain pass */
  lp__sq8_free(sq);
  CHECK_EQ(lp__sq8_build(w, 1, 0, &sq, &err), LP_EINVAL);
}

/* ---- 3. end to end ------------------------------------------------------------------------------------ */

enum { N_ROWS = 6000, ROWS_PER_FILE = 2500 };

typedef enum shape { UNIFORM, DUPLICATES, STRETCHED, WILD, ON_GRID } shape;

static float value(shape sh, size_t r, size_t d) {
  switch (sh) {
  case DUPLICATES: { /* 40 distinct vectors, repeated: exact ties everywhere */
    uint64_t h = (r % 40) * 1000003u + d * 7919u;
    return (float)(h % 2001) / 1000.0f - 1.0f;
  }
  case STRETCHED: return d == 0 ? uniform(-1000, 1000) : uniform(-0.05f, 0.05f);
  case ON_GRID: /* small integers spanning 0..255: every value on the grid, so the bounds are tight and
                   many rows tie with the k-th distance exactly (a cut too narrow by any margin loses them) */
    return (float)(d == 0 ? (r % 2) * 255 : (r * 31 + d * 17) / 3 % 3);
  case WILD:
    if (r % 97 == 5 && d == 1) return 1e20f;
    return uniform(-1, 1);
  default: return uniform(-1, 1);
  }
}

/* A table `name` in db: id int64, cat int32 (id % 5), v fixed_size_list<float32, dim> with every 53rd
 * vector null; three fragments; then the rows with cat = 4 and id < 3000 deleted. */
static void make_table(lp_db *db, const char *name, size_t dim, shape sh) {
  lp_error err = {0};
  char spec[128];
  snprintf(spec, sizeof spec, "id:int64 not null, cat:int32, v:vector(%zu)", dim);
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec(spec, &s, &err), &err);
  int64_t *ids = malloc(N_ROWS * sizeof *ids);
  int32_t *cats = malloc(N_ROWS * sizeof *cats);
  float *vals = malloc(N_ROWS * dim * sizeof *vals);
  bool *null_vec = calloc(N_ROWS, sizeof *null_vec);
  for (size_t r = 0; r < N_ROWS; r++) {
    ids[r] = (int64_t)r;
    cats[r] = (int32_t)(r % 5);
    null_vec[r] = r % 53 == 11;
    for (size_t d = 0; d < dim; d++) vals[r * dim + d] = null_vec[r] ? 0.0f : value(sh, r, d);
  }
  struct ArrowArray *fsl = ab_new(N_ROWS, 1);
  ab_set_validity(fsl, null_vec);
  fsl->n_children = 1;
  fsl->children = ab_xmalloc(sizeof(void *));
  fsl->children[0] = ab_prim((int64_t)(N_ROWS * dim), sizeof(float), vals, NULL);
  struct ArrowArray *cols[3] = {ab_prim(N_ROWS, 8, ids, NULL), ab_prim(N_ROWS, 4, cats, NULL), fsl};
  struct ArrowArray *batch = ab_struct(N_ROWS, cols, 3, NULL);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&s, batch, 1, &st, &err), &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.durable = false;
  o.max_rows_per_file = ROWS_PER_FILE;
  uint64_t v = 0, deleted = 0;
  CHECK_OK(lp_db_create_table(db, name, &as, &st, false, &o, &v, &err), &err);
  CHECK_OK(lp_db_delete(db, name, "cat = 4 AND id < 3000", &o, &deleted, &v, &err), &err);
  CHECK_EQ(deleted, 600);
  as.release(&as);
  lp__wschema_reset(&s);
  free(ids);
  free(cats);
  free(vals);
  free(null_vec);
}

typedef struct answer {
  int64_t n;
  int64_t ids[200];
  uint32_t dist_bits[200];
} answer;

static void run_query(lp_db *db, const char *name, const lp_search_options *o, answer *out) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, name, LP_VERSION_LATEST, &t, &err), &err);
  struct ArrowArray a;
  struct ArrowSchema s;
  CHECK_OK(lp_table_search(t, o, &a, &s, &err), &err);
  CHECK_LE(a.length, 200);
  out->n = a.length;
  const struct ArrowArray *idc = a.children[0], *dc = a.children[a.n_children - 1];
  for (int64_t i = 0; i < a.length; i++) {
    out->ids[i] = ((const int64_t *)idc->buffers[1])[idc->offset + i];
    float d = ((const float *)dc->buffers[1])[dc->offset + i];
    memcpy(&out->dist_bits[i], &d, 4);
  }
  a.release(&a);
  s.release(&s);
  lp_table_close(t);
}

static int queries_compared;

/* The same query through the plain pass and the bounded pass: identical answers. */
static void compare_paths(lp_db *db, const char *name, const lp_search_options *o) {
  answer plain, bounded;
  lp__sq8_mode_set(LP__SQ8_OFF);
  run_query(db, name, o, &plain);
  lp__sq8_mode_set(LP__SQ8_ALWAYS);
  run_query(db, name, o, &bounded);
  if (plain.n != bounded.n) LP_FAIL("%s k=%lld: %lld rows plain, %lld bounded", name, (long long)o->k, (long long)plain.n, (long long)bounded.n);
  for (int64_t i = 0; i < plain.n; i++)
    if (plain.ids[i] != bounded.ids[i] || plain.dist_bits[i] != bounded.dist_bits[i])
      LP_FAIL("%s k=%lld offset %llu where %s: rank %lld: plain id %lld (bits %08x), bounded id %lld (bits %08x)", name,
              (long long)o->k, (unsigned long long)o->offset, o->where ? o->where : "-", (long long)i,
              (long long)plain.ids[i], plain.dist_bits[i], (long long)bounded.ids[i], bounded.dist_bits[i]);
  queries_compared++;
}

static void check_table(lp_db *db, const char *name, size_t dim, shape sh) {
  make_table(db, name, dim, sh);
  float *q = malloc(dim * sizeof *q);
  for (int qi = 0; qi < 6; qi++) {
    for (size_t d = 0; d < dim; d++) /* near a row, exactly a row (ties at 0 for duplicates), far outside */
      q[d] = qi == 0 ? value(sh, 17, d) : qi == 5 ? uniform(-30, 30)
             : sh == ON_GRID ? value(sh, (size_t)qi * 131, d) + (float)(qi % 2)
                             : value(sh, (size_t)qi * 131, d) + uniform(-0.02f, 0.02f);
    lp_search_options o;
    lp_search_options_init(&o);
    o.vector = q;
    o.dim = dim;
    int64_t ks[] = {1, 10, 57};
    for (size_t ki = 0; ki < 3; ki++) {
      o.k = ks[ki];
      o.offset = 0;
      o.where = NULL;
      o.postfilter = false;
      compare_paths(db, name, &o);
      o.offset = 7;
      compare_paths(db, name, &o);
      o.offset = 0;
      o.where = "cat = 2";
      compare_paths(db, name, &o);
      o.postfilter = true;
      compare_paths(db, name, &o);
      o.postfilter = false;
      o.where = "id < 30"; /* fewer eligible rows than k */
      compare_paths(db, name, &o);
      o.n_threads = 1;
      o.where = NULL;
      compare_paths(db, name, &o);
      o.n_threads = 0;
    }
  }
  free(q);
}

int main(void) {
  check_kernels();
  check_bounds();

  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  char dir[4096], cmd[9000];
  snprintf(dir, sizeof dir, "%s/search_sq8", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK_EQ(system(cmd), 0);
  lp_db *db = NULL;
  lp_error err = {0};
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  uint64_t chunks0, refined0, chunks1, refined1;
  lp__search_sq8_counts(&chunks0, &refined0);
  check_table(db, "uniform384", 384, UNIFORM);
  lp__search_sq8_counts(&chunks1, &refined1);
  CHECK_GT(chunks1, chunks0);
  /* Pruning: 108 bounded queries over about 5,300 rows each; far fewer measured exactly. */
  CHECK_LT(refined1 - refined0, 108u * 5300u / 4u);
  check_table(db, "dups37", 37, DUPLICATES);
  check_table(db, "stretched16", 16, STRETCHED);
  check_table(db, "wild8", 8, WILD);
  check_table(db, "grid24", 24, ON_GRID);
  lp_db_close(db);
  printf("search sq8: %d queries, bounded and plain passes agree to the bit\n", queries_compared);
  return 0;
}
