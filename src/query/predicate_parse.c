/* Predicate text to syntax tree: a hand-written tokenizer and recursive-descent parser for the SQL subset
 * described in predicate.h. Positions in messages are 1-based UTF-8 character offsets. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/predicate_int.h"

typedef enum tok_kind {
  T_EOF,
  T_IDENT,   /* plain identifier or keyword */
  T_QIDENT,  /* `back quoted` identifier */
  T_NUMBER,
  T_STRING,  /* 'single' or "double" quoted */
  T_OP,      /* = != <> < <= > >= */
  T_LPAREN,
  T_RPAREN,
  T_COMMA,
  T_DOT,
  T_MINUS,
  T_PLUS,
  T_ARITH,   /* * / % (aop) */
  T_CONCAT,  /* || */
  T_DCOLON,  /* :: */
  T_LBRACK,  /* [ */
  T_RBRACK,  /* ] */
} tok_kind;

typedef struct tok {
  tok_kind kind;
  size_t start, end; /* byte range in the text */
  char *val;         /* decoded text of identifiers and strings (owned) */
  size_t val_len;
  pn_cmp op;
  char aop;
  bool dq; /* T_STRING in double quotes */
} tok;

typedef struct parser {
  const char *text;
  size_t len;
  size_t at;  /* tokenizer byte cursor */
  tok cur;
  int depth;
  int fn_depth; /* inside a function's arguments, which DataFusion's own SQL planner reads */
  lp_error *err;
  lp_status rc;
} parser;

/* 1-based character offset of a byte offset: counts UTF-8 lead bytes before it. */
static uint32_t char_pos(const char *text, size_t byte_off) {
  uint32_t n = 1;
  for (size_t i = 0; i < byte_off; i++)
    if (((unsigned char)text[i] & 0xC0) != 0x80) n++;
  return n;
}

static void describe(const parser *ps, const tok *t, char *buf, size_t cap) {
  if (t->kind == T_EOF) {
    snprintf(buf, cap, "end of input");
    return;
  }
  size_t n = t->end - t->start;
  if (n > 40) n = 40;
  snprintf(buf, cap, "'%.*s'", (int)n, ps->text + t->start);
}

static lp_status fail_at(parser *ps, lp_status code, size_t byte_off, const char *what) {
  if (ps->rc != LP_OK) return ps->rc;
  ps->rc = lp_error_set(ps->err, code, "predicate: at character %u: %s", char_pos(ps->text, byte_off), what);
  return ps->rc;
}

static lp_status expected(parser *ps, const char *what) {
  char found[64], msg[200];
  describe(ps, &ps->cur, found, sizeof found);
  snprintf(msg, sizeof msg, "expected %s, found %s", what, found);
  return fail_at(ps, LP_EINVAL, ps->cur.start, msg);
}

static lp_status oom(parser *ps) {
  if (ps->rc == LP_OK) ps->rc = lp_error_set(ps->err, LP_ENOMEM, "predicate: out of memory");
  return ps->rc;
}

/* Reads a quoted run starting at the opening quote q; a doubled quote stands for one. */
static lp_status lex_quoted(parser *ps, char q, tok *t) {
  size_t i = ps->at + 1, n = 0;
  char *buf = malloc(ps->len - ps->at + 1);
  if (buf == NULL) return oom(ps);
  for (;;) {
    if (i >= ps->len) {
      free(buf);
      char msg[80];
      snprintf(msg, sizeof msg, "unterminated %s", q == '`' ? "quoted identifier" : "string literal");
      return fail_at(ps, LP_EINVAL, ps->at, msg);
    }
    if (ps->text[i] == q) {
      if (i + 1 < ps->len && ps->text[i + 1] == q) {
        buf[n++] = q;
        i += 2;
        continue;
      }
      i++;
      break;
    }
    buf[n++] = ps->text[i++];
  }
  buf[n] = '\0';
  t->val = buf;
  t->val_len = n;
  t->end = i;
  return LP_OK;
}

static bool is_ident_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static bool is_ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Advance to the next token, freeing the current one's text. */
static lp_status next(parser *ps) {
  free(ps->cur.val);
  memset(&ps->cur, 0, sizeof ps->cur);
  while (ps->at < ps->len && isspace((unsigned char)ps->text[ps->at])) ps->at++;
  tok *t = &ps->cur;
  t->start = ps->at;
  if (ps->at >= ps->len) {
    t->kind = T_EOF;
    t->end = ps->at;
    return LP_OK;
  }
  const char *s = ps->text;
  unsigned char c = (unsigned char)s[ps->at];
  size_t i = ps->at;
  if (c == '\'' || c == '"') {
    t->kind = T_STRING;
    t->dq = c == '"';
    LP_TRY(lex_quoted(ps, (char)c, t));
  } else if (c == '`') {
    t->kind = T_QIDENT;
    LP_TRY(lex_quoted(ps, '`', t));
  } else if (isdigit(c) || (c == '.' && i + 1 < ps->len && isdigit((unsigned char)s[i + 1]))) {
    t->kind = T_NUMBER;
    while (i < ps->len && (isalnum((unsigned char)s[i]) || s[i] == '.' ||
                           ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
      i++;
    t->end = i;
  } else if (is_ident_start(c)) {
    t->kind = T_IDENT;
    while (i < ps->len && is_ident_char((unsigned char)s[i])) i++;
    t->end = i;
    t->val_len = i - ps->at;
    t->val = malloc(t->val_len + 1);
    if (t->val == NULL) return oom(ps);
    memcpy(t->val, s + ps->at, t->val_len);
    t->val[t->val_len] = '\0';
  } else {
    char d = i + 1 < ps->len ? s[i + 1] : '\0';
    t->end = i + 1;
    switch (c) {
    case '(': t->kind = T_LPAREN; break;
    case '[': t->kind = T_LBRACK; break;
    case ']': t->kind = T_RBRACK; break;
    case ')': t->kind = T_RPAREN; break;
    case ',': t->kind = T_COMMA; break;
    case '.': t->kind = T_DOT; break;
    case '-': t->kind = T_MINUS; break;
    case '+': t->kind = T_PLUS; break;
    case '=':
      t->kind = T_OP, t->op = CMP_EQ;
      if (d == '=') t->end = i + 2;
      break;
    case '!':
      if (d != '=') return fail_at(ps, LP_EINVAL, i, "expected '=' after '!'");
      t->kind = T_OP, t->op = CMP_NE, t->end = i + 2;
      break;
    case '<':
      t->kind = T_OP, t->op = CMP_LT;
      if (d == '=') t->op = CMP_LE, t->end = i + 2;
      else if (d == '>') t->op = CMP_NE, t->end = i + 2;
      break;
    case '>':
      t->kind = T_OP, t->op = CMP_GT;
      if (d == '=') t->op = CMP_GE, t->end = i + 2;
      break;
    case '*': case '/': case '%':
      t->kind = T_ARITH, t->aop = (char)c;
      break;
    case '|': case '&': case '^': case '~': case '#': {
      if (c == '|' && d == '|') {
        t->kind = T_CONCAT, t->end = i + 2;
        break;
      }
      /* LanceDB's planner has no bitwise operators */
      char msg[64];
      snprintf(msg, sizeof msg, "operator '%c' is not supported", c);
      return fail_at(ps, LP_EINVAL, i, msg);
    }
    case ':':
      if (d != ':') return fail_at(ps, LP_EINVAL, i, "expected '::' (a cast)");
      t->kind = T_DCOLON, t->end = i + 2;
      break;
    default: {
      char msg[64];
      if (c >= 0x20 && c < 0x7f) snprintf(msg, sizeof msg, "unexpected character '%c'", c);
      else snprintf(msg, sizeof msg, "unexpected byte 0x%02x", c);
      return fail_at(ps, LP_EINVAL, i, msg);
    }
    }
  }
  ps->at = t->end;
  return LP_OK;
}

static bool is_kw(const parser *ps, const char *kw) {
  return ps->cur.kind == T_IDENT && strcasecmp(ps->cur.val, kw) == 0;
}

static bool is_reserved(const char *w) {
  static const char *const words[] = {"and", "or", "not", "in", "between", "like", "ilike", "is", "null",
                                      "true", "false", "escape", "case", "when", "then", "else", "end"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasecmp(w, words[i]) == 0) return true;
  return false;
}

static pn_node *node_new(parser *ps, pn_kind kind, size_t byte_off) {
  pn_node *n = calloc(1, sizeof *n);
  if (n == NULL) {
    oom(ps);
    return NULL;
  }
  n->kind = kind;
  n->pos = char_pos(ps->text, byte_off);
  n->height = 1;
  return n;
}

pn_node *lp__pn_clone(const pn_node *n) {
  if (n == NULL) return NULL;
  pn_node *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  *c = *n;
  c->a = c->b = NULL, c->list = NULL, c->n_list = 0, c->path = NULL, c->n_path = 0, c->s = NULL;
  bool ok = true;
  if (n->s != NULL) {
    c->s = malloc(n->s_len + 1);
    ok = c->s != NULL;
    if (ok) memcpy(c->s, n->s, n->s_len + 1);
  }
  if (ok && n->a != NULL) ok = (c->a = lp__pn_clone(n->a)) != NULL;
  if (ok && n->b != NULL) ok = (c->b = lp__pn_clone(n->b)) != NULL;
  if (ok && n->n_path > 0) {
    ok = (c->path = calloc(n->n_path, sizeof *c->path)) != NULL;
    for (size_t k = 0; ok && k < n->n_path; k++, c->n_path++) ok = (c->path[k] = strdup(n->path[k])) != NULL;
  }
  if (ok && n->n_list > 0) {
    ok = (c->list = calloc(n->n_list, sizeof *c->list)) != NULL;
    for (size_t k = 0; ok && k < n->n_list; k++, c->n_list++) ok = (c->list[k] = lp__pn_clone(n->list[k])) != NULL;
  }
  if (!ok) {
    lp__pn_free(c);
    return NULL;
  }
  return c;
}

void lp__pn_free(pn_node *n) {
  if (n == NULL) return;
  lp__pn_free(n->a);
  lp__pn_free(n->b);
  for (size_t i = 0; i < n->n_list; i++) lp__pn_free(n->list[i]);
  free(n->list);
  for (size_t i = 0; i < n->n_path; i++) free(n->path[i]);
  free(n->path);
  free(n->s);
  free(n);
}

const char *lp__pn_cmp_text(pn_cmp op) {
  static const char *const text[] = {"=", "!=", "<", "<=", ">", ">="};
  return text[op];
}

/* ---- literals ------------------------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Reads exactly n digits at *p. */
static bool read_digits(const char **p, const char *end, int n, int64_t *out) {
  int64_t v = 0;
  for (int i = 0; i < n; i++) {
    if (*p >= end || !isdigit((unsigned char)**p)) return false;
    v = v * 10 + (**p - '0');
    (*p)++;
  }
  *out = v;
  return true;
}

/* "YYYY-MM-DD" at *p: days since 1970-01-01. */
static bool parse_date(const char **p, const char *end, int64_t *out_days) {
  int64_t y, m, d;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!read_digits(p, end, 4, &y) || *p >= end || **p != '-') return false;
  (*p)++;
  if (!read_digits(p, end, 2, &m) || *p >= end || **p != '-') return false;
  (*p)++;
  if (!read_digits(p, end, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y))) return false;
  *out_days = days_from_civil(y, m, d);
  return true;
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]]" to ns since the epoch (UTC). */
static bool parse_timestamp(const char *s, size_t len, int64_t *out_ns) {
  const char *p = s, *end = s + len;
  int64_t days, hh = 0, mm = 0, ss = 0, frac = 0;
  if (!parse_date(&p, end, &days)) return false;
  if (p < end && (*p == ' ' || *p == 'T')) {
    p++;
    if (!read_digits(&p, end, 2, &hh) || p >= end || *p != ':') return false;
    p++;
    if (!read_digits(&p, end, 2, &mm)) return false;
    if (p < end && *p == ':') {
      p++;
      if (!read_digits(&p, end, 2, &ss)) return false;
      if (p < end && *p == '.') {
        p++;
        int nd = 0;
        while (p < end && isdigit((unsigned char)*p)) {
          if (nd < 9) frac = frac * 10 + (*p - '0');
          nd++;
          p++;
        }
        if (nd == 0) return false;
        for (; nd < 9; nd++) frac *= 10;
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return false;
  }
  if (p != end) return false;
  /* Representable range of int64 ns: years 1677..2262. */
  if (days < -106751 || days > 106750) return false;
  *out_ns = days * 86400000000000LL + (hh * 3600 + mm * 60 + ss) * 1000000000LL + frac;
  return true;
}

bool lp__pred_text_to_date(const char *s, size_t len, int64_t *out_days) {
  const char *p = s, *end = s + len;
  return parse_date(&p, end, out_days) && p == end;
}

bool lp__pred_text_to_timestamp(const char *s, size_t len, int64_t *out_ns) { return parse_timestamp(s, len, out_ns); }

static pn_node *parse_number(parser *ps, bool negative, size_t start) {
  size_t n = ps->cur.end - ps->cur.start;
  char buf[400];
  if (n >= sizeof buf - 1) {
    fail_at(ps, LP_EINVAL, ps->cur.start, "number literal too long");
    return NULL;
  }
  buf[0] = negative ? '-' : '+';
  memcpy(buf + 1, ps->text + ps->cur.start, n);
  buf[n + 1] = '\0';
  pn_node *lit = node_new(ps, PN_LITERAL, start);
  if (lit == NULL) return NULL;
  char *endp;
  bool is_int = strspn(buf + 1, "0123456789") == n;
  errno = 0;
  if (is_int) {
    /* LanceDB reads the digits before applying the sign: -9223372036854775808 is a float; DataFusion,
     * which reads a function's arguments, takes it whole */
    long long v = ps->fn_depth > 0 ? strtoll(buf, &endp, 10) : strtoll(buf + 1, &endp, 10);
    if (negative && ps->fn_depth == 0) v = -v;
    if (errno == 0 && *endp == '\0') {
      lit->lit = LIT_INT;
      lit->i = v;
      goto done;
    }
  }
  /* Integers beyond int64 become floats, as in DataFusion. */
  errno = 0;
  double d = strtod(buf, &endp);
  if (*endp != '\0' || n == 0 || !(isdigit((unsigned char)buf[1]) || buf[1] == '.') ||
      strpbrk(buf + 1, "xXpPnN") != NULL) {
    lp__pn_free(lit);
    char msg[200], found[64];
    describe(ps, &ps->cur, found, sizeof found);
    snprintf(msg, sizeof msg, "malformed number %s", found);
    fail_at(ps, LP_EINVAL, ps->cur.start, msg);
    return NULL;
  }
  lit->lit = LIT_FLOAT;
  lit->f = d;
done:
  if (next(ps) != LP_OK) {
    lp__pn_free(lit);
    return NULL;
  }
  return lit;
}

/* date 'YYYY-MM-DD' or timestamp '...': the keyword is the current token. */
static pn_node *parse_typed_literal(parser *ps, bool is_date) {
  size_t start = ps->cur.start;
  if (next(ps) != LP_OK) return NULL;
  if (ps->cur.kind != T_STRING) {
    expected(ps, is_date ? "a quoted date after DATE" : "a quoted timestamp after TIMESTAMP");
    return NULL;
  }
  pn_node *lit = node_new(ps, PN_LITERAL, start);
  if (lit == NULL) return NULL;
  bool ok;
  if (is_date) {
    const char *p = ps->cur.val, *end = ps->cur.val + ps->cur.val_len;
    ok = parse_date(&p, end, &lit->i) && p == end;
    lit->lit = LIT_DATE;
  } else {
    ok = parse_timestamp(ps->cur.val, ps->cur.val_len, &lit->i);
    lit->lit = LIT_TIMESTAMP;
  }
  if (!ok) {
    char msg[200];
    snprintf(msg, sizeof msg, "malformed %s literal '%.40s' (expected %s)", is_date ? "date" : "timestamp",
             ps->cur.val, is_date ? "YYYY-MM-DD" : "YYYY-MM-DD HH:MM:SS[.fraction] between 1677 and 2262");
    fail_at(ps, LP_EINVAL, ps->cur.start, msg);
    lp__pn_free(lit);
    return NULL;
  }
  if (next(ps) != LP_OK) {
    lp__pn_free(lit);
    return NULL;
  }
  return lit;
}

/* ---- expressions --------------------------------------------------------------------------------- */

static pn_node *parse_or(parser *ps);
static pn_node *binary(parser *ps, pn_kind kind, pn_node *a, pn_node *b, uint32_t pos);

static bool push_path(parser *ps, pn_node *col, char *part) {
  char **np = realloc(col->path, (col->n_path + 1) * sizeof *np);
  if (np == NULL) {
    free(part);
    oom(ps);
    return false;
  }
  col->path = np;
  col->path[col->n_path++] = part;
  return true;
}

/* A column reference: ident ('.' ident)*. Plain identifiers fold to lower case. */
static pn_node *parse_column(parser *ps) {
  pn_node *col = node_new(ps, PN_COLUMN, ps->cur.start);
  if (col == NULL) return NULL;
  for (;;) {
    char *part = ps->cur.val;
    ps->cur.val = NULL;
    if (ps->cur.kind == T_IDENT)
      for (char *c = part; *c; c++) *c = (char)tolower((unsigned char)*c);
    if (!push_path(ps, col, part)) goto fail;
    if (next(ps) != LP_OK) goto fail;
    if (ps->cur.kind != T_DOT) break;
    if (next(ps) != LP_OK) goto fail;
    if (ps->cur.kind != T_QIDENT && ps->cur.kind != T_IDENT) {
      expected(ps, "a field name after '.'");
      goto fail;
    }
  }
  if (ps->cur.kind == T_LPAREN) {
    fail_at(ps, LP_EINVAL, ps->cur.start, "a function name has one part (no '.')");
    goto fail;
  }
  return col;
fail:
  lp__pn_free(col);
  return NULL;
}

static pn_node *parse_function(parser *ps);
static pn_node *parse_cast(parser *ps, bool try_cast);
static pn_node *parse_unary(parser *ps);
static pn_node *parse_additive(parser *ps);
#define parse_operand parse_additive

/* primary := '(' expr ')' | literal | column | function '(' args ')' | CAST(...) | TRY_CAST(...) */
static pn_node *parse_array(parser *ps);

static pn_node *parse_primary(parser *ps) {
  tok *t = &ps->cur;
  size_t start = t->start;
  switch (t->kind) {
  case T_LBRACK: return parse_array(ps);
  case T_LPAREN: {
    if (++ps->depth > LP__PRED_MAX_DEPTH) {
      fail_at(ps, LP_EINVAL, start, "expression nested too deeply");
      return NULL;
    }
    if (next(ps) != LP_OK) return NULL;
    pn_node *e = parse_or(ps);
    if (e == NULL) return NULL;
    if (ps->cur.kind != T_RPAREN) {
      expected(ps, "')'");
      lp__pn_free(e);
      return NULL;
    }
    ps->depth--;
    if (next(ps) != LP_OK) {
      lp__pn_free(e);
      return NULL;
    }
    return e;
  }
  case T_NUMBER: return parse_number(ps, false, start);
  case T_STRING: {
    if (t->dq && ps->fn_depth > 0) { /* DataFusion reads "..." as a quoted column name */
      t->kind = T_QIDENT;
      return parse_column(ps);
    }
    pn_node *lit = node_new(ps, PN_LITERAL, start);
    if (lit == NULL) return NULL;
    lit->lit = LIT_STRING;
    lit->s = t->val;
    lit->s_len = t->val_len;
    t->val = NULL;
    if (next(ps) != LP_OK) {
      lp__pn_free(lit);
      return NULL;
    }
    return lit;
  }
  case T_QIDENT: return parse_column(ps);
  case T_IDENT: {
    if (is_kw(ps, "null") || is_kw(ps, "true") || is_kw(ps, "false")) {
      pn_node *lit = node_new(ps, PN_LITERAL, start);
      if (lit == NULL) return NULL;
      lit->lit = is_kw(ps, "null") ? LIT_NULL : LIT_BOOL;
      lit->i = is_kw(ps, "true");
      if (next(ps) != LP_OK) {
        lp__pn_free(lit);
        return NULL;
      }
      return lit;
    }
    if (is_kw(ps, "date") || is_kw(ps, "timestamp")) {
      /* A keyword only when a string follows; otherwise a column of that name. */
      size_t save = ps->at;
      while (save < ps->len && isspace((unsigned char)ps->text[save])) save++;
      if (save < ps->len && (ps->text[save] == '\'' || ps->text[save] == '"'))
        return parse_typed_literal(ps, is_kw(ps, "date"));
    }
    if (is_kw(ps, "case")) {
      fail_at(ps, LP_EINVAL, start, "CASE is not supported by LanceDB's filter planner");
      return NULL;
    }
    if (is_kw(ps, "interval") || is_kw(ps, "extract") || is_kw(ps, "position") || is_kw(ps, "overlay") ||
        is_kw(ps, "exists") || is_kw(ps, "substr") || is_kw(ps, "substring") || is_kw(ps, "trim") ||
        is_kw(ps, "floor") || is_kw(ps, "ceil") || is_kw(ps, "ceiling")) {
      /* sqlparser gives these their own syntax, which LanceDB's planner does not take */
      size_t save = ps->at;
      while (save < ps->len && isspace((unsigned char)ps->text[save])) save++;
      if (save < ps->len && (ps->text[save] == '(' || ps->text[save] == '\'')) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s is not supported by LanceDB's filter planner", ps->cur.val);
        for (char *c = msg; *c && *c != ' '; c++) *c = (char)toupper((unsigned char)*c);
        fail_at(ps, LP_EINVAL, start, msg);
        return NULL;
      }
    }
    if (is_reserved(t->val)) {
      expected(ps, "an expression");
      return NULL;
    }
    {
      size_t save = ps->at;
      while (save < ps->len && isspace((unsigned char)ps->text[save])) save++;
      if (save < ps->len && ps->text[save] == '(') {
        if (is_kw(ps, "cast") || is_kw(ps, "try_cast")) return parse_cast(ps, is_kw(ps, "try_cast"));
        return parse_function(ps);
      }
      if (is_kw(ps, "current_date") || is_kw(ps, "current_timestamp")) { /* niladic functions */
        pn_node *f = node_new(ps, PN_FUNC, start);
        if (f == NULL) return NULL;
        f->s = strdup(is_kw(ps, "current_date") ? "current_date" : "now");
        if (f->s == NULL || next(ps) != LP_OK) {
          if (f->s == NULL) oom(ps);
          lp__pn_free(f);
          return NULL;
        }
        f->s_len = strlen(f->s);
        return f;
      }
    }
    return parse_column(ps);
  }
  default: expected(ps, "an expression"); return NULL;
  }
}

/* A type name of CAST: the ones LanceDB's planner knows (DECIMAL excepted, which lancepool lacks). */
static bool parse_type(parser *ps, lp__type *out, lp__time_unit *unit) {
  static const struct { const char *name; lp__type t; } names[] = {
      {"tinyint", LP__TYPE_INT8},   {"smallint", LP__TYPE_INT16}, {"int", LP__TYPE_INT32},
      {"integer", LP__TYPE_INT32},  {"bigint", LP__TYPE_INT64},   {"float", LP__TYPE_FLOAT32},
      {"double", LP__TYPE_FLOAT64}, {"string", LP__TYPE_UTF8},    {"binary", LP__TYPE_BINARY},
      {"date", LP__TYPE_DATE32},    {"timestamp", LP__TYPE_TIMESTAMP}, {"datetime", LP__TYPE_TIMESTAMP},
      {"boolean", LP__TYPE_BOOL}};
  size_t start = ps->cur.start;
  if (ps->cur.kind != T_IDENT) {
    expected(ps, "a type name");
    return false;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!is_kw(ps, names[i].name)) continue;
    *out = names[i].t;
    *unit = LP__UNIT_US; /* LanceDB's default precision, as PyArrow's */
    if (next(ps) != LP_OK) return false;
    if (*out >= LP__TYPE_INT8 && *out <= LP__TYPE_INT64 && is_kw(ps, "unsigned")) {
      *out = (lp__type)(*out + (LP__TYPE_UINT8 - LP__TYPE_INT8));
      if (next(ps) != LP_OK) return false;
    }
    if (*out == LP__TYPE_TIMESTAMP && ps->cur.kind == T_LPAREN) {
      if (next(ps) != LP_OK) return false;
      size_t n = ps->cur.end - ps->cur.start;
      const char *d = ps->text + ps->cur.start;
      int prec = ps->cur.kind == T_NUMBER && n == 1 ? d[0] - '0' : -1;
      if (prec != 0 && prec != 3 && prec != 6 && prec != 9) {
        fail_at(ps, LP_EINVAL, ps->cur.start, "a timestamp precision is 0, 3, 6 or 9");
        return false;
      }
      *unit = prec == 0 ? LP__UNIT_S : prec == 3 ? LP__UNIT_MS : prec == 6 ? LP__UNIT_US : LP__UNIT_NS;
      if (next(ps) != LP_OK) return false;
      if (ps->cur.kind != T_RPAREN) {
        expected(ps, "')'");
        return false;
      }
      if (next(ps) != LP_OK) return false;
    }
    if (*out == LP__TYPE_TIMESTAMP && (is_kw(ps, "with") || is_kw(ps, "without"))) {
      fail_at(ps, LP_EINVAL, ps->cur.start, "a timestamp with a time zone is not supported by LanceDB");
      return false;
    }
    return true;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "%s type '%.40s'",
           is_kw(ps, "decimal") || is_kw(ps, "numeric") ? "unsupported" : "LanceDB does not support the", ps->cur.val);
  fail_at(ps, is_kw(ps, "decimal") || is_kw(ps, "numeric") ? LP_EUNSUPPORTED : LP_EINVAL, start, msg);
  return false;
}

/* CAST '(' expr AS type ')' and TRY_CAST likewise; the keyword is the current token. */
static pn_node *parse_cast(parser *ps, bool try_cast) {
  pn_node *n = node_new(ps, PN_CAST, ps->cur.start);
  if (n == NULL) return NULL;
  n->try_cast = try_cast;
  if (next(ps) != LP_OK || next(ps) != LP_OK) goto fail; /* the keyword and '(' */
  if (++ps->depth > LP__PRED_MAX_DEPTH) {
    fail_at(ps, LP_EINVAL, ps->cur.start, "expression nested too deeply");
    goto fail;
  }
  if ((n->a = parse_or(ps)) == NULL) goto fail;
  ps->depth--;
  if (!is_kw(ps, "as")) {
    expected(ps, "AS in CAST");
    goto fail;
  }
  if (next(ps) != LP_OK || !parse_type(ps, &n->cast_type, &n->cast_unit)) goto fail;
  if (ps->cur.kind != T_RPAREN) {
    expected(ps, "')' after the type");
    goto fail;
  }
  if (next(ps) != LP_OK) goto fail;
  n->height = n->a->height + 1;
  return n;
fail:
  lp__pn_free(n);
  return NULL;
}

#define MAX_FUNC_ARGS 8

/* get_field(column, 'name') is the column's member: the function node becomes the longer path. */
static pn_node *member_of(parser *ps, pn_node *f) {
  pn_node *col = f->list[0], *name = f->list[1];
  char *part = name->s;
  name->s = NULL;
  f->list[0] = NULL;
  col->pos = f->pos;
  lp__pn_free(f);
  if (!push_path(ps, col, part)) {
    lp__pn_free(col);
    return NULL;
  }
  return col;
}

/* [expr (',' expr)*] up to the closing token (the current token follows the opener), into n->list; at
 * most `max` items. */
static bool parse_items(parser *ps, pn_node *n, tok_kind closer, size_t max) {
  if (++ps->depth > LP__PRED_MAX_DEPTH) {
    fail_at(ps, LP_EINVAL, ps->cur.start, "expression nested too deeply");
    return false;
  }
  ps->fn_depth++;
  uint32_t h = 0;
  while (n->n_list > 0 || ps->cur.kind != closer) {
    if (n->n_list == max) {
      fail_at(ps, LP_EINVAL, ps->cur.start, closer == T_RPAREN ? "too many function arguments" : "too many array items");
      return false;
    }
    pn_node **nl = realloc(n->list, (n->n_list + 1) * sizeof *nl);
    if (nl == NULL) {
      oom(ps);
      return false;
    }
    n->list = nl;
    pn_node *arg = parse_or(ps);
    if (arg == NULL) return false;
    n->list[n->n_list++] = arg;
    if (arg->height > h) h = arg->height;
    if (ps->cur.kind == T_COMMA) {
      if (next(ps) != LP_OK) return false;
      continue;
    }
    if (ps->cur.kind != closer) {
      expected(ps, closer == T_RPAREN ? "',' or ')' in the arguments" : "',' or ']' in the array");
      return false;
    }
    break;
  }
  ps->depth--;
  ps->fn_depth--;
  if (next(ps) != LP_OK) return false;
  n->height = h + 1;
  return true;
}

/* name '(' [expr (',' expr)*] ')'; the name is the current token. */
static pn_node *parse_function(parser *ps) {
  pn_node *n = node_new(ps, PN_FUNC, ps->cur.start);
  if (n == NULL) return NULL;
  n->s = ps->cur.val; /* the name, folded to lower case unless quoted */
  n->s_len = ps->cur.val_len;
  ps->cur.val = NULL;
  for (char *c = n->s; *c; c++) *c = (char)tolower((unsigned char)*c);
  if (next(ps) != LP_OK || next(ps) != LP_OK) goto fail;
  if (!parse_items(ps, n, T_RPAREN, MAX_FUNC_ARGS)) goto fail;
  if (strcmp(n->s, "get_field") == 0 && n->n_list == 2 && n->list[0]->kind == PN_COLUMN &&
      n->list[1]->kind == PN_LITERAL && n->list[1]->lit == LIT_STRING)
    return member_of(ps, n);
  return n;
fail:
  lp__pn_free(n);
  return NULL;
}

/* A function node named `name` (a static name, copied) at the current token. */
static pn_node *named_func(parser *ps, const char *name, size_t start) {
  pn_node *n = node_new(ps, PN_FUNC, start);
  if (n == NULL) return NULL;
  n->s_len = strlen(name);
  n->s = malloc(n->s_len + 1);
  if (n->s == NULL) {
    lp__pn_free(n);
    oom(ps);
    return NULL;
  }
  memcpy(n->s, name, n->s_len + 1);
  return n;
}

/* '[' [expr (',' expr)*] ']': an array literal, as make_array(...) (only list functions take one). */
#define MAX_ARRAY_ITEMS 1024
static pn_node *parse_array(parser *ps) {
  pn_node *n = named_func(ps, "make_array", ps->cur.start);
  if (n == NULL) return NULL;
  if (next(ps) != LP_OK || !parse_items(ps, n, T_RBRACK, MAX_ARRAY_ITEMS)) {
    lp__pn_free(n);
    return NULL;
  }
  return n;
}

/* column '[' 'name' ']': a struct member, as a.name; e '[' index ']': array_element(e, index). */
static pn_node *parse_subscript(parser *ps, pn_node *e) {
  size_t start = ps->cur.start;
  if (next(ps) != LP_OK) goto fail;
  if (ps->cur.kind != T_STRING || e->kind != PN_COLUMN) {
    pn_node *f = named_func(ps, "array_element", start);
    if (f == NULL) goto fail;
    f->list = calloc(2, sizeof *f->list);
    if (f->list == NULL) {
      lp__pn_free(f);
      oom(ps);
      goto fail;
    }
    f->list[f->n_list++] = e;
    e = f;
    if (++ps->depth > LP__PRED_MAX_DEPTH) {
      fail_at(ps, LP_EINVAL, start, "expression nested too deeply");
      goto fail;
    }
    pn_node *idx = parse_or(ps);
    if (idx == NULL) goto fail;
    ps->depth--;
    f->list[f->n_list++] = idx;
    f->height = (idx->height > f->list[0]->height ? idx->height : f->list[0]->height) + 1;
    if (f->height > LP__PRED_MAX_HEIGHT) {
      fail_at(ps, LP_EINVAL, start, "expression nested too deeply");
      goto fail;
    }
  } else {
    char *part = ps->cur.val;
    ps->cur.val = NULL;
    if (!push_path(ps, e, part)) goto fail;
    if (next(ps) != LP_OK) goto fail;
  }
  if (ps->cur.kind != T_RBRACK) {
    expected(ps, "']'");
    goto fail;
  }
  if (next(ps) != LP_OK) goto fail;
  return e;
fail:
  lp__pn_free(e);
  return NULL;
}

/* postfix := primary ('::' type | '[' 'name' ']' | '[' index ']')* */
static pn_node *parse_postfix(parser *ps) {
  pn_node *e = parse_primary(ps);
  while (e != NULL && (ps->cur.kind == T_DCOLON || ps->cur.kind == T_LBRACK)) {
    if (ps->cur.kind == T_LBRACK) {
      e = parse_subscript(ps, e);
      continue;
    }
    pn_node *c = node_new(ps, PN_CAST, ps->cur.start);
    if (c == NULL) {
      lp__pn_free(e);
      return NULL;
    }
    c->a = e;
    c->height = e->height + 1;
    e = c;
    if (next(ps) != LP_OK || !parse_type(ps, &c->cast_type, &c->cast_unit)) {
      lp__pn_free(e);
      return NULL;
    }
  }
  return e;
}

/* unary := ('-'|'+') unary | postfix; a sign on a number literal makes a negative literal. */
static pn_node *parse_unary(parser *ps) {
  if (ps->cur.kind != T_MINUS && ps->cur.kind != T_PLUS) return parse_postfix(ps);
  size_t start = ps->cur.start;
  bool neg = ps->cur.kind == T_MINUS;
  if (++ps->depth > LP__PRED_MAX_DEPTH) {
    fail_at(ps, LP_EINVAL, start, "expression nested too deeply");
    return NULL;
  }
  if (next(ps) != LP_OK) return NULL;
  pn_node *e;
  if (ps->cur.kind == T_NUMBER) {
    e = parse_number(ps, neg, start);
  } else {
    pn_node *a = parse_unary(ps);
    e = a == NULL || !neg ? a : binary(ps, PN_NEG, a, NULL, char_pos(ps->text, start));
  }
  ps->depth--;
  return e;
}

/* The arithmetic operator of the current token at a precedence level, or '\0': level 1 holds * / % and
 * || (sqlparser gives || the precedence of *), level 0 holds + and -. */
static char arith_op(const parser *ps, int level) {
  if (level == 1) return ps->cur.kind == T_CONCAT ? '|' : ps->cur.kind == T_ARITH ? ps->cur.aop : '\0';
  return ps->cur.kind == T_PLUS ? '+' : ps->cur.kind == T_MINUS ? '-' : '\0';
}

/* level 0: additive := multiplicative (('+' | '-') multiplicative)*
 * level 1: multiplicative := unary (('*' | '/' | '%' | '||') unary)* */
static pn_node *parse_arith_level(parser *ps, int level) {
  pn_node *a = level == 1 ? parse_unary(ps) : parse_arith_level(ps, 1);
  char op;
  while (a != NULL && (op = arith_op(ps, level)) != '\0') {
    uint32_t pos = char_pos(ps->text, ps->cur.start);
    if (next(ps) != LP_OK) goto fail;
    pn_node *b = level == 1 ? parse_unary(ps) : parse_arith_level(ps, 1);
    if (b == NULL) goto fail;
    a = binary(ps, PN_ARITH, a, b, pos);
    if (a != NULL) a->aop = op;
  }
  return a;
fail:
  lp__pn_free(a);
  return NULL;
}

static pn_node *parse_additive(parser *ps) { return parse_arith_level(ps, 0); }

static pn_node *binary(parser *ps, pn_kind kind, pn_node *a, pn_node *b, uint32_t pos) {
  pn_node *n = calloc(1, sizeof *n);
  if (n == NULL) {
    lp__pn_free(a);
    lp__pn_free(b);
    oom(ps);
    return NULL;
  }
  n->kind = kind;
  n->a = a;
  n->b = b;
  n->pos = pos;
  uint32_t ha = a ? a->height : 0, hb = b ? b->height : 0;
  n->height = (ha > hb ? ha : hb) + 1;
  if (n->height > LP__PRED_MAX_HEIGHT) {
    fail_at(ps, LP_EINVAL, ps->cur.start, "expression too deeply nested or too long a chain of operators");
    lp__pn_free(n);
    return NULL;
  }
  return n;
}

/* IN list: '(' operand (',' operand)* ')' — literals only (checked by the binder). */
static pn_node *parse_in(parser *ps, pn_node *lhs, bool negated) {
  pn_node *n = binary(ps, PN_IN, lhs, NULL, lhs->pos);
  if (n == NULL) return NULL;
  n->negated = negated;
  if (next(ps) != LP_OK) goto fail;
  if (ps->cur.kind != T_LPAREN) {
    expected(ps, "'(' after IN");
    goto fail;
  }
  if (next(ps) != LP_OK) goto fail;
  for (;;) {
    pn_node *item = parse_operand(ps);
    if (item == NULL) goto fail;
    pn_node **nl = realloc(n->list, (n->n_list + 1) * sizeof *nl);
    if (nl == NULL) {
      lp__pn_free(item);
      oom(ps);
      goto fail;
    }
    n->list = nl;
    n->list[n->n_list++] = item;
    if (ps->cur.kind == T_COMMA) {
      if (next(ps) != LP_OK) goto fail;
      continue;
    }
    if (ps->cur.kind == T_RPAREN) break;
    expected(ps, "',' or ')' in the IN list");
    goto fail;
  }
  if (next(ps) != LP_OK) goto fail;
  return n;
fail:
  lp__pn_free(n);
  return NULL;
}

static pn_node *parse_like(parser *ps, pn_node *lhs, bool negated, bool ilike) {
  pn_node *n = binary(ps, PN_LIKE, lhs, NULL, lhs->pos);
  if (n == NULL) return NULL;
  n->negated = negated;
  n->ilike = ilike;
  if (next(ps) != LP_OK) goto fail;
  if (ps->cur.kind != T_STRING) {
    expected(ps, ilike ? "a quoted pattern after ILIKE" : "a quoted pattern after LIKE");
    goto fail;
  }
  n->b = parse_primary(ps);
  if (n->b == NULL) goto fail;
  if (is_kw(ps, "escape")) {
    if (next(ps) != LP_OK) goto fail;
    if (ps->cur.kind != T_STRING) {
      expected(ps, "a quoted escape character after ESCAPE");
      goto fail;
    }
    if (!(ps->cur.val_len == 1 && ps->cur.val[0] == '\\')) {
      fail_at(ps, LP_EUNSUPPORTED, ps->cur.start, "LIKE supports no escape character other than '\\'");
      goto fail;
    }
    if (next(ps) != LP_OK) goto fail;
  }
  return n;
fail:
  lp__pn_free(n);
  return NULL;
}

/* cmp := operand ( cmpop operand | [NOT] IN (...) | [NOT] BETWEEN operand AND operand
 *                | [NOT] [I]LIKE 'pattern' [ESCAPE '\'] )*   (left-associative, one level) */
static pn_node *parse_cmp(parser *ps) {
  pn_node *lhs = parse_operand(ps);
  while (lhs != NULL) {
    tok *t = &ps->cur;
    size_t op_start = t->start;
    if (t->kind == T_OP) {
      pn_cmp op = t->op;
      if (next(ps) != LP_OK) goto fail;
      pn_node *rhs = parse_operand(ps);
      if (rhs == NULL) goto fail;
      lhs = binary(ps, PN_CMP, lhs, rhs, lhs->pos);
      if (lhs != NULL) lhs->op = op;
      continue;
    }
    bool negated = false;
    if (is_kw(ps, "similar") || is_kw(ps, "rlike") || is_kw(ps, "regexp")) {
      char msg[120];
      snprintf(msg, sizeof msg, "%s is not supported by LanceDB's filter planner (regexp_like is)",
               is_kw(ps, "similar") ? "SIMILAR TO" : is_kw(ps, "rlike") ? "RLIKE" : "REGEXP");
      fail_at(ps, LP_EINVAL, op_start, msg);
      goto fail;
    }
    if (is_kw(ps, "not")) {
      /* NOT here must introduce IN / BETWEEN / LIKE / ILIKE. */
      if (next(ps) != LP_OK) goto fail;
      if (is_kw(ps, "similar")) {
        fail_at(ps, LP_EINVAL, op_start, "SIMILAR TO is not supported by LanceDB's filter planner (regexp_like is)");
        goto fail;
      }
      if (!(is_kw(ps, "in") || is_kw(ps, "between") || is_kw(ps, "like") || is_kw(ps, "ilike"))) {
        expected(ps, "IN, BETWEEN, LIKE or ILIKE after NOT");
        goto fail;
      }
      negated = true;
    }
    if (is_kw(ps, "in")) {
      lhs = parse_in(ps, lhs, negated);
    } else if (is_kw(ps, "like") || is_kw(ps, "ilike")) {
      lhs = parse_like(ps, lhs, negated, is_kw(ps, "ilike"));
    } else if (is_kw(ps, "between")) {
      /* x BETWEEN lo AND hi is (x >= lo AND x <= hi); NOT BETWEEN negates it (same three-valued result). */
      uint32_t pos = lhs->pos;
      if (next(ps) != LP_OK) goto fail;
      pn_node *lo = parse_operand(ps);
      if (lo == NULL) goto fail;
      if (!is_kw(ps, "and")) {
        lp__pn_free(lo);
        expected(ps, "AND in BETWEEN");
        goto fail;
      }
      if (next(ps) != LP_OK) {
        lp__pn_free(lo);
        goto fail;
      }
      pn_node *hi = parse_operand(ps);
      if (hi == NULL) {
        lp__pn_free(lo);
        goto fail;
      }
      /* The tested operand appears twice: the tree owns its children, so it is copied. */
      pn_node *copy = lp__pn_clone(lhs);
      if (copy == NULL) oom(ps);
      if (copy == NULL) {
        lp__pn_free(lo);
        lp__pn_free(hi);
        goto fail;
      }
      pn_node *ge = binary(ps, PN_CMP, lhs, lo, pos);
      lhs = NULL;
      pn_node *le = ge ? binary(ps, PN_CMP, copy, hi, pos) : (lp__pn_free(copy), lp__pn_free(hi), NULL);
      if (ge == NULL || le == NULL) {
        lp__pn_free(ge);
        lp__pn_free(le);
        return NULL;
      }
      ge->op = CMP_GE;
      le->op = CMP_LE;
      lhs = binary(ps, PN_AND, ge, le, pos);
      if (lhs != NULL && negated) lhs = binary(ps, PN_NOT, lhs, NULL, pos);
    } else {
      if (negated) goto fail; /* unreachable: checked above */
      break;
    }
  }
  return lhs;
fail:
  lp__pn_free(lhs);
  return NULL;
}

/* is := cmp ( IS [NOT] (NULL | TRUE | FALSE) )* */
static pn_node *parse_is(parser *ps) {
  pn_node *e = parse_cmp(ps);
  while (e != NULL && is_kw(ps, "is")) {
    bool negated = false;
    if (next(ps) != LP_OK) goto fail;
    if (is_kw(ps, "not")) {
      negated = true;
      if (next(ps) != LP_OK) goto fail;
    }
    pn_node *n;
    if (is_kw(ps, "null")) {
      n = binary(ps, PN_IS_NULL, e, NULL, e->pos);
    } else if (is_kw(ps, "true") || is_kw(ps, "false")) {
      bool truth = is_kw(ps, "true");
      n = binary(ps, PN_IS_BOOL, e, NULL, e->pos);
      if (n != NULL) n->truth = truth;
    } else if (is_kw(ps, "unknown") || is_kw(ps, "distinct")) {
      char msg[120];
      snprintf(msg, sizeof msg, "IS %s%s is not supported by LanceDB's filter planner", negated ? "NOT " : "",
               is_kw(ps, "unknown") ? "UNKNOWN" : "DISTINCT FROM");
      fail_at(ps, LP_EINVAL, ps->cur.start, msg);
      goto fail;
    } else {
      expected(ps, "NULL, TRUE or FALSE after IS");
      goto fail;
    }
    e = n;
    if (e == NULL) return NULL;
    e->negated = negated;
    if (next(ps) != LP_OK) goto fail;
  }
  return e;
fail:
  lp__pn_free(e);
  return NULL;
}

static pn_node *parse_not(parser *ps) {
  if (is_kw(ps, "not")) {
    size_t start = ps->cur.start;
    if (++ps->depth > LP__PRED_MAX_DEPTH) {
      fail_at(ps, LP_EINVAL, start, "expression nested too deeply");
      return NULL;
    }
    if (next(ps) != LP_OK) return NULL;
    pn_node *a = parse_not(ps);
    ps->depth--;
    if (a == NULL) return NULL;
    return binary(ps, PN_NOT, a, NULL, char_pos(ps->text, start));
  }
  return parse_is(ps);
}

static pn_node *parse_and(parser *ps) {
  pn_node *a = parse_not(ps);
  while (a != NULL && is_kw(ps, "and")) {
    if (next(ps) != LP_OK) goto fail;
    pn_node *b = parse_not(ps);
    if (b == NULL) goto fail;
    a = binary(ps, PN_AND, a, b, a->pos);
  }
  return a;
fail:
  lp__pn_free(a);
  return NULL;
}

static pn_node *parse_or(parser *ps) {
  pn_node *a = parse_and(ps);
  while (a != NULL && is_kw(ps, "or")) {
    if (next(ps) != LP_OK) goto fail;
    pn_node *b = parse_and(ps);
    if (b == NULL) goto fail;
    a = binary(ps, PN_OR, a, b, a->pos);
  }
  return a;
fail:
  lp__pn_free(a);
  return NULL;
}

lp_status lp__pred_parse(const char *text, size_t len, lp__pred **out, lp_error *err) {
  *out = NULL;
  if (text == NULL) return lp_error_set(err, LP_EINVAL, "predicate: no text");
  if (len > LP__PRED_MAX_TEXT_BYTES)
    return lp_error_set(err, LP_EINVAL, "predicate: %zu bytes, more than the limit of %u", len,
                        LP__PRED_MAX_TEXT_BYTES);
  if (memchr(text, '\0', len) != NULL)
    return lp_error_set(err, LP_EINVAL, "predicate: at character %u: unexpected NUL byte",
                        char_pos(text, (size_t)((const char *)memchr(text, '\0', len) - text)));
  parser ps = {.text = text, .len = len, .err = err, .rc = LP_OK};
  pn_node *root = NULL;
  if (next(&ps) == LP_OK) {
    if (ps.cur.kind == T_EOF) {
      expected(&ps, "an expression");
    } else {
      root = parse_or(&ps);
      if (root != NULL && ps.cur.kind != T_EOF) {
        expected(&ps, ps.cur.kind == T_RPAREN ? "end of input (unbalanced ')')" : "AND, OR or end of input");
        lp__pn_free(root);
        root = NULL;
      }
    }
  }
  free(ps.cur.val);
  if (root == NULL) return ps.rc != LP_OK ? ps.rc : lp_error_set(err, LP_EINVAL, "predicate: parse failed");
  lp__pred *p = calloc(1, sizeof *p);
  if (p == NULL || (p->text = strndup(text, len)) == NULL) {
    free(p);
    lp__pn_free(root);
    return lp_error_set(err, LP_ENOMEM, "predicate: out of memory");
  }
  p->root = root;
  *out = p;
  return LP_OK;
}

void lp__pred_free(lp__pred *p) {
  if (p == NULL) return;
  lp__pn_free(p->root);
  free(p->text);
  free(p);
}

/* ---- rendering ----------------------------------------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool failed;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 64) + n;
    char *np = realloc(b->p, cap);
    if (np == NULL) {
      b->failed = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void render(sbuf *b, const pn_node *n) {
  char tmp[64];
  switch (n->kind) {
  case PN_COLUMN:
    for (size_t i = 0; i < n->n_path; i++) {
      if (i) sb_str(b, ".");
      sb_str(b, "`");
      sb_str(b, n->path[i]);
      sb_str(b, "`");
    }
    break;
  case PN_LITERAL:
    switch (n->lit) {
    case LIT_NULL: sb_str(b, "NULL"); break;
    case LIT_BOOL: sb_str(b, n->i ? "TRUE" : "FALSE"); break;
    case LIT_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)n->i), sb_str(b, tmp); break;
    case LIT_FLOAT: snprintf(tmp, sizeof tmp, "%.17g", n->f), sb_str(b, tmp); break;
    case LIT_DATE: snprintf(tmp, sizeof tmp, "DATE(%lld)", (long long)n->i), sb_str(b, tmp); break;
    case LIT_TIMESTAMP: snprintf(tmp, sizeof tmp, "TIMESTAMP(%lld)", (long long)n->i), sb_str(b, tmp); break;
    case LIT_STRING:
      sb_str(b, "'");
      sb_put(b, n->s, n->s_len);
      sb_str(b, "'");
      break;
    }
    break;
  case PN_CMP:
  case PN_AND:
  case PN_OR:
    sb_str(b, "(");
    render(b, n->a);
    sb_str(b, n->kind == PN_AND ? " AND " : n->kind == PN_OR ? " OR " : " ");
    if (n->kind == PN_CMP) {
      sb_str(b, lp__pn_cmp_text(n->op));
      sb_str(b, " ");
    }
    render(b, n->b);
    sb_str(b, ")");
    break;
  case PN_NOT:
    sb_str(b, "(NOT ");
    render(b, n->a);
    sb_str(b, ")");
    break;
  case PN_IN:
    sb_str(b, "(");
    render(b, n->a);
    sb_str(b, n->negated ? " NOT IN (" : " IN (");
    for (size_t i = 0; i < n->n_list; i++) {
      if (i) sb_str(b, ", ");
      render(b, n->list[i]);
    }
    sb_str(b, "))");
    break;
  case PN_LIKE:
    sb_str(b, "(");
    render(b, n->a);
    sb_str(b, n->negated ? " NOT" : "");
    sb_str(b, n->ilike ? " ILIKE " : " LIKE ");
    render(b, n->b);
    sb_str(b, ")");
    break;
  case PN_ARITH:
    sb_str(b, "(");
    render(b, n->a);
    snprintf(tmp, sizeof tmp, " %s ", n->aop == '|' ? "||" : (char[]){n->aop, '\0'});
    sb_str(b, tmp);
    render(b, n->b);
    sb_str(b, ")");
    break;
  case PN_NEG:
    sb_str(b, "(-");
    render(b, n->a);
    sb_str(b, ")");
    break;
  case PN_CAST:
    sb_str(b, n->try_cast ? "TRY_CAST(" : "CAST(");
    render(b, n->a);
    snprintf(tmp, sizeof tmp, " AS %d)", (int)n->cast_type);
    sb_str(b, tmp);
    break;
  case PN_FUNC:
    sb_str(b, n->s);
    sb_str(b, "(");
    for (size_t i = 0; i < n->n_list; i++) {
      if (i) sb_str(b, ", ");
      render(b, n->list[i]);
    }
    sb_str(b, ")");
    break;
  case PN_IS_NULL:
  case PN_IS_BOOL:
    sb_str(b, "(");
    render(b, n->a);
    sb_str(b, n->negated ? " IS NOT " : " IS ");
    sb_str(b, n->kind == PN_IS_NULL ? "NULL" : n->truth ? "TRUE" : "FALSE");
    sb_str(b, ")");
    break;
  }
}

char *lp__pred_to_string(const lp__pred *p) {
  sbuf b = {0};
  render(&b, p->root);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
