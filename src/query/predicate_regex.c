/* regexp_like, regexp_match and regexp_replace of filters, on PCRE2 (Debian's libpcre2-8) configured to
 * behave as Rust's `regex` crate, which DataFusion uses: UTF-8 with Unicode classes (\d \w \s are
 * Unicode), `$` only at the very end, leftmost-first alternation. Syntax the two engines read
 * differently, or that Rust refuses (look-around, back-references, possessive and atomic groups, \Q..\E,
 * \h \v \R \X \C \K, octal escapes, recursion, conditionals, callouts) is refused with a message rather
 * than answered differently. The pattern and the flags must be constants; they are compiled once, when
 * the filter is bound. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/predicate_func.h"
#include "query/predicate_regex.h"

/* Longest string regexp_replace may build for one row: beyond it the row is an error, not an allocation. */
#define MAX_REPLACED_BYTES (64u << 20)

typedef struct lp__regex {
  pcre2_code *code;
  bool global; /* regexp_replace with the 'g' flag: every match, not the first */
} lp__regex;

static void regex_free(void *p) {
  lp__regex *r = p;
  if (r == NULL) return;
  pcre2_code_free(r->code);
  free(r);
}

/* The first construct of the pattern that Rust's regex reads differently or refuses; NULL when none. */
static const char *foreign_construct(const uint8_t *p, size_t n) {
  bool in_class = false;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '\\') {
      if (i + 1 >= n) return "a trailing backslash";
      uint8_t e = p[++i];
      if (e >= '0' && e <= '9') return "a back-reference or octal escape (\\digit)";
      if (strchr("QEhHvVRXCKNgkuUcGoZ", e) != NULL) {
        static char what[40];
        snprintf(what, sizeof what, "the escape \\%c", e);
        return what;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < n && p[i + 1] == ']') i++; /* a leading ] is literal */
      else if (i + 2 < n && p[i + 1] == '^' && p[i + 2] == ']') i += 2;
      continue;
    }
    if (c == '(' && i + 1 < n && p[i + 1] == '?') {
      uint8_t g = i + 2 < n ? p[i + 2] : 0, h = i + 3 < n ? p[i + 3] : 0;
      if (g == '=' || g == '!') return "a look-ahead";
      if (g == '<' && (h == '=' || h == '!')) return "a look-behind";
      if (g == '>') return "an atomic group";
      if (g == '(' || g == 'R' || g == '&' || g == 'C' || g == '|' || g == '#' || g == '+' || (g >= '0' && g <= '9'))
        return "a conditional, recursion, callout or comment group";
      if (g == 'P' && (h == '=' || h == '>')) return "a named back-reference or recursion";
    }
    if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '+')
      return "a possessive quantifier";
  }
  return NULL;
}

static bool const_string(const vnode *a) { return a->kind == V_CONST && !a->is_null && a->rep == R_STR; }

lp_status lp__regex_prepare(lp__binder *bd, vnode *v, const char *fname, size_t pat_arg, size_t flags_arg,
                            bool allow_global) {
  if (!const_string(v->args[pat_arg]))
    return lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: the pattern of %s must be a quoted string",
                        v->pos, fname);
  const uint8_t *pat = v->args[pat_arg]->ks.p;
  size_t pat_n = v->args[pat_arg]->ks.n;
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_AUTO_CAPTURE * 0;
  bool global = false;
  if (flags_arg < v->n_args) {
    const vnode *f = v->args[flags_arg];
    if (!const_string(f))
      return lp_error_set(bd->err, LP_EUNSUPPORTED, "predicate: at character %u: the flags of %s must be a quoted string",
                          v->pos, fname);
    for (size_t i = 0; i < f->ks.n; i++) {
      switch (f->ks.p[i]) {
      case 'i': opts |= PCRE2_CASELESS; break;
      case 'm': opts |= PCRE2_MULTILINE; break;
      case 's': opts |= PCRE2_DOTALL; break;
      case 'U': opts |= PCRE2_UNGREEDY; break;
      case 'x': opts |= PCRE2_EXTENDED; break;
      case 'g':
        if (allow_global) {
          global = true;
          break;
        }
        return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s does not support the global flag 'g'",
                            v->pos, fname);
      default:
        return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s: unknown or unsupported flag '%c'", v->pos,
                            fname, f->ks.p[i] >= 0x20 && f->ks.p[i] < 0x7f ? f->ks.p[i] : '?');
      }
    }
  }
  const char *foreign = foreign_construct(pat, pat_n);
  if (foreign != NULL)
    return lp_error_set(bd->err, LP_EINVAL,
                        "predicate: at character %u: %s: the pattern uses %s, which Rust's regex (LanceDB's) does not take",
                        v->pos, fname, foreign);
  int code;
  PCRE2_SIZE at;
  pcre2_code *re = pcre2_compile(pat, pat_n, opts, &code, &at, NULL);
  if (re == NULL) {
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(code, msg, sizeof msg);
    return lp_error_set(bd->err, LP_EINVAL, "predicate: at character %u: %s: bad pattern at byte %zu: %s", v->pos, fname,
                        (size_t)at, (const char *)msg);
  }
  (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional: the interpreter runs otherwise */
  lp__regex *r = calloc(1, sizeof *r);
  if (r == NULL) {
    pcre2_code_free(re);
    return lp_error_set(bd->err, LP_ENOMEM, "predicate: out of memory");
  }
  r->code = re;
  r->global = global;
  v->aux = r;
  v->aux_free = regex_free;
  return LP_OK;
}

static lp_status match_error(lp__ectx *x, const vnode *v, int rc) {
  PCRE2_UCHAR msg[160];
  pcre2_get_error_message(rc, msg, sizeof msg);
  return lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: regular expression: %s", v->pos, (const char *)msg);
}

#define FOR_LIVE(mask, j)                                                        \
  for (int64_t w_ = 0; w_ < x->nw; w_++)                                         \
    for (uint64_t m_ = (mask)[w_]; m_ != 0; m_ &= m_ - 1)                        \
      for (int64_t j = w_ * 64 + __builtin_ctzll(m_), once_ = 1; once_; once_ = 0)

/* regexp_like: TRUE/FALSE; regexp_match as a condition: valid (non-NULL) where the pattern matches. */
lp_status lp__regex_eval_test(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o, bool null_if_no_match) {
  const lp__regex *r = v->aux;
  const lp__vslot *a = &x->slots[v->args[0]->slot];
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w] & act[w];
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
  if (md == NULL) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  lp_status st = LP_OK;
  FOR_LIVE(o->valid, j) {
    int rc = pcre2_match(r->code, a->v.s[j].p ? a->v.s[j].p : (const uint8_t *)"", a->v.s[j].n, 0, 0, md, NULL);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
      st = match_error(x, v, rc);
      break;
    }
    o->v.i[j] = rc >= 0;
    if (null_if_no_match && rc < 0) o->valid[j / 64] &= ~(1ULL << (j % 64));
  }
  pcre2_match_data_free(md);
  return st;
}

/* Appends the replacement with its group references resolved: \N, $N and ${N} are group N, $$ is $. */
static size_t expand(uint8_t *dst, const uint8_t *rep, size_t rn, const uint8_t *subj, const PCRE2_SIZE *ov, int groups) {
  size_t out = 0;
  for (size_t i = 0; i < rn;) {
    uint8_t c = rep[i];
    long g = -1;
    size_t skip = 1;
    if ((c == '\\' || c == '$') && i + 1 < rn && rep[i + 1] >= '0' && rep[i + 1] <= '9') {
      g = 0;
      size_t k = i + 1;
      while (k < rn && rep[k] >= '0' && rep[k] <= '9' && g < 1000) g = g * 10 + (rep[k++] - '0');
      skip = k - i;
    } else if (c == '$' && i + 1 < rn && rep[i + 1] == '{') {
      size_t k = i + 2;
      g = 0;
      while (k < rn && rep[k] >= '0' && rep[k] <= '9' && g < 1000) g = g * 10 + (rep[k++] - '0');
      if (k < rn && rep[k] == '}' && k > i + 2) skip = k + 1 - i;
      else g = -1;
    } else if (c == '$' && i + 1 < rn && rep[i + 1] == '$') {
      if (dst) dst[out] = '$';
      out++;
      i += 2;
      continue;
    }
    if (g < 0) {
      if (dst) dst[out] = c;
      out++;
      i++;
      continue;
    }
    if (g < groups && ov[2 * g] != PCRE2_UNSET) {
      size_t len = ov[2 * g + 1] - ov[2 * g];
      if (dst && len) memcpy(dst + out, subj + ov[2 * g], len);
      out += len;
    }
    i += skip;
  }
  return out;
}

lp_status lp__regex_eval_replace(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o) {
  const lp__regex *r = v->aux;
  const lp__vslot *a = &x->slots[v->args[0]->slot], *rp = &x->slots[v->args[2]->slot];
  for (int64_t w = 0; w < x->nw; w++) o->valid[w] = a->valid[w] & rp->valid[w] & act[w];
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
  if (md == NULL) return lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  lp_status st = LP_OK;
  /* Two passes: the size of every result, then the results, so the arena is reserved once. */
  for (int pass = 0; pass < 2 && st == LP_OK; pass++) {
    size_t total = 0;
    FOR_LIVE(o->valid, j) {
      const uint8_t *s = a->v.s[j].p ? a->v.s[j].p : (const uint8_t *)"";
      size_t n = a->v.s[j].n, from = 0, len = 0, last_end = (size_t)-1;
      uint8_t *dst = pass ? o->arena + total : NULL;
      for (;;) {
        int rc = from <= n ? pcre2_match(r->code, s, n, from, 0, md, NULL) : PCRE2_ERROR_NOMATCH;
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
          st = match_error(x, v, rc);
          break;
        }
        if (rc < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        bool skip = ov[0] == ov[1] && ov[0] == last_end; /* Rust skips an empty match right after a match */
        if (dst && ov[0] > from) memcpy(dst + len, s + from, ov[0] - from);
        len += ov[0] - from;
        if (!skip) len += expand(dst ? dst + len : NULL, rp->v.s[j].p, rp->v.s[j].n, s, ov, rc);
        last_end = ov[1];
        if (ov[1] == ov[0]) { /* an empty match: copy one character and go on after it */
          if (ov[1] >= n) {
            from = n + 1;
            break;
          }
          size_t k = ov[1] + 1;
          while (k < n && (s[k] & 0xC0) == 0x80) k++;
          if (dst) memcpy(dst + len, s + ov[1], k - ov[1]);
          len += k - ov[1];
          from = k;
        } else {
          from = ov[1];
        }
        if (!r->global && !skip) break;
      }
      if (st != LP_OK) break;
      if (from < n) {
        if (dst) memcpy(dst + len, s + from, n - from);
        len += n - from;
      }
      if (pass) o->v.s[j] = (vstr){dst, len};
      total += len;
      if (len > MAX_REPLACED_BYTES || total > ((size_t)1 << 31)) {
        st = lp_error_set(x->err, LP_EINVAL, "predicate: at character %u: regexp_replace would build a string longer than %u bytes",
                          v->pos, MAX_REPLACED_BYTES);
        break;
      }
    }
    if (st == LP_OK && pass == 0 && !lp__vslot_reserve(o, total + 1))
      st = lp_error_set(x->err, LP_ENOMEM, "predicate: eval: out of memory");
  }
  pcre2_match_data_free(md);
  return st;
}
