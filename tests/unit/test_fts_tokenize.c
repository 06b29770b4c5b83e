/* The FTS analysis pipeline: the base tokenizers, the order of the filters (long tokens dropped before
 * lower-casing, stop words compared with the stemmed form, folding last), positions with gaps, invalid
 * UTF-8, and refused settings. Agreement with LanceDB on real indexes is tests/interop/test_fts_interop.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/fts_tokenize.h"
#include "lp_test.h"

/* The terms of text joined by '|', with their positions when with_pos. */
static void terms_of(const lp__fts_params *p, const char *text, size_t n, char *out, size_t cap, bool with_pos) {
  lp__fts_tokenizer *tk;
  lp_error err = {0};
  CHECK_OK(lp__fts_tokenizer_new(p, &tk, &err), &err);
  lp__fts_terms t = {0};
  CHECK_OK(lp__fts_tokenize(tk, text, n, &t, &err), &err);
  size_t o = 0;
  out[0] = '\0';
  for (size_t i = 0; i < t.n && o + t.len[i] + 16 < cap; i++) {
    if (i) out[o++] = '|';
    memcpy(out + o, t.bytes + t.off[i], t.len[i]);
    o += t.len[i];
    if (with_pos) o += (size_t)snprintf(out + o, cap - o, "@%u", t.pos[i]);
    out[o] = '\0';
  }
  lp__fts_terms_reset(&t);
  lp__fts_tokenizer_free(tk);
}

static void check_terms(const lp__fts_params *p, const char *text, const char *want) {
  char got[1024];
  terms_of(p, text, strlen(text), got, sizeof got, false);
  CHECK_STR_EQ(got, want);
}

static void test_default_pipeline(void) {
  lp__fts_params p;
  lp__fts_params_default(&p);
  /* Stop words go (after stemming), the rest is stemmed and lower-cased. */
  check_terms(&p, "The quick brown Foxes were RUNNING into the woods", "quick|brown|fox|were|run|wood");
  /* Punctuation and symbols split; digits are letters of a token. */
  check_terms(&p, "e-mail: user@example.com, v2.0 x86_64", "e|mail|user|exampl|com|v2|0|x86|64");
  /* Accents are folded after stemming. */
  check_terms(&p, "Café Crème naïve", "cafe|creme|naiv");
  /* Non-Latin scripts: letters are letters; Greek capital sigma lower-cases to sigma, never final sigma. */
  check_terms(&p, "Русский ΣΟΦΟΣ 東京タワー", "русский|σοφοσ|東京タワー");
  char got[256];
  terms_of(&p, "the cat and the hat", 19, got, sizeof got, true);
  CHECK_STR_EQ(got, "cat@1|hat@4"); /* removed stop words leave position gaps */
}

static void test_max_token_length(void) {
  lp__fts_params p;
  lp__fts_params_default(&p);
  char text[128];
  memset(text, 'a', 39);
  strcpy(text + 39, " ");
  memset(text + 40, 'b', 40);
  text[80] = '\0';
  char got[256];
  terms_of(&p, text, strlen(text), got, sizeof got, false);
  CHECK_EQ(strlen(got), 39); /* 39 bytes kept, 40 dropped */
  /* Measured in bytes before lower-casing: 20 two-byte letters are 40 bytes. */
  check_terms(&p, "ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ ok", "ok");
  p.max_token_length = 0;
  terms_of(&p, text, strlen(text), got, sizeof got, false);
  CHECK_EQ(strlen(got), 39 + 1 + 40);
}

static void test_switches(void) {
  lp__fts_params p;
  lp__fts_params_default(&p);
  p.stem = p.remove_stop_words = p.ascii_folding = false;
  check_terms(&p, "The Cafés running", "the|cafés|running");
  p.lower_case = false;
  check_terms(&p, "The Cafés", "The|Cafés");
  lp__fts_params_default(&p);
  p.base = LP_FTS_BASE_WHITESPACE;
  check_terms(&p, "hello,  world!\tfoo-bar", "hello,|world!|foo-bar");
  p.base = LP_FTS_BASE_RAW;
  p.stem = p.remove_stop_words = false;
  check_terms(&p, "Hello World", "hello world");
  p.base = LP_FTS_BASE_NGRAM;
  p.min_ngram_length = 2;
  p.max_ngram_length = 3;
  check_terms(&p, "abcd", "ab|abc|bc|bcd|cd");
  p.prefix_only = true;
  check_terms(&p, "abcd", "ab|abc");
  p.prefix_only = false;
  check_terms(&p, "aé", "ae"); /* characters, not bytes, then folded */
}

static void test_invalid_utf8_and_refusals(void) {
  lp__fts_params p;
  lp__fts_params_default(&p);
  char got[256];
  /* A stray continuation byte, a truncated sequence, an overlong NUL and a surrogate: all separators. */
  const char bad[] = "ab\x80" "cd\xC3" " ef\xC0\x80gh\xED\xA0\x80ij\xF0\x9F";
  terms_of(&p, bad, sizeof bad - 1, got, sizeof got, false);
  CHECK_STR_EQ(got, "ab|cd|ef|gh|ij");
  terms_of(&p, "", 0, got, sizeof got, false);
  CHECK_STR_EQ(got, "");
  lp__fts_tokenizer *tk;
  lp_error err = {0};
  strcpy(p.language, "Klingon");
  CHECK_EQ(lp__fts_tokenizer_new(&p, &tk, &err), LP_EUNSUPPORTED);
  CHECK(strstr(err.message, "Klingon") != NULL);
  lp__fts_params_default(&p);
  p.base = LP_FTS_BASE_NGRAM;
  p.min_ngram_length = 4;
  CHECK_EQ(lp__fts_tokenizer_new(&p, &tk, &err), LP_EINVAL);
  lp__fts_base b;
  CHECK_EQ(lp__fts_base_parse("jieba", &b, &err), LP_EUNSUPPORTED);
  CHECK_OK(lp__fts_base_parse("whitespace", &b, &err), &err);
  CHECK_EQ(b, LP_FTS_BASE_WHITESPACE);
}

/* An 8 MiB document of words, one long token of 1 MiB and random bytes: terms come out, nothing breaks. */
static void test_huge_document(void) {
  size_t n = 8u << 20;
  char *doc = malloc(n);
  CHECK(doc != NULL);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    doc[i] = i < (1u << 20) ? 'z' : (char)((i % 7 == 0) ? ' ' : (i % 3 == 0) ? (char)(x >> 24) : 'a' + (char)(x >> 28));
  }
  lp__fts_params p;
  lp__fts_params_default(&p);
  lp__fts_tokenizer *tk;
  lp_error err = {0};
  CHECK_OK(lp__fts_tokenizer_new(&p, &tk, &err), &err);
  lp__fts_terms t = {0};
  CHECK_OK(lp__fts_tokenize(tk, doc, n, &t, &err), &err);
  CHECK_GT(t.n, 100000);
  for (size_t i = 0; i < t.n; i++) CHECK_LT(t.len[i], 40 * 3);
  lp__fts_terms_reset(&t);
  lp__fts_tokenizer_free(tk);
  free(doc);
}

int main(void) {
  RUN_TEST(test_default_pipeline);
  RUN_TEST(test_max_token_length);
  RUN_TEST(test_switches);
  RUN_TEST(test_invalid_utf8_and_refusals);
  RUN_TEST(test_huge_document);
  return 0;
}
