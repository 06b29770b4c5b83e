/* The dump command's JSON emitter and the schema command's type text, on hand-built Arrow arrays.
 * The command line is not part of the library, so its two source files are compiled in here. */
#include <math.h>
#include <stdint.h>

#include "cli/json_out.c"
#include "cli/type_text.c"
#include "lp_test.h"

/* ---- Hand-built arrays ---------------------------------------------------------------------------- */

static void noop_array_release(struct ArrowArray *a) { a->release = NULL; }
static void noop_schema_release(struct ArrowSchema *s) { s->release = NULL; }

#define MAX_NODES 64
static struct ArrowArray arrays[MAX_NODES];
static struct ArrowSchema schemas[MAX_NODES];
static const void *bufs[MAX_NODES][3];
static struct ArrowArray *akids[MAX_NODES][8];
static struct ArrowSchema *skids[MAX_NODES][8];
static int n_nodes;

/* A node: format, name, length, null count, offset, up to three buffers and children (indexes). */
static int mk(const char *format, const char *name, int64_t length, int64_t null_count, int64_t offset,
              int n_buffers, const void *b0, const void *b1, const void *b2, int n_children, const int *children) {
  CHECK_LT(n_nodes, MAX_NODES);
  int i = n_nodes++;
  bufs[i][0] = b0;
  bufs[i][1] = b1;
  bufs[i][2] = b2;
  for (int c = 0; c < n_children; c++) {
    akids[i][c] = &arrays[children[c]];
    skids[i][c] = &schemas[children[c]];
  }
  arrays[i] = (struct ArrowArray){length, null_count, offset, n_buffers, n_children, bufs[i], akids[i], NULL,
                                  noop_array_release, NULL};
  schemas[i] = (struct ArrowSchema){format, name, NULL, ARROW_FLAG_NULLABLE, n_children, skids[i], NULL,
                                    noop_schema_release, NULL};
  return i;
}

/* Render a struct node as JSON Lines into a malloc'd string. */
static char *render(int root) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  CHECK(mem != NULL);
  lp_error err = {0};
  lp__json_out o;
  lp__json_plan *plan = NULL;
  CHECK_OK(lp__json_out_init(&o, mem, 0, &err), &err);
  CHECK_OK(lp__json_plan_create(&schemas[root], &plan, &err), &err);
  CHECK_OK(lp__json_write_rows(&o, plan, &arrays[root], &err), &err);
  CHECK_OK(lp__json_out_flush(&o, &err), &err);
  lp__json_out_reset(&o);
  lp__json_plan_free(plan);
  fclose(mem);
  return text;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Number of significant digits in a formatted number. */
static int sig_digits(const char *s) {
  int n = 0, started = 0, trailing_zeros = 0;
  for (; *s && *s != 'e'; s++) {
    if (*s < '0' || *s > '9') continue;
    if (*s == '0' && !started) continue;
    started = 1;
    n++;
    trailing_zeros = *s == '0' ? trailing_zeros + 1 : 0;
  }
  return n - trailing_zeros;
}

/* ---- Floats -------------------------------------------------------------------------------------- */

static void test_f64_known(void) {
  static const struct { double v; const char *text; } cases[] = {
      {0.1, "0.1"}, {1.0, "1"}, {-2.5, "-2.5"}, {100, "100"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"}, {1e-7, "1e-7"}, {1.5e-7, "1.5e-7"},
      {0.000001, "0.000001"}, {0.0000012345, "0.0000012345"}, {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"}, {0.30000000000000004, "0.30000000000000004"},
      {9007199254740993.0, "9007199254740992"}, {-0.0, "-0"}, {0.0, "0"}, {NAN, "NaN"}, {INFINITY, "Infinity"},
      {-INFINITY, "-Infinity"}, {2.2250738585072014e-308, "2.2250738585072014e-308"}, {1.5, "1.5"},
      {123.456, "123.456"}, {9.5367431640625e-7, "9.5367431640625e-7"}, {0x1p-1022, "2.2250738585072014e-308"},
  };
  char buf[LP__JSON_NUM_MAX];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lp__json_format_f64(cases[i].v, buf);
    CHECK_STR_EQ(buf, cases[i].text);
  }
}

static void test_f64_random(void) {
  char buf[LP__JSON_NUM_MAX], shorter[64];
  for (int i = 0; i < 200000; i++) {
    uint64_t bits = rnd();
    double v;
    if (i % 4 == 0) v = (double)(rnd() % 1000000) / 1000.0; /* short decimals too */
    else memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) continue;
    lp__json_format_f64(v, buf);
    if (strtod(buf, NULL) != v) LP_FAIL("%a printed as %s does not read back", v, buf);
    int k = sig_digits(buf);
    if (k > 1) { /* no decimal one digit shorter reads back (the closest one is the candidate) */
      snprintf(shorter, sizeof shorter, "%.*e", k - 2, v);
      if (strtod(shorter, NULL) == v) LP_FAIL("%a: %s is shorter than %s", v, shorter, buf);
    }
  }
}

static void test_f32(void) {
  static const struct { float v; const char *text; } cases[] = {
      {0.1f, "0.1"}, {1.0f, "1"}, {16777216.0f, "16777216"}, {3.4028235e38f, "3.4028235e+38"},
      {1e-45f, "1e-45"}, {1.17549435e-38f, "1.1754944e-38"}, {0.3f, "0.3"}, {-0.0f, "-0"},
      {1.0f / 3.0f, "0.33333334"}, {123456.79f, "123456.79"}, {1e10f, "10000000000"},
  };
  char buf[LP__JSON_NUM_MAX], shorter[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lp__json_format_f32(cases[i].v, buf);
    CHECK_STR_EQ(buf, cases[i].text);
  }
  for (int i = 0; i < 200000; i++) {
    uint32_t bits = (uint32_t)rnd();
    float v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) continue;
    lp__json_format_f32(v, buf);
    if (strtof(buf, NULL) != v) LP_FAIL("%a (float) printed as %s does not read back", (double)v, buf);
    int k = sig_digits(buf);
    if (k > 1) {
      snprintf(shorter, sizeof shorter, "%.*e", k - 2, (double)v);
      if (strtof(shorter, NULL) == v) LP_FAIL("%a: %s is shorter than %s", (double)v, shorter, buf);
    }
  }
}

static void test_f16(void) {
  char buf[LP__JSON_NUM_MAX];
  lp__json_format_f16(0x3c00, buf);
  CHECK_STR_EQ(buf, "1");
  lp__json_format_f16(0x7bff, buf);
  CHECK_STR_EQ(buf, "65500"); /* 65500 is nearer 65504 than 65472 */
  lp__json_format_f16(0x0001, buf);
  CHECK_STR_EQ(buf, "6e-8");
  lp__json_format_f16(0x3555, buf);
  CHECK_STR_EQ(buf, "0.3333");
  lp__json_format_f16(0xfc00, buf);
  CHECK_STR_EQ(buf, "-Infinity");
  lp__json_format_f16(0x8000, buf);
  CHECK_STR_EQ(buf, "-0");
  for (uint32_t h = 0; h < 0x10000; h++) { /* every half: exact conversions and round trip */
    float f = lp__half_to_float((uint16_t)h);
    if (isnan(f)) continue;
    CHECK_EQ(lp__half_from_double((double)f), h);
    lp__json_format_f16((uint16_t)h, buf);
    if (isinf(f)) continue;
    if (lp__half_from_double(strtod(buf, NULL)) != h) LP_FAIL("half %04x printed as %s does not read back", h, buf);
  }
  /* rounding of doubles to half: ties to even, overflow, subnormal */
  CHECK_EQ(lp__half_from_double(65519.0), 0x7bff);
  CHECK_EQ(lp__half_from_double(65520.0), 0x7c00);
  CHECK_EQ(lp__half_from_double(1.0 + 0x1p-11), 0x3c00);           /* tie -> even (down) */
  CHECK_EQ(lp__half_from_double(1.0 + 3 * 0x1p-11), 0x3c02);       /* tie -> even (up) */
  CHECK_EQ(lp__half_from_double(0x1p-25), 0x0000);                 /* half of the least subnormal */
  CHECK_EQ(lp__half_from_double(0x1p-25 + 0x1p-40), 0x0001);
}

/* ---- Values through the row writer ---------------------------------------------------------------- */

static void test_integers(void) {
  n_nodes = 0;
  static const int64_t i64[] = {INT64_MIN, -1, 0, INT64_MAX, 9007199254740993};
  static const uint64_t u64[] = {UINT64_MAX, 0, 1, 18446744073709551614u, 9007199254740993u};
  static const int8_t i8[] = {-128, 127, 0, -1, 5};
  static const uint16_t u16[] = {65535, 0, 1, 2, 3};
  static const uint8_t valid = 0x1d; /* rows 0,2,3,4 valid; row 1 null */
  int c0 = mk("l", "a", 5, 0, 0, 2, NULL, i64, NULL, 0, NULL);
  int c1 = mk("L", "b", 5, 1, 0, 2, &valid, u64, NULL, 0, NULL);
  int c2 = mk("c", "c", 5, 0, 0, 2, NULL, i8, NULL, 0, NULL);
  int c3 = mk("S", "d", 5, 0, 0, 2, NULL, u16, NULL, 0, NULL);
  int kids[] = {c0, c1, c2, c3};
  int root = mk("+s", "", 5, 0, 0, 1, NULL, NULL, NULL, 4, kids);
  char *text = render(root);
  CHECK_STR_EQ(text,
               "{\"a\":-9223372036854775808,\"b\":18446744073709551615,\"c\":-128,\"d\":65535}\n"
               "{\"a\":-1,\"b\":null,\"c\":127,\"d\":0}\n"
               "{\"a\":0,\"b\":1,\"c\":0,\"d\":1}\n"
               "{\"a\":9223372036854775807,\"b\":18446744073709551614,\"c\":-1,\"d\":2}\n"
               "{\"a\":9007199254740993,\"b\":9007199254740993,\"c\":5,\"d\":3}\n");
  free(text);
}

static void test_strings_binary_bool(void) {
  n_nodes = 0;
  static const char data[] = "a\"b\\c\n\t\x01\x1f\x7f" "\xc3\xa9\xe2\x82\xac" "plain" "\x00\xff\xfe" "xyz";
  /* rows: escapes (12 bytes), unicode (5), plain (5), empty */
  static const int32_t soff[] = {0, 10, 15, 20, 20};
  static const int64_t boff[] = {20, 20, 21, 23, 26}; /* binary: "", 00, 00ff? -> see expected */
  static const uint8_t bools = 0x05;                   /* true,false,true,false */
  static const uint8_t valid = 0x07;                   /* row 3 null */
  int s = mk("u", "s", 4, 0, 0, 3, NULL, soff, data, 0, NULL);
  int b = mk("Z", "b\"in", 4, 0, 0, 3, NULL, boff, data, 0, NULL);
  int t = mk("b", "t", 4, 1, 0, 2, &valid, &bools, NULL, 0, NULL);
  int kids[] = {s, b, t};
  int root = mk("+s", "", 4, 0, 0, 1, NULL, NULL, NULL, 3, kids);
  char *text = render(root);
  CHECK_STR_EQ(text,
               "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\",\"b\\\"in\":\"\",\"t\":true}\n"
               "{\"s\":\"\xc3\xa9\xe2\x82\xac\",\"b\\\"in\":\"AA==\",\"t\":false}\n"
               "{\"s\":\"plain\",\"b\\\"in\":\"//4=\",\"t\":true}\n"
               "{\"s\":\"\",\"b\\\"in\":\"eHl6\",\"t\":null}\n");
  free(text);
}

static void test_base64_lengths(void) {
  static const uint8_t bytes[] = "Many hands make light work.";
  static const char *expect[] = {"", "TQ==", "TWE=", "TWFu", "TWFueQ==", "TWFueSA=", "TWFueSBo"};
  char *text = NULL;
  size_t len = 0;
  for (size_t n = 0; n < 7; n++) {
    FILE *mem = open_memstream(&text, &len);
    lp__json_out o;
    CHECK_OK(lp__json_out_init(&o, mem, 0, NULL), &(lp_error){0});
    put_base64(&o, bytes, n);
    CHECK_OK(lp__json_out_flush(&o, NULL), &(lp_error){0});
    lp__json_out_reset(&o);
    fclose(mem);
    char want[32];
    snprintf(want, sizeof want, "\"%s\"", expect[n]);
    CHECK_STR_EQ(text, want);
    free(text);
  }
  /* a long value crosses the writer's buffer many times */
  size_t big = 100000;
  uint8_t *src = malloc(big);
  for (size_t i = 0; i < big; i++) src[i] = (uint8_t)rnd();
  FILE *mem = open_memstream(&text, &len);
  lp__json_out o;
  CHECK_OK(lp__json_out_init(&o, mem, 0, NULL), &(lp_error){0});
  put_base64(&o, src, big);
  put_string(&o, src, 0);
  CHECK_OK(lp__json_out_flush(&o, NULL), &(lp_error){0});
  lp__json_out_reset(&o);
  fclose(mem);
  CHECK_EQ(len, 2 + (big + 2) / 3 * 4 + 2);
  free(text);
  free(src);
}

static void test_floats_in_rows(void) {
  n_nodes = 0;
  static const float f32[] = {0.1f, NAN, -INFINITY, -0.0f};
  static const double f64[] = {0.1, INFINITY, 1e300, 5e-324};
  static const uint16_t f16[] = {0x3c00, 0x7e00, 0x7c00, 0x0001};
  int a = mk("f", "f", 4, 0, 0, 2, NULL, f32, NULL, 0, NULL);
  int b = mk("g", "d", 4, 0, 0, 2, NULL, f64, NULL, 0, NULL);
  int c = mk("e", "h", 4, 0, 0, 2, NULL, f16, NULL, 0, NULL);
  int kids[] = {a, b, c};
  int root = mk("+s", "", 4, 0, 0, 1, NULL, NULL, NULL, 3, kids);
  char *text = render(root);
  CHECK_STR_EQ(text,
               "{\"f\":0.1,\"d\":0.1,\"h\":1}\n"
               "{\"f\":\"NaN\",\"d\":\"Infinity\",\"h\":\"NaN\"}\n"
               "{\"f\":\"-Infinity\",\"d\":1e+300,\"h\":\"Infinity\"}\n"
               "{\"f\":-0,\"d\":5e-324,\"h\":6e-8}\n");
  free(text);
}

/* list<struct<x: int32, tags: list<utf8>>>, fixed_size_list<float32, 2>, with nulls at each level and
 * sliced arrays (non-zero offsets) everywhere. */
static void test_nested(void) {
  n_nodes = 0;
  static const int32_t xs[] = {99, 1, 2, 3, 4};      /* offset 1 */
  static const uint8_t xvalid = 0x1b;                 /* index 2 (value 2) null */
  static const char words[] = "abcde";
  static const int32_t woff[] = {0, 1, 2, 3, 4, 5};
  static const int32_t toff[] = {0, 2, 2, 3, 5};     /* tags per struct: [a,b], [], [c], [d,e] */
  static const uint8_t svalid = 0x0b;                 /* struct 2 null */
  static const int32_t loff[] = {7, 0, 3, 3, 4};     /* list offset 1: rows [s0,s1,s2], [], [s3] */
  static const uint8_t lvalid = 0x1a;                 /* row 1 (physical 2)... see below */
  int w = mk("u", "item", 5, 0, 0, 3, NULL, woff, words, 0, NULL);
  int tags = mk("+l", "tags", 4, 0, 0, 2, NULL, toff, NULL, 1, (int[]){w});
  int x = mk("i", "x", 4, 1, 1, 2, &xvalid, xs, NULL, 0, NULL);
  int st = mk("+s", "item", 4, 1, 0, 1, &svalid, NULL, NULL, 2, (int[]){x, tags});
  int list = mk("+l", "l", 3, 1, 1, 2, &lvalid, loff, NULL, 1, (int[]){st});
  static const float vals[] = {9, 9, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f};
  static const uint8_t vvalid = 0xfb; /* physical 2 = 1.5 is null */
  static const uint8_t fvalid = 0x0b; /* fsl physical 2 null */
  int fv = mk("f", "item", 8, 1, 0, 2, &vvalid, vals, NULL, 0, NULL);
  int fsl = mk("+w:2", "v", 3, 1, 1, 1, &fvalid, NULL, NULL, 1, (int[]){fv});
  int root = mk("+s", "", 3, 0, 0, 1, NULL, NULL, NULL, 2, (int[]){list, fsl});
  /* list physical rows 1,2,3: lvalid bits 1,3 set (0x1a = 11010b: bits 1,3,4) -> row at physical 2 null */
  char *text = render(root);
  CHECK_STR_EQ(text,
               "{\"l\":[{\"x\":1,\"tags\":[\"a\",\"b\"]},{\"x\":null,\"tags\":[]},null],"
               "\"v\":[null,2.5]}\n"
               "{\"l\":null,\"v\":null}\n"
               "{\"l\":[{\"x\":4,\"tags\":[\"d\",\"e\"]}],\"v\":[5.5,6.5]}\n");
  free(text);
}

static void test_bad_shapes(void) {
  n_nodes = 0;
  static const int32_t loff[] = {0, 5};
  static const int32_t vals[] = {1, 2};
  int v = mk("i", "item", 2, 0, 0, 2, NULL, vals, NULL, 0, NULL);
  int l = mk("+l", "l", 1, 0, 0, 2, NULL, loff, NULL, 1, (int[]){v});
  int root = mk("+s", "", 1, 0, 0, 1, NULL, NULL, NULL, 1, (int[]){l});
  lp_error err = {0};
  lp__json_out o;
  lp__json_plan *plan = NULL;
  FILE *devnull = fopen("/dev/null", "w");
  CHECK_OK(lp__json_out_init(&o, devnull, 0, &err), &err);
  CHECK_OK(lp__json_plan_create(&schemas[root], &plan, &err), &err);
  CHECK_EQ(lp__json_write_rows(&o, plan, &arrays[root], &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "outside");
  arrays[l].n_buffers = 1; /* wrong buffer count */
  CHECK_EQ(lp__json_write_rows(&o, plan, &arrays[root], &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "buffers");
  lp__json_plan_free(plan);
  schemas[v].format = "+m"; /* a map: not in the language */
  CHECK_EQ(lp__json_plan_create(&schemas[root], &plan, &err), LP_EUNSUPPORTED);
  CHECK_CONTAINS(err.message, "+m");
  CHECK(plan == NULL);
  CHECK_EQ(lp__json_plan_create(&schemas[v], &plan, &err), LP_EINVAL);
  lp__json_out_reset(&o);
  fclose(devnull);
}

/* ---- Type text ----------------------------------------------------------------------------------- */

static void check_type(int idx, const char *want) {
  char *text = NULL;
  lp_error err = {0};
  CHECK_OK(lp__type_text(&schemas[idx], &text, &err), &err);
  CHECK_STR_EQ(text, want);
  free(text);
}

static void test_type_text(void) {
  n_nodes = 0;
  static const char *simple[][2] = {
      {"b", "bool"}, {"c", "int8"}, {"s", "int16"}, {"i", "int32"}, {"l", "int64"}, {"C", "uint8"},
      {"S", "uint16"}, {"I", "uint32"}, {"L", "uint64"}, {"e", "float16"}, {"f", "float32"}, {"g", "float64"},
      {"u", "utf8"}, {"U", "large_utf8"}, {"z", "binary"}, {"Z", "large_binary"}, {"tdD", "date32"},
      {"tss:", "timestamp[s]"}, {"tsm:", "timestamp[ms]"}, {"tsu:", "timestamp[us]"}, {"tsn:", "timestamp[ns]"},
      {"tsu:UTC", "timestamp[us, tz=UTC]"}, {"tsn:America/New_York", "timestamp[ns, tz=America/New_York]"},
  };
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    check_type(mk(simple[i][0], "x", 0, 0, 0, 2, NULL, NULL, NULL, 0, NULL), simple[i][1]);
  n_nodes = 0;
  int f = mk("f", "item", 0, 0, 0, 2, NULL, NULL, NULL, 0, NULL);
  check_type(mk("+w:384", "v", 0, 0, 0, 1, NULL, NULL, NULL, 1, (int[]){f}), "fixed_size_list<float32, 384>");
  int u = mk("u", "item", 0, 0, 0, 3, NULL, NULL, NULL, 0, NULL);
  int lu = mk("+l", "tags", 0, 0, 0, 2, NULL, NULL, NULL, 1, (int[]){u});
  check_type(lu, "list<utf8>");
  int l64 = mk("l", "item", 0, 0, 0, 2, NULL, NULL, NULL, 0, NULL);
  check_type(mk("+L", "x", 0, 0, 0, 2, NULL, NULL, NULL, 1, (int[]){l64}), "large_list<int64>");
  int a = mk("i", "a", 0, 0, 0, 2, NULL, NULL, NULL, 0, NULL);
  int st = mk("+s", "s", 0, 0, 0, 1, NULL, NULL, NULL, 2, (int[]){a, lu});
  check_type(st, "struct<a: int32, tags: list<utf8>>");
  char *text = NULL;
  lp_error err = {0};
  CHECK_EQ(lp__type_text(&schemas[mk("+m", "m", 0, 0, 0, 1, NULL, NULL, NULL, 0, NULL)], &text, &err),
           LP_EUNSUPPORTED);
  CHECK_CONTAINS(err.message, "+m");
  CHECK(text == NULL);
}

int main(void) {
  RUN_TEST(test_f64_known);
  RUN_TEST(test_f64_random);
  RUN_TEST(test_f32);
  RUN_TEST(test_f16);
  RUN_TEST(test_integers);
  RUN_TEST(test_strings_binary_bool);
  RUN_TEST(test_base64_lengths);
  RUN_TEST(test_floats_in_rows);
  RUN_TEST(test_nested);
  RUN_TEST(test_bad_shapes);
  RUN_TEST(test_type_text);
  return 0;
}
