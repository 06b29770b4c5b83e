/* Argument parsing and table opening shared by the read commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
  const char *name;
  unsigned bit;
} options[] = {
    {"--version", LP_CLI_OPT_VERSION},
    {"--tag", LP_CLI_OPT_VERSION}, /* a tagged version: wherever --version is accepted */
    {"--columns", LP_CLI_OPT_COLUMNS},
    {"--limit", LP_CLI_OPT_LIMIT},
    {"--offset", LP_CLI_OPT_OFFSET},
    {"--where", LP_CLI_OPT_WHERE},
    {"--vector", LP_CLI_OPT_VECTOR},
    {"--column", LP_CLI_OPT_COLUMN},
    {"--k", LP_CLI_OPT_K},
    {"--metric", LP_CLI_OPT_METRIC},
    {"--postfilter", LP_CLI_OPT_POSTFILTER},
    {"--nprobes", LP_CLI_OPT_NPROBES},
    {"--refine-factor", LP_CLI_OPT_REFINE},
    {"--bypass-index", LP_CLI_OPT_BYPASS_INDEX},
    {"--fast-search", LP_CLI_OPT_FAST_SEARCH},
    {"--text", LP_CLI_OPT_TEXT},
    {"--text-column", LP_CLI_OPT_TEXT_COLUMN},
    {"--operator", LP_CLI_OPT_OPERATOR},
    {"--phrase", LP_CLI_OPT_PHRASE},
    {"--fuzziness", LP_CLI_OPT_FUZZINESS},
    {"--rerank", LP_CLI_OPT_RERANK},
    {"--alpha", LP_CLI_OPT_ALPHA},
    {"--with-row-id", LP_CLI_OPT_WITH_ROW_ID},
};

static bool parse_u64(const char *text, uint64_t *out) {
  char *end;
  if (text[0] < '0' || text[0] > '9') return false; /* no sign, no space */
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

/* Split "a,b,c" in place into a->columns. Empty names are a usage error. */
static int split_columns(lp__cli_args *a, const char *text, const char *usage) {
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  a->columns_text = strdup(text);
  a->columns = calloc(n, sizeof *a->columns);
  if (a->columns_text == NULL || a->columns == NULL) return lp__cli_fail("out of memory");
  char *p = a->columns_text;
  for (size_t i = 0; i < n; i++) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (*p == '\0') return lp__cli_usage(usage, "--columns: empty column name in '%s'", text);
    a->columns[i] = p;
    p = comma ? comma + 1 : p + strlen(p);
  }
  a->n_columns = n;
  return 0;
}

static int set_option(lp__cli_args *a, unsigned bit, const char *name, const char *value, const char *usage) {
  switch (bit) {
  case LP_CLI_OPT_VERSION:
    if (a->version != LP_VERSION_LATEST || a->tag != NULL) return lp__cli_usage(usage, "give --version or --tag once");
    if (strcmp(name, "--tag") == 0) {
      a->tag = value;
      return 0;
    }
    if (!parse_u64(value, &a->version) || a->version == 0)
      return lp__cli_usage(usage, "%s: expected a version number >= 1, found '%s'", name, value);
    return 0;
  case LP_CLI_OPT_LIMIT:
    if (!parse_u64(value, &a->limit)) return lp__cli_usage(usage, "%s: expected a row count, found '%s'", name, value);
    return 0;
  case LP_CLI_OPT_OFFSET:
    if (!parse_u64(value, &a->offset)) return lp__cli_usage(usage, "%s: expected a row count, found '%s'", name, value);
    return 0;
  case LP_CLI_OPT_WHERE: a->where = value; return 0;
  case LP_CLI_OPT_VECTOR: a->vector = value; return 0;
  case LP_CLI_OPT_COLUMN: a->column = value; return 0;
  case LP_CLI_OPT_K: a->k = value; return 0;
  case LP_CLI_OPT_METRIC: a->metric = value; return 0;
  case LP_CLI_OPT_NPROBES: a->nprobes = value; return 0;
  case LP_CLI_OPT_REFINE: a->refine = value; return 0;
  case LP_CLI_OPT_TEXT: a->text = value; return 0;
  case LP_CLI_OPT_TEXT_COLUMN: a->text_column = value; return 0;
  case LP_CLI_OPT_OPERATOR: a->op = value; return 0;
  case LP_CLI_OPT_FUZZINESS: a->fuzziness = value; return 0;
  case LP_CLI_OPT_RERANK: a->rerank = value; return 0;
  case LP_CLI_OPT_ALPHA: a->alpha = value; return 0;
  default:
    if (a->columns != NULL) return lp__cli_usage(usage, "%s given twice", name);
    return split_columns(a, value, usage);
  }
}

int lp__cli_parse(int argc, char **argv, const char *usage, int n_pos, unsigned allowed, lp__cli_args *out) {
  memset(out, 0, sizeof *out);
  out->version = LP_VERSION_LATEST;
  out->limit = UINT64_MAX;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
      if (out->n_pos == n_pos || out->n_pos == (int)(sizeof out->pos / sizeof out->pos[0]))
        return lp__cli_usage(usage, "unexpected argument '%s'", arg);
      out->pos[out->n_pos++] = arg;
      continue;
    }
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    unsigned bit = 0;
    const char *name = NULL;
    for (size_t k = 0; k < sizeof options / sizeof options[0]; k++)
      if (strlen(options[k].name) == name_len && strncmp(arg, options[k].name, name_len) == 0) {
        bit = options[k].bit;
        name = options[k].name;
      }
    if ((bit & allowed) == 0) return lp__cli_usage(usage, "unknown option '%.*s'", (int)name_len, arg);
    const char *value = eq ? eq + 1 : NULL;
    if (bit == LP_CLI_OPT_POSTFILTER || bit == LP_CLI_OPT_BYPASS_INDEX || bit == LP_CLI_OPT_FAST_SEARCH ||
        bit == LP_CLI_OPT_PHRASE || bit == LP_CLI_OPT_WITH_ROW_ID) { /* flags */
      if (value != NULL) return lp__cli_usage(usage, "%s takes no value", name);
      if (bit == LP_CLI_OPT_POSTFILTER) out->postfilter = true;
      if (bit == LP_CLI_OPT_BYPASS_INDEX) out->bypass_index = true;
      if (bit == LP_CLI_OPT_FAST_SEARCH) out->fast_search = true;
      if (bit == LP_CLI_OPT_PHRASE) out->phrase = true;
      if (bit == LP_CLI_OPT_WITH_ROW_ID) out->with_row_id = true;
      continue;
    }
    if (value == NULL) {
      if (i + 1 >= argc) return lp__cli_usage(usage, "%s needs a value", name);
      value = argv[++i];
    }
    int rc = set_option(out, bit, name, value, usage);
    if (rc != 0) return rc;
  }
  if (out->n_pos != n_pos)
    return lp__cli_usage(usage, "expected %d argument%s, found %d", n_pos, n_pos == 1 ? "" : "s", out->n_pos);
  return 0;
}

void lp__cli_args_reset(lp__cli_args *a) {
  free(a->columns);
  free(a->columns_text);
  a->columns = NULL;
  a->columns_text = NULL;
}

int lp__cli_open_table(const char *dir, const char *name, uint64_t version, const char *tag, lp_db **out_db,
                       lp_table **out_table) {
  lp_error err = {0};
  *out_db = NULL;
  *out_table = NULL;
  if (lp__cli_db_open(dir, out_db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  if ((tag && lp_db_tag_version(*out_db, name, tag, &version, &err) != LP_OK) ||
      lp_table_open(*out_db, name, version, out_table, &err) != LP_OK) {
    lp_db_close(*out_db);
    *out_db = NULL;
    return lp__cli_fail("%s", err.message);
  }
  return 0;
}
