/* `lancepool search DB TABLE --vector '[0.1, ...]' [--column C] [--k 10] [--metric l2|cosine|dot]
 * [--where PRED] [--postfilter] [--columns a,b] [--version N] [--nprobes N] [--refine-factor R]
 * [--bypass-index] [--fast-search]`: the k nearest live rows, one JSON object per line in rank order, in
 * the `dump` mapping, with `_distance` (float32) last. LanceDB's IVF_FLAT / IVF_PQ index on the column is
 * used as LanceDB uses it (nprobes, refine factor, fast search); --bypass-index searches exactly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"

#define MAX_DIM (1u << 20)

/* Parse "[1, 2.5, -3e-2]" (JSON array of numbers; nan/inf are read too, for the engine to refuse). */
static int parse_vector(const char *text, float **out, size_t *out_n) {
  const char *p = text;
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  if (*p != '[') return lp__cli_usage(SEARCH_USAGE, "--vector: expected '[' to start a list of numbers, found '%s'", text);
  p++;
  size_t cap = 64, n = 0;
  float *v = malloc(cap * sizeof *v);
  if (v == NULL) return lp__cli_fail("out of memory");
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (*p == ']' && n == 0) {
      p++;
      break;
    }
    char *end;
    errno = 0;
    double d = strtod(p, &end);
    if (end == p || n >= MAX_DIM) {
      free(v);
      return lp__cli_usage(SEARCH_USAGE, "--vector: value %zu is not a number: '%.20s'", n + 1, p);
    }
    if (n == cap) {
      float *w = realloc(v, (cap *= 2) * sizeof *v);
      if (w == NULL) {
        free(v);
        return lp__cli_fail("out of memory");
      }
      v = w;
    }
    v[n++] = (float)d;
    p = end;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == ']') {
      p++;
      break;
    }
    free(v);
    return lp__cli_usage(SEARCH_USAGE, "--vector: expected ',' or ']' after value %zu, found '%.20s'", n, p);
  }
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  if (*p != '\0') {
    free(v);
    return lp__cli_usage(SEARCH_USAGE, "--vector: unexpected text after ']': '%.20s'", p);
  }
  *out = v;
  *out_n = n;
  return 0;
}

/* A count option (--nprobes, --refine-factor): a positive integer. */
static int parse_count(const char *name, const char *text, int *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v <= 0 || v > (1L << 20))
    return lp__cli_usage(SEARCH_USAGE, "%s: expected a positive integer, found '%s'", name, text);
  *out = (int)v;
  return 0;
}

static int parse_k(const char *text, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return lp__cli_usage(SEARCH_USAGE, "--k: expected an integer, found '%s'", text);
  *out = v;
  return 0;
}

static int write_result(const struct ArrowArray *a, const struct ArrowSchema *s) {
  lp_error err = {0};
  lp__json_out out = {0};
  lp__json_plan *plan = NULL;
  int rc = 0;
  if (lp__json_out_init(&out, stdout, 1u << 16, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  if (lp__json_plan_create(s, &plan, &err) != LP_OK || lp__json_write_rows(&out, plan, a, &err) != LP_OK ||
      lp__json_out_flush(&out, &err) != LP_OK)
    rc = lp__cli_fail("%s", err.message);
  lp__json_plan_free(plan);
  lp__json_out_reset(&out);
  return rc;
}

int lp__cli_search(int argc, char **argv) {
  lp__cli_args a;
  unsigned allowed = LP_CLI_OPT_VERSION | LP_CLI_OPT_COLUMNS | LP_CLI_OPT_WHERE | LP_CLI_OPT_VECTOR | LP_CLI_OPT_COLUMN |
                     LP_CLI_OPT_K | LP_CLI_OPT_METRIC | LP_CLI_OPT_POSTFILTER | LP_CLI_OPT_NPROBES | LP_CLI_OPT_REFINE |
                     LP_CLI_OPT_BYPASS_INDEX | LP_CLI_OPT_FAST_SEARCH;
  int rc = lp__cli_parse(argc, argv, SEARCH_USAGE, 2, allowed, &a);
  lp_search_options o;
  lp_search_options_init(&o);
  float *vec = NULL;
  lp_error err = {0};
  if (rc == 0 && a.vector == NULL) rc = lp__cli_usage(SEARCH_USAGE, "--vector is required");
  if (rc == 0) rc = parse_vector(a.vector, &vec, &o.dim);
  if (rc == 0 && a.k) rc = parse_k(a.k, &o.k);
  if (rc == 0 && a.nprobes) rc = parse_count("--nprobes", a.nprobes, &o.nprobes);
  if (rc == 0 && a.refine) rc = parse_count("--refine-factor", a.refine, &o.refine_factor);
  o.bypass_index = a.bypass_index;
  o.fast_search = a.fast_search;
  if (rc == 0 && a.metric && lp_metric_parse(a.metric, &o.metric, &err) != LP_OK)
    rc = lp__cli_fail("--metric: %s", err.message); /* a value error, like k <= 0: exit 1 */
  lp_db *db = NULL;
  lp_table *t = NULL;
  if (rc == 0) rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, &db, &t);
  if (rc == 0) {
    o.vector = vec;
    o.column = a.column;
    o.where = a.where;
    o.postfilter = a.postfilter;
    o.columns = a.columns;
    o.n_columns = a.n_columns;
    struct ArrowArray res = {0};
    struct ArrowSchema sch = {0};
    if (lp_table_search(t, &o, &res, &sch, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
    else rc = write_result(&res, &sch);
    if (res.release) res.release(&res);
    if (sch.release) sch.release(&sch);
  }
  lp_table_close(t);
  lp_db_close(db);
  free(vec);
  lp__cli_args_reset(&a);
  return rc;
}
