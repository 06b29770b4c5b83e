/* `lancepool search DB TABLE --vector '[0.1, ...]' [--column C] [--k 10] [--metric l2|cosine|dot]
 * [--where PRED] [--postfilter] [--columns a,b] [--version N] [--nprobes N] [--refine-factor R]
 * [--bypass-index] [--fast-search] [--with-row-id]`: the k nearest live rows, one JSON object per line in
 * rank order, in the `dump` mapping, with `_distance` (float32) last (then `_rowid` when asked). LanceDB's
 * IVF_FLAT / IVF_PQ index on the column is used as LanceDB uses it (nprobes, refine factor, fast search);
 * --bypass-index searches exactly.
 * With `--text 'QUERY' [--text-column C] [--operator or|and] [--phrase] [--fuzziness N|auto]` instead: BM25
 * full-text search, `_score` last. With both --vector and --text: hybrid search fused by `--rerank rrf`
 * (default) or `linear` (`--alpha A`), `_relevance_score` last. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int parse_text_options(const lp__cli_args *a, lp_text_search_options *t) {
  lp_text_search_options_init(t);
  t->query = a->text;
  t->column = a->text_column;
  t->phrase = a->phrase;
  if (a->op != NULL) {
    if (strcasecmp(a->op, "or") == 0) t->op = LP_FTS_OR;
    else if (strcasecmp(a->op, "and") == 0) t->op = LP_FTS_AND;
    else return lp__cli_usage(SEARCH_USAGE, "--operator: expected 'or' or 'and', found '%s'", a->op);
  }
  if (a->fuzziness != NULL) {
    char *end;
    errno = 0;
    long v = strtol(a->fuzziness, &end, 10);
    if (strcmp(a->fuzziness, "auto") == 0) t->fuzziness = -1;
    else if (errno != 0 || end == a->fuzziness || *end != '\0' || v < 0 || v > 16)
      return lp__cli_usage(SEARCH_USAGE, "--fuzziness: expected 0 to 16 or 'auto', found '%s'", a->fuzziness);
    else t->fuzziness = (int32_t)v;
  }
  return 0;
}

static int parse_hybrid_options(const lp__cli_args *a, lp_hybrid_search_options *h) {
  if (a->rerank != NULL) {
    if (strcasecmp(a->rerank, "rrf") == 0) h->rerank = LP_RERANK_RRF;
    else if (strcasecmp(a->rerank, "linear") == 0) h->rerank = LP_RERANK_LINEAR;
    else return lp__cli_usage(SEARCH_USAGE, "--rerank: expected 'rrf' or 'linear', found '%s'", a->rerank);
  }
  if (a->alpha != NULL) {
    char *end;
    errno = 0;
    double v = strtod(a->alpha, &end);
    if (errno != 0 || end == a->alpha || *end != '\0' || !(v >= 0 && v <= 1))
      return lp__cli_usage(SEARCH_USAGE, "--alpha: expected a number from 0 to 1, found '%s'", a->alpha);
    h->alpha = v;
  }
  return 0;
}

/* Text-only options without --text, hybrid-only options without both legs: usage errors. */
static int check_combination(const lp__cli_args *a) {
  if (a->text == NULL && (a->text_column || a->op || a->phrase || a->fuzziness))
    return lp__cli_usage(SEARCH_USAGE, "--text-column, --operator, --phrase and --fuzziness need --text");
  if ((a->rerank || a->alpha) && (a->text == NULL || a->vector == NULL))
    return lp__cli_usage(SEARCH_USAGE, "--rerank and --alpha need both --vector and --text (hybrid search)");
  if (a->text != NULL && a->postfilter) return lp__cli_usage(SEARCH_USAGE, "--postfilter applies to vector search only");
  if (a->text != NULL && a->with_row_id)
    return lp__cli_usage(SEARCH_USAGE, "--with-row-id applies to vector search only (lancepool does not add it to text or hybrid results yet)");
  if (a->vector == NULL && a->text == NULL) return lp__cli_usage(SEARCH_USAGE, "--vector or --text is required");
  return 0;
}

/* Run the search the options ask for into res/sch. */
static lp_status run_search(lp_table *t, const lp__cli_args *a, lp_search_options *v, const lp_text_search_options *tx,
                            lp_hybrid_search_options *h, struct ArrowArray *res, struct ArrowSchema *sch, lp_error *err) {
  if (a->text == NULL) return lp_table_search(t, v, res, sch, err);
  if (a->vector == NULL) return lp_table_text_search(t, tx, res, sch, err);
  h->vector = *v;
  h->text = *tx;
  h->k = v->k;
  h->where = a->where;
  h->columns = a->columns;
  h->n_columns = a->n_columns;
  return lp_table_hybrid_search(t, h, res, sch, err);
}

int lp__cli_search(int argc, char **argv) {
  lp__cli_args a;
  unsigned allowed = LP_CLI_OPT_VERSION | LP_CLI_OPT_COLUMNS | LP_CLI_OPT_WHERE | LP_CLI_OPT_VECTOR | LP_CLI_OPT_COLUMN |
                     LP_CLI_OPT_K | LP_CLI_OPT_METRIC | LP_CLI_OPT_POSTFILTER | LP_CLI_OPT_NPROBES | LP_CLI_OPT_REFINE |
                     LP_CLI_OPT_BYPASS_INDEX | LP_CLI_OPT_FAST_SEARCH | LP_CLI_OPT_TEXT | LP_CLI_OPT_TEXT_COLUMN |
                     LP_CLI_OPT_OPERATOR | LP_CLI_OPT_PHRASE | LP_CLI_OPT_FUZZINESS | LP_CLI_OPT_RERANK | LP_CLI_OPT_ALPHA |
                     LP_CLI_OPT_WITH_ROW_ID;
  int rc = lp__cli_parse(argc, argv, SEARCH_USAGE, 2, allowed, &a);
  lp_search_options o;
  lp_search_options_init(&o);
  lp_text_search_options tx;
  lp_text_search_options_init(&tx);
  lp_hybrid_search_options h;
  lp_hybrid_search_options_init(&h);
  float *vec = NULL;
  lp_error err = {0};
  if (rc == 0) rc = check_combination(&a);
  if (rc == 0 && a.vector != NULL) rc = parse_vector(a.vector, &vec, &o.dim);
  if (rc == 0 && a.text != NULL) rc = parse_text_options(&a, &tx);
  if (rc == 0) rc = parse_hybrid_options(&a, &h);
  if (rc == 0 && a.k) rc = parse_k(a.k, &o.k);
  if (rc == 0 && a.nprobes) rc = parse_count("--nprobes", a.nprobes, &o.nprobes);
  if (rc == 0 && a.refine) rc = parse_count("--refine-factor", a.refine, &o.refine_factor);
  o.bypass_index = a.bypass_index;
  o.fast_search = a.fast_search;
  if (rc == 0 && a.metric && lp_metric_parse(a.metric, &o.metric, &err) != LP_OK)
    rc = lp__cli_fail("--metric: %s", err.message); /* a value error, like k <= 0: exit 1 */
  lp_db *db = NULL;
  lp_table *t = NULL;
  if (rc == 0) rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, a.tag, &db, &t);
  if (rc == 0) {
    o.vector = vec;
    o.column = a.column;
    o.where = a.where;
    o.postfilter = a.postfilter;
    o.with_row_id = a.with_row_id;
    o.columns = a.columns;
    o.n_columns = a.n_columns;
    tx.k = o.k;
    tx.where = a.where;
    tx.columns = a.columns;
    tx.n_columns = a.n_columns;
    struct ArrowArray res = {0};
    struct ArrowSchema sch = {0};
    if (run_search(t, &a, &o, &tx, &h, &res, &sch, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
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
