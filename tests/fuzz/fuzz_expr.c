/* Fuzz target: `update --set` value text -> parse -> bind as a value of each kind of target column (cast
 * with DataFusion's rules), and as a new column's value in its own type (`alter --add`) -> evaluate into
 * an Arrow array over a small batch with nulls. Failures are
 * crashes, sanitizer reports and leaks; also checks the result's length and that a non-nullable target
 * (or new column) never gets a NULL. */
#include <stdint.h>
#include <stdlib.h>

#include "arrow_build.h"
#include "query/predicate.h"

enum { NR = 40, NC = 6, NT = 10 };
static lp__field g_fields[NC], g_targets[NT];
static struct ArrowArray *g_cols[NC];

static void setup(void) {
  static const char *names[NC] = {"id", "n", "x", "s", "d", "ts"};
  static const lp__type types[NC] = {LP__TYPE_INT64, LP__TYPE_INT32, LP__TYPE_FLOAT64,
                                     LP__TYPE_UTF8,  LP__TYPE_DATE32, LP__TYPE_TIMESTAMP};
  for (int c = 0; c < NC; c++) g_fields[c].name = (char *)names[c], g_fields[c].type = types[c], g_fields[c].nullable = true;
  g_fields[5].unit = LP__UNIT_US;
  static const lp__type tt[NT] = {LP__TYPE_INT8,   LP__TYPE_UINT32, LP__TYPE_INT64,        LP__TYPE_FLOAT16,
                                  LP__TYPE_FLOAT32, LP__TYPE_UTF8,  LP__TYPE_LARGE_BINARY, LP__TYPE_BOOL,
                                  LP__TYPE_DATE32, LP__TYPE_TIMESTAMP};
  for (int t = 0; t < NT; t++) g_targets[t].name = "target", g_targets[t].type = tt[t], g_targets[t].nullable = t % 2;
  g_targets[NT - 1].unit = LP__UNIT_MS;
  int64_t i64[NR];
  int32_t i32[NR];
  double x[NR];
  bool nul[NR];
  const char *s[NR];
  static const char *words[] = {"abc", "", "ä", "12", "-3.5", "2024-01-02", "true", NULL};
  for (int r = 0; r < NR; r++) {
    i64[r] = r * 1000003 - 20;
    i32[r] = r % 7 - 3;
    x[r] = r / 4.0 - 3;
    nul[r] = r % 6 == 2;
    s[r] = words[r % 8];
  }
  g_cols[0] = ab_prim(NR, 8, i64, NULL);
  g_cols[1] = ab_prim(NR, 4, i32, nul);
  g_cols[2] = ab_prim(NR, 8, x, nul);
  g_cols[3] = ab_str(NR, s, NULL, false);
  g_cols[4] = ab_prim(NR, 4, i32, nul);
  g_cols[5] = ab_prim(NR, 8, i64, nul);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_cols[0] == NULL) setup();
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  for (size_t i = 0; i < size; i++) text[i] = data[i] ? (char)data[i] : ' '; /* C text: no NUL inside */
  text[size] = '\0';
  for (int t = 0; t < NT; t++) {
    lp__expr *e = NULL;
    if (lp__expr_compile(text, g_fields, NC, &g_targets[t], &e, NULL) != LP_OK) continue;
    struct ArrowArray out;
    if (lp__expr_eval(e, (const struct ArrowArray *const *)g_cols, NC, NR, &out, NULL) == LP_OK) {
      if (out.length != NR || (!g_targets[t].nullable && out.null_count != 0)) abort();
      out.release(&out);
    }
    lp__expr_free(e);
  }
  /* as a new column's value (alter --add): its own type; a column said not nullable never gets a NULL */
  lp__field f;
  lp__expr *e = NULL;
  if (lp__expr_compile_new(text, g_fields, NC, "new", &f, &e, NULL) == LP_OK) {
    struct ArrowArray out;
    if (lp__expr_eval(e, (const struct ArrowArray *const *)g_cols, NC, NR, &out, NULL) == LP_OK) {
      if (out.length != NR || (!f.nullable && out.null_count != 0)) abort();
      out.release(&out);
    }
    lp__expr_free(e);
    lp__field_reset(&f);
  }
  free(text);
  return 0;
}
