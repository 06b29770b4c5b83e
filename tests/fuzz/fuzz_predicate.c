/* Fuzz target: predicate text -> parse -> bind against a fixed schema -> evaluate on a small fixed batch
 * with nulls (every column type the evaluator reads, under the names the oracle's filters use, so its
 * seeds reach the evaluator: arithmetic, casts, functions, regexes; and the pseudo-columns _rowid and
 * _rowaddr; list columns tags, ns, fx, fs for the list functions). Failures are crashes, sanitizer
 * reports and leaks; also checks that the selection count matches the bitmap. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "arrow_build.h"
#include "query/predicate.h"

enum { NR = 70, NC = 23, NI = 3 * NR };
static lp__field g_fields[NC], g_kids[2], g_items[3];
static struct ArrowArray *g_batch;
static uint64_t g_rowids[2][NR]; /* _rowid (stable-looking ids) and _rowaddr (fragment << 32 | row) */

static void setup(void) {
  static const char *names[NC] = {"id", "i", "u", "f", "g", "h", "s", "ls", "b", "d", "ts", "st",
                                  "i8", "my col", "a", "c", "e", "bn", "tsm", "tags", "ns", "fx", "fs"};
  static const lp__type types[NC] = {LP__TYPE_INT64, LP__TYPE_INT8, LP__TYPE_UINT16, LP__TYPE_FLOAT32,
                                     LP__TYPE_FLOAT64, LP__TYPE_FLOAT16, LP__TYPE_UTF8, LP__TYPE_LARGE_BINARY,
                                     LP__TYPE_BOOL, LP__TYPE_DATE32, LP__TYPE_TIMESTAMP, LP__TYPE_STRUCT,
                                     LP__TYPE_INT8, LP__TYPE_INT32, LP__TYPE_INT16, LP__TYPE_UINT16,
                                     LP__TYPE_UINT64, LP__TYPE_BINARY, LP__TYPE_TIMESTAMP, LP__TYPE_LIST,
                                     LP__TYPE_LIST, LP__TYPE_FIXED_SIZE_LIST, LP__TYPE_LARGE_LIST};
  for (int c = 0; c < NC; c++) g_fields[c].name = (char *)names[c], g_fields[c].type = types[c];
  g_fields[10].unit = LP__UNIT_NS;
  g_fields[18].unit = LP__UNIT_MS;
  g_kids[0].name = "x", g_kids[0].type = LP__TYPE_UINT64;
  g_kids[1].name = "y", g_kids[1].type = LP__TYPE_STRUCT; /* empty struct member */
  g_fields[11].children = g_kids;
  g_fields[11].n_children = 2;
  static const lp__type item_types[3] = {LP__TYPE_UTF8, LP__TYPE_INT32, LP__TYPE_FLOAT64};
  for (int k = 0; k < 3; k++) g_items[k].name = "item", g_items[k].type = item_types[k];
  g_fields[19].children = &g_items[0], g_fields[19].n_children = 1;
  g_fields[20].children = &g_items[1], g_fields[20].n_children = 1;
  g_fields[21].elem_type = LP__TYPE_INT32, g_fields[21].list_size = 3;
  g_fields[22].children = &g_items[2], g_fields[22].n_children = 1;
  int64_t i64[NR];
  int8_t i8[NR];
  uint16_t u16[NR], h[NR];
  float f[NR];
  double g[NR];
  bool b[NR], nul[NR];
  int32_t d[NR], i32[NR];
  int16_t i16[NR];
  uint64_t u64[NR];
  const char *s[NR];
  static const char *words[] = {"abc", "", "ä", "日本", "a%b", "a_b", "\\", "x y", NULL};
  for (int r = 0; r < NR; r++) {
    i64[r] = r - 35;
    i8[r] = (int8_t)(r * 37);
    u16[r] = (uint16_t)(r * 1000);
    h[r] = (uint16_t)(r * 997);
    f[r] = r % 7 == 0 ? NAN : (float)r / 3.0f - 5;
    g[r] = r % 11 == 0 ? -0.0 : (double)r * 1e10;
    b[r] = r % 3 == 0;
    nul[r] = r % 5 == 1;
    d[r] = r * 400 - 10000;
    u64[r] = (uint64_t)r << 58;
    s[r] = words[r % 9];
    i32[r] = r % 5 - 2;
    i16[r] = (int16_t)(r * 1013 - 32768);
  }
  /* lists of 0..4 items (row r has r % 5), items with nulls; every 7th list NULL */
  int64_t offs[NR + 1];
  bool list_null[NR], item_null[NI];
  const char *item_s[NI];
  int32_t item_i[NI];
  double item_f[NI];
  offs[0] = 0;
  for (int r = 0; r < NR; r++) offs[r + 1] = offs[r] + r % 5, list_null[r] = r % 7 == 3;
  for (int k = 0; k < NI; k++) {
    item_null[k] = k % 9 == 4;
    item_s[k] = item_null[k] ? NULL : words[k % 8];
    item_i[k] = k % 11 - 5;
    item_f[k] = k % 6 == 0 ? NAN : k * 0.5 - 3;
  }
  struct ArrowArray *kids[2] = {ab_prim(NR, 8, u64, nul), ab_struct(NR, NULL, 0, NULL)};
  struct ArrowArray *cols[NC] = {ab_prim(NR, 8, i64, NULL), ab_prim(NR, 1, i8, nul), ab_prim(NR, 2, u16, nul),
                                 ab_prim(NR, 4, f, nul),    ab_prim(NR, 8, g, NULL), ab_prim(NR, 2, h, nul),
                                 ab_str(NR, s, NULL, false), ab_str(NR, s, NULL, true), ab_bool(NR, b, nul),
                                 ab_prim(NR, 4, d, nul),    ab_prim(NR, 8, i64, nul), ab_struct(NR, kids, 2, b),
                                 ab_prim(NR, 1, i8, NULL),  ab_prim(NR, 4, i32, nul), ab_prim(NR, 2, i16, nul),
                                 ab_prim(NR, 2, h, NULL),   ab_prim(NR, 8, u64, nul), ab_str(NR, s, NULL, false),
                                 ab_prim(NR, 8, i64, NULL),
                                 ab_list(NR, offs, ab_str(NI, item_s, NULL, false), list_null, false),
                                 ab_list(NR, offs, ab_prim(NI, 4, item_i, item_null), list_null, false),
                                 ab_fixed_list(NR, ab_prim(NI, 4, item_i, item_null), list_null),
                                 ab_list(NR, offs, ab_prim(NI, 8, item_f, item_null), list_null, true)};
  for (int r = 0; r < NR; r++) {
    g_rowids[0][r] = (uint64_t)r * 3;
    g_rowids[1][r] = (uint64_t)(r / 20) << 32 | (uint64_t)(r % 20);
  }
  g_batch = ab_struct(NR, cols, NC, NULL);
  g_batch->offset = 3; /* rows 3..69 */
  g_batch->length = NR - 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_batch == NULL) setup();
  lp__pred *p = NULL;
  lp_error err;
  if (lp__pred_parse((const char *)data, size, &p, &err) != LP_OK) return 0;
  char *text = lp__pred_to_string(p);
  free(text);
  lp__pred_bound *b = NULL;
  if (lp__pred_bind(p, g_fields, NC, &b, &err) == LP_OK) {
    uint8_t bits[NR / 8 + 1];
    int64_t cnt = -1, n = g_batch->length;
    lp_status rc;
    if (lp__pred_bound_pseudo(b) == 0) {
      rc = lp__pred_eval(b, g_batch, bits, &cnt, &err);
    } else { /* _rowid / _rowaddr: the loose columns plus the two pseudo-columns */
      const struct ArrowArray *cols[NC + LP__PRED_N_PSEUDO];
      for (int c = 0; c < NC; c++) cols[c] = g_batch->children[c];
      const void *bufs[LP__PRED_N_PSEUDO][2];
      struct ArrowArray views[LP__PRED_N_PSEUDO];
      for (int k = 0; k < LP__PRED_N_PSEUDO; k++) {
        lp__pred_u64_view(g_rowids[k], NR, bufs[k], &views[k]);
        cols[NC + k] = &views[k];
      }
      n = NR;
      rc = lp__pred_eval_columns(b, cols, NC + LP__PRED_N_PSEUDO, NR, bits, &cnt, &err);
    }
    if (rc == LP_OK) {
      int64_t pop = 0;
      for (int64_t r = 0; r < n; r++) pop += bits[r / 8] >> (r % 8) & 1;
      if (pop != cnt) __builtin_trap();
    }
    lp__pred_bound_free(b);
  }
  lp__pred_free(p);
  return 0;
}
