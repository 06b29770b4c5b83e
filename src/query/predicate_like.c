/* SQL LIKE / ILIKE matching on UTF-8 bytes: % matches any run of characters, _ exactly one character,
 * a backslash makes the next character literal (LanceDB accepts no other escape). Patterns made only of
 * literal text and % at the ends take memcmp / memmem fast paths. ILIKE folds ASCII and Latin-1 letters. */
#include <stdlib.h>
#include <string.h>

#include "query/predicate_like.h"

typedef enum unit_kind { U_CHAR, U_ONE, U_ANY } unit_kind;

typedef struct unit {
  uint8_t kind;
  uint8_t len;      /* U_CHAR: bytes of the character */
  uint8_t bytes[4];
  uint32_t cp;      /* U_CHAR: folded code point (ILIKE) */
} unit;

typedef enum like_shape { SH_GENERAL, SH_EXACT, SH_PREFIX, SH_SUFFIX, SH_CONTAINS, SH_ANY } like_shape;

struct lp__like {
  unit *units;
  size_t n_units;
  bool ci;
  like_shape shape;
  uint8_t *lit; /* literal text for the fast paths */
  size_t lit_len;
};

/* Length of the UTF-8 character starting at s (1 for invalid lead bytes or a truncated tail). */
static size_t char_len(const uint8_t *s, size_t left) {
  uint8_t c = s[0];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (n > left) return 1;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80) return 1;
  return n;
}

static uint32_t decode(const uint8_t *s, size_t n) {
  switch (n) {
  case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
  case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
  case 4:
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
           (s[3] & 0x3F);
  default: return s[0] < 0x80 ? s[0] : 0x110000u + s[0]; /* invalid bytes stay distinct */
  }
}

static uint32_t fold(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  return cp;
}

lp_status lp__like_compile(const char *pat, size_t len, bool ci, lp__like **out, lp_error *err) {
  *out = NULL;
  lp__like *l = calloc(1, sizeof *l);
  unit *u = calloc(len + 1, sizeof *u);
  if (l == NULL || u == NULL) {
    free(l);
    free(u);
    return lp_error_set(err, LP_ENOMEM, "predicate: LIKE: out of memory");
  }
  l->units = u;
  l->ci = ci;
  const uint8_t *p = (const uint8_t *)pat;
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    if (p[i] == '%') {
      if (n == 0 || u[n - 1].kind != U_ANY) u[n++].kind = U_ANY; /* %% is % */
      i++;
      continue;
    }
    if (p[i] == '_') {
      u[n++].kind = U_ONE;
      i++;
      continue;
    }
    if (p[i] == '\\' && i + 1 < len) i++; /* escaped; a trailing backslash stands for itself */
    size_t cl = char_len(p + i, len - i);
    u[n].kind = U_CHAR;
    u[n].len = (uint8_t)cl;
    memcpy(u[n].bytes, p + i, cl);
    u[n].cp = fold(decode(p + i, cl));
    n++;
    i += cl;
  }
  l->n_units = n;
  /* Shape: [%] literal... [%] with no _ inside and case-sensitive. */
  size_t first = 0, last = n;
  bool lead = n > 0 && u[0].kind == U_ANY, trail = n > 0 && u[n - 1].kind == U_ANY;
  if (lead) first = 1;
  if (trail && n > 1) last = n - 1;
  bool simple = !ci;
  for (size_t k = first; k < last && simple; k++) simple = u[k].kind == U_CHAR;
  if (n == 1 && lead) {
    l->shape = SH_ANY;
  } else if (simple) {
    l->lit = malloc(len + 1);
    if (l->lit == NULL) {
      lp__like_free(l);
      return lp_error_set(err, LP_ENOMEM, "predicate: LIKE: out of memory");
    }
    for (size_t k = first; k < last; k++) {
      memcpy(l->lit + l->lit_len, u[k].bytes, u[k].len);
      l->lit_len += u[k].len;
    }
    l->shape = lead && trail ? SH_CONTAINS : lead ? SH_SUFFIX : trail ? SH_PREFIX : SH_EXACT;
  }
  *out = l;
  return LP_OK;
}

void lp__like_free(lp__like *l) {
  if (l == NULL) return;
  free(l->units);
  free(l->lit);
  free(l);
}

static bool unit_eq(const lp__like *l, const unit *u, const uint8_t *s, size_t cl) {
  if (!l->ci) return u->len == cl && memcmp(u->bytes, s, cl) == 0;
  return u->cp == fold(decode(s, cl));
}

/* Greedy match with backtracking to the last %: O(n*m) worst case, no allocation. */
static bool match_general(const lp__like *l, const uint8_t *s, size_t n) {
  const unit *u = l->units;
  size_t nu = l->n_units, pi = 0, ti = 0, star_p = (size_t)-1, star_t = 0;
  while (ti < n) {
    size_t cl = char_len(s + ti, n - ti);
    if (pi < nu && (u[pi].kind == U_ONE || (u[pi].kind == U_CHAR && unit_eq(l, &u[pi], s + ti, cl)))) {
      pi++;
      ti += cl;
    } else if (pi < nu && u[pi].kind == U_ANY) {
      star_p = pi++;
      star_t = ti;
    } else if (star_p != (size_t)-1) {
      pi = star_p + 1;
      star_t += char_len(s + star_t, n - star_t);
      ti = star_t;
    } else {
      return false;
    }
  }
  while (pi < nu && u[pi].kind == U_ANY) pi++;
  return pi == nu;
}

bool lp__like_match(const lp__like *l, const uint8_t *s, size_t n) {
  switch (l->shape) {
  case SH_ANY: return true;
  case SH_EXACT: return n == l->lit_len && memcmp(s, l->lit, n) == 0;
  case SH_PREFIX: return n >= l->lit_len && memcmp(s, l->lit, l->lit_len) == 0;
  case SH_SUFFIX: return n >= l->lit_len && memcmp(s + n - l->lit_len, l->lit, l->lit_len) == 0;
  case SH_CONTAINS: return l->lit_len == 0 || (n > 0 && memmem(s, n, l->lit, l->lit_len) != NULL);
  case SH_GENERAL: break;
  }
  return match_general(l, s, n);
}
