/* `lancepool update DB TABLE --set 'col = EXPR, col2 = EXPR' [--where PRED]`: set columns to computed
 * values in the matching rows (LanceDB's update with SQL values); prints "<rows updated> <version>". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/write_cli.h"

#define MAX_SET 256 /* columns in one --set */

/* Bytes of text up to the next top-level `stop` character (outside quotes, back quotes and parentheses),
 * or to the end. */
static size_t top_level_span(const char *text, char stop) {
  int depth = 0;
  char quote = 0;
  size_t i = 0;
  for (; text[i]; i++) {
    char ch = text[i];
    if (quote) {
      if (ch == quote) quote = 0; /* a doubled quote reopens at once: same result */
    } else if (ch == '\'' || ch == '"' || ch == '`') {
      quote = ch;
    } else if (ch == '(' || ch == '[') {
      depth++;
    } else if ((ch == ')' || ch == ']') && depth > 0) {
      depth--;
    } else if (ch == stop && depth == 0) {
      /* '=' of '<=', '>=', '!=', '==' belongs to a comparison, not to the assignment */
      if (stop != '=' || i == 0 || !strchr("<>!=", text[i - 1])) break;
    }
  }
  return i;
}

/* Copy of text[0..n) without surrounding blanks; a `back quoted` name loses its quotes. NULL when empty. */
static char *trimmed(const char *text, size_t n, bool unquote) {
  while (n > 0 && (*text == ' ' || *text == '\t' || *text == '\n')) text++, n--;
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n')) n--;
  if (unquote && n >= 2 && text[0] == '`' && text[n - 1] == '`') text++, n -= 2;
  return n ? strndup(text, n) : NULL;
}

typedef struct set_items {
  char *col[MAX_SET], *val[MAX_SET];
  size_t n;
} set_items;

static void items_free(set_items *s) {
  for (size_t i = 0; i < s->n; i++) free(s->col[i]), free(s->val[i]);
  s->n = 0;
}

/* Split 'a = EXPR, b = EXPR' into names and expressions; prints a usage error and returns its status. */
static int split_set(const char *text, set_items *out) {
  out->n = 0;
  while (*text) {
    size_t item = top_level_span(text, ',');
    size_t eq = top_level_span(text, '=');
    if (out->n == MAX_SET) return lp__cli_usage(UPDATE_USAGE, "--set: more than %d columns", MAX_SET);
    if (eq >= item) return lp__cli_usage(UPDATE_USAGE, "--set: expected 'column = expression', found '%.*s'", (int)item, text);
    out->col[out->n] = trimmed(text, eq, true);
    out->val[out->n] = trimmed(text + eq + 1, item - eq - 1, false);
    out->n++;
    if (out->col[out->n - 1] == NULL || out->val[out->n - 1] == NULL)
      return lp__cli_usage(UPDATE_USAGE, "--set: expected 'column = expression', found '%.*s'", (int)item, text);
    text += item;
    if (*text == ',') text++;
  }
  if (out->n == 0) return lp__cli_usage(UPDATE_USAGE, "--set: no column to set");
  return 0;
}

static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  (void)rows;
  set_items s;
  memset(&s, 0, sizeof s);
  if (split_set(a->set, &s) != 0) {
    items_free(&s);
    return lp_error_set(err, LP_EINVAL, "bad --set");
  }
  uint64_t n = 0, version = 0;
  lp_status rc = lp_db_update(db, a->pos[1], (const char *const *)s.col, (const char *const *)s.val, s.n, a->where, o,
                              &n, &version, err);
  items_free(&s);
  if (rc == LP_OK) snprintf(out, cap, "%" PRIu64 " %" PRIu64, n, version);
  return rc;
}

int lp__cli_update(int argc, char **argv) {
  lp__wargs a;
  int st = lp__wargs_parse(argc, argv, UPDATE_USAGE, W_SET | W_WHERE, W_SET, &a);
  if (st != 0) return st;
  set_items s;
  st = split_set(a.set, &s); /* a usage error before the database is opened */
  items_free(&s);
  if (st != 0) return st;
  return lp__cli_write_run_some(argc, argv, UPDATE_USAGE, W_SET | W_WHERE, W_SET, false, run);
}
