/* LanceDB's FTS text analysis (see fts_tokenize.h). Unicode properties, case mapping and
 * decompositions come from ICU (libicu-dev); stemming from Snowball's libstemmer (libstemmer-dev), the
 * same algorithms tantivy's stemmer runs. The English stop words are LanceDB's (tantivy's list, which is
 * Lucene's); the ASCII folding is written here (no Debian package has Lucene's table): a character is
 * folded when its compatibility decomposition minus combining marks is plain ASCII, plus a table of the
 * Latin letters that have no decomposition. */
#include <ctype.h>
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "query/fts_tokenize.h"

struct lp__fts_tokenizer {
  lp__fts_params p;
  struct sb_stemmer *stemmer; /* NULL when p.stem is off */
  const UNormalizer2 *nfkd;   /* when p.ascii_folding */
  char *scratch, *scratch2;   /* one token while it goes through the filters */
  size_t cap;
};

/* LanceDB's English stop words (compared after stemming). */
static const char *const english_stop_words[] = {
    "a",  "an", "and", "are", "as",   "at",   "be",    "but",   "by",   "for",  "if",
    "in", "into", "is", "it",  "no",   "not",  "of",    "on",    "or",   "such", "that",
    "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
};

/* tantivy's language names and libstemmer's algorithm for each. */
static const struct {
  const char *name, *algorithm;
} languages[] = {
    {"Arabic", "arabic"},         {"Danish", "danish"},   {"Dutch", "dutch"},       {"English", "english"},
    {"Finnish", "finnish"},       {"French", "french"},   {"German", "german"},     {"Greek", "greek"},
    {"Hungarian", "hungarian"},   {"Italian", "italian"}, {"Norwegian", "norwegian"}, {"Portuguese", "portuguese"},
    {"Romanian", "romanian"},     {"Russian", "russian"}, {"Spanish", "spanish"},   {"Swedish", "swedish"},
    {"Tamil", "tamil"},           {"Turkish", "turkish"},
};

void lp__fts_params_default(lp__fts_params *p) {
  memset(p, 0, sizeof *p);
  p->base = LP_FTS_BASE_SIMPLE;
  strcpy(p->language, "English");
  p->with_position = false;
  p->max_token_length = 40;
  p->lower_case = p->stem = p->remove_stop_words = p->ascii_folding = true;
  p->min_ngram_length = p->max_ngram_length = 3;
}

lp_status lp__fts_base_parse(const char *name, lp__fts_base *out, lp_error *err) {
  static const char *const names[] = {"simple", "whitespace", "raw", "ngram"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (name != NULL && strcmp(name, names[i]) == 0) {
      *out = (lp__fts_base)i;
      return LP_OK;
    }
  return lp_error_set(err, LP_EUNSUPPORTED, "fts: unknown base tokenizer '%s' (simple, whitespace, raw, ngram)",
                      name ? name : "(null)");
}

/* ---- terms ---------------------------------------------------------------------------------------- */

void lp__fts_terms_clear(lp__fts_terms *t) { t->n = t->n_bytes = 0; }

void lp__fts_terms_reset(lp__fts_terms *t) {
  if (t == NULL) return;
  free(t->bytes);
  free(t->off);
  free(t->len);
  free(t->pos);
  memset(t, 0, sizeof *t);
}

static lp_status terms_push(lp__fts_terms *t, const char *s, size_t n, uint32_t pos, lp_error *err) {
  if (n > UINT32_MAX || t->n_bytes + n > UINT32_MAX)
    return lp_error_set(err, LP_ENOMEM, "fts: more than 4 GiB of terms in one text");
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 64;
    uint32_t *off = realloc(t->off, cap * sizeof *off);
    if (off) t->off = off;
    uint32_t *len = realloc(t->len, cap * sizeof *len);
    if (len) t->len = len;
    uint32_t *p = realloc(t->pos, cap * sizeof *p);
    if (p) t->pos = p;
    if (!off || !len || !p) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for %zu terms", cap);
    t->cap = cap;
  }
  if (t->n_bytes + n > t->cap_bytes) {
    size_t cap = t->cap_bytes ? 2 * t->cap_bytes : 256;
    while (cap < t->n_bytes + n) cap *= 2;
    char *b = realloc(t->bytes, cap);
    if (b == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for %zu bytes of terms", cap);
    t->bytes = b;
    t->cap_bytes = cap;
  }
  memcpy(t->bytes + t->n_bytes, s, n);
  t->off[t->n] = (uint32_t)t->n_bytes;
  t->len[t->n] = (uint32_t)n;
  t->pos[t->n] = pos;
  t->n_bytes += n;
  t->n++;
  return LP_OK;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------------- */

/* Decode one code point at s[*i] (n bytes in all) and advance *i; a malformed, overlong, surrogate or
 * truncated sequence reads as U+FFFD and consumes one byte, as a lossy decoder does. */
static UChar32 next_cp(const unsigned char *s, size_t n, size_t *i) {
  unsigned char c = s[*i];
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  int need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? (c <= 0xEF ? 2 : -1) : c >= 0xC2 ? 1 : -1;
  if (need < 0 || *i + (size_t)need >= n) { /* not a lead byte, or truncated */
    (*i)++;
    return 0xFFFD;
  }
  UChar32 cp = c & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
  for (int k = 1; k <= need; k++) {
    unsigned char cc = s[*i + (size_t)k];
    if ((cc & 0xC0) != 0x80) {
      (*i)++;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
    (*i)++;
    return 0xFFFD;
  }
  *i += (size_t)need + 1;
  return cp;
}

static size_t put_cp(char *out, UChar32 cp) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---- the filters ---------------------------------------------------------------------------------- */

static lp_status reserve(lp__fts_tokenizer *tk, size_t n, lp_error *err) {
  if (n <= tk->cap) return LP_OK;
  size_t cap = tk->cap ? tk->cap : 256;
  while (cap < n) cap *= 2;
  char *a = realloc(tk->scratch, cap);
  if (a) tk->scratch = a;
  char *b = realloc(tk->scratch2, cap);
  if (b) tk->scratch2 = b;
  if (!a || !b) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for a token of %zu bytes", n);
  tk->cap = cap;
  return LP_OK;
}

static void swap_scratch(lp__fts_tokenizer *tk) {
  char *t = tk->scratch;
  tk->scratch = tk->scratch2;
  tk->scratch2 = t;
}

static bool is_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return false;
  return true;
}

/* Lower-case each character on its own (full mapping: U+0130 becomes "i" + U+0307), no context rules. */
static lp_status lower_case(lp__fts_tokenizer *tk, size_t *n, lp_error *err) {
  if (is_ascii(tk->scratch, *n)) {
    for (size_t i = 0; i < *n; i++) tk->scratch[i] = (char)tolower((unsigned char)tk->scratch[i]);
    return LP_OK;
  }
  LP_TRY(reserve(tk, 3 * *n + 8, err)); /* a lower-case form is at most 3x longer in UTF-8 */
  const unsigned char *s = (const unsigned char *)tk->scratch;
  size_t i = 0, o = 0;
  while (i < *n) {
    UChar32 cp = next_cp(s, *n, &i);
    if (cp == 0x130) {
      o += put_cp(tk->scratch2 + o, 'i');
      o += put_cp(tk->scratch2 + o, 0x307);
    } else {
      o += put_cp(tk->scratch2 + o, u_tolower(cp));
    }
  }
  swap_scratch(tk);
  *n = o;
  return LP_OK;
}

static lp_status stem(lp__fts_tokenizer *tk, size_t *n, lp_error *err) {
  const sb_symbol *r = sb_stemmer_stem(tk->stemmer, (const sb_symbol *)tk->scratch, (int)*n);
  if (r == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory in the stemmer");
  size_t m = (size_t)sb_stemmer_length(tk->stemmer);
  LP_TRY(reserve(tk, m + 1, err));
  memcpy(tk->scratch, r, m);
  *n = m;
  return LP_OK;
}

static bool is_stop_word(const lp__fts_tokenizer *tk, const char *s, size_t n) {
  (void)tk; /* only English has a list here (lp__fts_tokenizer_new refuses the others) */
  for (size_t i = 0; i < sizeof english_stop_words / sizeof *english_stop_words; i++)
    if (strlen(english_stop_words[i]) == n && memcmp(english_stop_words[i], s, n) == 0) return true;
  return false;
}

/* Latin letters without a decomposition that ASCII folding still maps (the common ones). */
static const char *fold_special(UChar32 cp) {
  switch (cp) {
  case 0xC6: return "AE";
  case 0xE6: return "ae";
  case 0xD0: return "D";
  case 0xF0: return "d";
  case 0xD8: return "O";
  case 0xF8: return "o";
  case 0xDE: return "TH";
  case 0xFE: return "th";
  case 0xDF: return "ss";
  case 0x110: return "D";
  case 0x111: return "d";
  case 0x126: return "H";
  case 0x127: return "h";
  case 0x131: return "i";
  case 0x138: return "q";
  case 0x141: return "L";
  case 0x142: return "l";
  case 0x14A: return "N";
  case 0x14B: return "n";
  case 0x152: return "OE";
  case 0x153: return "oe";
  case 0x166: return "T";
  case 0x167: return "t";
  case 0x180: return "b";
  case 0x181: return "B";
  case 0x187: return "C";
  case 0x188: return "c";
  case 0x189: return "D";
  case 0x18A: return "D";
  case 0x191: return "F";
  case 0x192: return "f";
  case 0x193: return "G";
  case 0x197: return "I";
  case 0x198: return "K";
  case 0x199: return "k";
  case 0x19A: return "l";
  case 0x19D: return "N";
  case 0x19E: return "n";
  case 0x1A4: return "P";
  case 0x1A5: return "p";
  case 0x1AB: return "t";
  case 0x1AC: return "T";
  case 0x1AD: return "t";
  case 0x1AE: return "T";
  case 0x1B2: return "V";
  case 0x1B3: return "Y";
  case 0x1B4: return "y";
  case 0x1B5: return "Z";
  case 0x1B6: return "z";
  case 0x1E4: return "G";
  case 0x1E5: return "g";
  case 0x221: return "d";
  case 0x234: return "l";
  case 0x235: return "n";
  case 0x236: return "t";
  case 0x237: return "j";
  case 0x23A: return "A";
  case 0x23B: return "C";
  case 0x23C: return "c";
  case 0x23D: return "L";
  case 0x23E: return "T";
  case 0x243: return "B";
  case 0x246: return "E";
  case 0x247: return "e";
  case 0x248: return "J";
  case 0x249: return "j";
  case 0x24C: return "R";
  case 0x24D: return "r";
  case 0x24E: return "Y";
  case 0x24F: return "y";
  default: return NULL;
  }
}

/* The ASCII form of cp written to out (at most 18 bytes), or 0 when cp has none. */
static size_t fold_cp(const lp__fts_tokenizer *tk, UChar32 cp, char *out) {
  const char *special = fold_special(cp);
  if (special != NULL) {
    size_t m = strlen(special);
    memcpy(out, special, m);
    return m;
  }
  UChar d[32];
  UErrorCode uerr = U_ZERO_ERROR;
  int32_t dn = unorm2_getDecomposition(tk->nfkd, cp, d, 32, &uerr);
  if (U_FAILURE(uerr) || dn <= 0) return 0;
  size_t m = 0;
  for (int32_t i = 0; i < dn;) {
    UChar32 c;
    U16_NEXT(d, i, dn, c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c >= 0x80 || m >= 18) return 0;
    out[m++] = (char)c;
  }
  return m;
}

static lp_status ascii_fold(lp__fts_tokenizer *tk, size_t *n, lp_error *err) {
  if (is_ascii(tk->scratch, *n)) return LP_OK;
  LP_TRY(reserve(tk, 18 * *n + 8, err));
  const unsigned char *s = (const unsigned char *)tk->scratch;
  size_t i = 0, o = 0;
  while (i < *n) {
    size_t start = i;
    UChar32 cp = next_cp(s, *n, &i);
    size_t m = fold_cp(tk, cp, tk->scratch2 + o);
    if (m == 0) {
      memcpy(tk->scratch2 + o, s + start, i - start);
      m = i - start;
    }
    o += m;
  }
  swap_scratch(tk);
  *n = o;
  return LP_OK;
}

/* Run one base token (raw bytes text[a, b)) through the filters and append what is left. */
static lp_status emit(lp__fts_tokenizer *tk, const char *text, size_t a, size_t b, uint32_t pos, lp__fts_terms *out,
                      lp_error *err) {
  /* Re-encode so that invalid input becomes U+FFFD (at most 3 bytes per input byte). */
  LP_TRY(reserve(tk, 3 * (b - a) + 8, err));
  size_t n = 0;
  for (size_t i = a; i < b;) n += put_cp(tk->scratch + n, next_cp((const unsigned char *)text, b, &i));
  if (tk->p.max_token_length > 0 && n >= tk->p.max_token_length) return LP_OK;
  if (tk->p.lower_case) LP_TRY(lower_case(tk, &n, err));
  if (tk->stemmer != NULL) LP_TRY(stem(tk, &n, err));
  if (tk->p.remove_stop_words && is_stop_word(tk, tk->scratch, n)) return LP_OK;
  if (tk->p.ascii_folding) LP_TRY(ascii_fold(tk, &n, err));
  return terms_push(out, tk->scratch, n, pos, err);
}

/* ---- base tokenizers ------------------------------------------------------------------------------- */

static bool is_alphanumeric(UChar32 cp) {
  if (cp < 0x80) return isalnum(cp) != 0;
  if (u_hasBinaryProperty(cp, UCHAR_ALPHABETIC)) return true;
  int8_t t = u_charType(cp);
  return t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER;
}

static bool is_ascii_space(UChar32 cp) { return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\f' || cp == '\r'; }

/* Maximal runs of characters for which in_token holds. */
static lp_status split_runs(lp__fts_tokenizer *tk, const char *text, size_t n, bool (*in_token)(UChar32),
                            lp__fts_terms *out, lp_error *err) {
  const unsigned char *s = (const unsigned char *)text;
  uint32_t pos = 0;
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    if (!in_token(next_cp(s, n, &i))) continue;
    size_t end = i;
    while (i < n) {
      size_t at = i;
      if (!in_token(next_cp(s, n, &i))) {
        i = at;
        break;
      }
      end = i;
    }
    LP_TRY(emit(tk, text, start, end, pos++, out, err));
  }
  return LP_OK;
}

static bool not_ascii_space(UChar32 cp) { return !is_ascii_space(cp); }

/* Every run of min..max characters (only those starting the text when prefix_only), by start then length. */
static lp_status split_ngrams(lp__fts_tokenizer *tk, const char *text, size_t n, lp__fts_terms *out, lp_error *err) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t start = 0; start < n;) {
    size_t end = start, chars = 0;
    while (chars < tk->p.max_ngram_length && end < n) {
      next_cp(s, n, &end);
      chars++;
      if (chars >= tk->p.min_ngram_length) LP_TRY(emit(tk, text, start, end, 0, out, err));
    }
    if (tk->p.prefix_only) break;
    next_cp(s, n, &start);
  }
  return LP_OK;
}

lp_status lp__fts_tokenize(lp__fts_tokenizer *tk, const char *text, size_t n, lp__fts_terms *out, lp_error *err) {
  if (tk == NULL || (text == NULL && n > 0) || out == NULL)
    return lp_error_set(err, LP_EINVAL, "fts: tokenize needs a tokenizer, a text and an output");
  switch (tk->p.base) {
  case LP_FTS_BASE_SIMPLE: return split_runs(tk, text, n, is_alphanumeric, out, err);
  case LP_FTS_BASE_WHITESPACE: return split_runs(tk, text, n, not_ascii_space, out, err);
  case LP_FTS_BASE_RAW: return n == 0 ? LP_OK : emit(tk, text, 0, n, 0, out, err);
  case LP_FTS_BASE_NGRAM: return split_ngrams(tk, text, n, out, err);
  }
  return lp_error_set(err, LP_EINVAL, "fts: unknown base tokenizer %d", (int)tk->p.base);
}

/* ---- construction ---------------------------------------------------------------------------------- */

static const char *stemmer_algorithm(const char *language) {
  for (size_t i = 0; i < sizeof languages / sizeof *languages; i++)
    if (strcasecmp(languages[i].name, language) == 0) return languages[i].algorithm;
  return NULL;
}

static lp_status check_params(const lp__fts_params *p, lp_error *err) {
  if ((unsigned)p->base > LP_FTS_BASE_NGRAM) return lp_error_set(err, LP_EINVAL, "fts: unknown base tokenizer %d", (int)p->base);
  if (p->base == LP_FTS_BASE_NGRAM &&
      (p->min_ngram_length == 0 || p->max_ngram_length < p->min_ngram_length || p->max_ngram_length > 255))
    return lp_error_set(err, LP_EINVAL, "fts: ngram lengths must satisfy 0 < min (%u) <= max (%u) <= 255",
                        p->min_ngram_length, p->max_ngram_length);
  if (p->stem && stemmer_algorithm(p->language) == NULL)
    return lp_error_set(err, LP_EUNSUPPORTED, "fts: no stemmer for language '%s'", p->language);
  if (p->remove_stop_words && strcasecmp(p->language, "English") != 0)
    return lp_error_set(err, LP_EUNSUPPORTED,
                        "fts: stop words of language '%s' are not supported by lancepool yet (English only)", p->language);
  return LP_OK;
}

lp_status lp__fts_tokenizer_new(const lp__fts_params *p, lp__fts_tokenizer **out, lp_error *err) {
  *out = NULL;
  if (p == NULL) return lp_error_set(err, LP_EINVAL, "fts: tokenizer parameters are NULL");
  LP_TRY(check_params(p, err));
  lp__fts_tokenizer *tk = calloc(1, sizeof *tk);
  if (tk == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for a tokenizer");
  tk->p = *p;
  if (p->stem) {
    tk->stemmer = sb_stemmer_new(stemmer_algorithm(p->language), "UTF_8");
    if (tk->stemmer == NULL) {
      free(tk);
      return lp_error_set(err, LP_EUNSUPPORTED, "fts: libstemmer has no stemmer for '%s'", p->language);
    }
  }
  if (p->ascii_folding) {
    UErrorCode uerr = U_ZERO_ERROR;
    tk->nfkd = unorm2_getNFKDInstance(&uerr);
    if (U_FAILURE(uerr)) {
      lp__fts_tokenizer_free(tk);
      return lp_error_set(err, LP_EIO, "fts: ICU has no NFKD data: %s", u_errorName(uerr));
    }
  }
  *out = tk;
  return LP_OK;
}

void lp__fts_tokenizer_free(lp__fts_tokenizer *tk) {
  if (tk == NULL) return;
  if (tk->stemmer) sb_stemmer_delete(tk->stemmer);
  free(tk->scratch);
  free(tk->scratch2);
  free(tk);
}
