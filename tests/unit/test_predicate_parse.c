/* Predicate parser: operators, precedence, literals, quoting, and every syntax error with its position. */
#include "query/predicate.h"
#include "lp_test.h"

static char *render(const char *text) {
  lp__pred *p;
  lp_error err = {0};
  CHECK_OK(lp__pred_parse(text, strlen(text), &p, &err), &err);
  char *s = lp__pred_to_string(p);
  CHECK(s != NULL);
  lp__pred_free(p);
  return s;
}

#define CHECK_RENDER(text, want)          \
  do {                                    \
    char *s_ = render(text);              \
    CHECK_STR_EQ(s_, want);               \
    free(s_);                             \
  } while (0)

static void check_error(const char *text, lp_status code, const char *msg) {
  lp__pred *p = NULL;
  lp_error err = {0};
  lp_status rc = lp__pred_parse(text, strlen(text), &p, &err);
  if (rc != code) LP_FAIL("%s: expected %s, got %s (%s)", text, lp_status_name(code), lp_status_name(rc), err.message);
  CHECK(p == NULL);
  CHECK_STR_EQ(err.message, msg);
}

static void test_operators(void) {
  CHECK_RENDER("a = 1", "(`a` = 1)");
  CHECK_RENDER("a == 1", "(`a` = 1)");
  CHECK_RENDER("a != 1", "(`a` != 1)");
  CHECK_RENDER("a <> 1", "(`a` != 1)");
  CHECK_RENDER("a<1", "(`a` < 1)");
  CHECK_RENDER("a <= -1", "(`a` <= -1)");
  CHECK_RENDER("a > + 2.5", "(`a` > 2.5)");
  CHECK_RENDER("a >= 1e3", "(`a` >= 1000)");
  CHECK_RENDER("a IN (1, 2, NULL)", "(`a` IN (1, 2, NULL))");
  CHECK_RENDER("a not in ('x')", "(`a` NOT IN ('x'))");
  CHECK_RENDER("a BETWEEN 1 AND 5", "((`a` >= 1) AND (`a` <= 5))");
  CHECK_RENDER("a + 1 * 2 > 3", "((`a` + (1 * 2)) > 3)");
  CHECK_RENDER("a - b - c = 0", "(((`a` - `b`) - `c`) = 0)");
  CHECK_RENDER("s || 'x' || t = 'y'", "(((`s` || 'x') || `t`) = 'y')");
  CHECK_RENDER("-a % 7 = -3", "(((-`a`) % 7) = -3)");
  CHECK_RENDER("- -5 = a", "((--5) = `a`)");
  CHECK_RENDER("a + b BETWEEN 1 AND 2", "(((`a` + `b`) >= 1) AND ((`a` + `b`) <= 2))");
  CHECK_RENDER("Lower(s) = 'a' AND abs(-i) > 1", "((lower(`s`) = 'a') AND (abs((-`i`)) > 1))");
  CHECK_RENDER("CAST(a AS BIGINT UNSIGNED) = TRY_CAST(b AS TIMESTAMP(3))", "(CAST(`a` AS 9) = TRY_CAST(`b` AS 18))");
  CHECK_RENDER("a::double > 1", "(CAST(`a` AS 12) > 1)");
  CHECK_RENDER("now() IS NOT NULL", "(now() IS NOT NULL)");
  CHECK_RENDER("a NOT BETWEEN 1 AND 5", "(NOT ((`a` >= 1) AND (`a` <= 5)))");
  CHECK_RENDER("a IS NULL", "(`a` IS NULL)");
  CHECK_RENDER("a is not null", "(`a` IS NOT NULL)");
  CHECK_RENDER("b IS TRUE", "(`b` IS TRUE)");
  CHECK_RENDER("b IS NOT FALSE", "(`b` IS NOT FALSE)");
  CHECK_RENDER("s LIKE 'a%'", "(`s` LIKE 'a%')");
  CHECK_RENDER("s NOT LIKE 'a\\_' ESCAPE '\\'", "(`s` NOT LIKE 'a\\_')");
  CHECK_RENDER("s ILIKE 'A%'", "(`s` ILIKE 'A%')");
  CHECK_RENDER("TRUE", "TRUE");
  CHECK_RENDER("x = false", "(`x` = FALSE)");
  CHECK_RENDER("d > date '2024-02-29'", "(`d` > DATE(19782))");
  CHECK_RENDER("t >= timestamp '1970-01-01 00:00:01.5'", "(`t` >= TIMESTAMP(1500000000))");
  CHECK_RENDER("t >= timestamp '1970-01-02T00:00:00'", "(`t` >= TIMESTAMP(86400000000000))");
  CHECK_RENDER("t < timestamp '1969-12-31'", "(`t` < TIMESTAMP(-86400000000000))");
  CHECK_RENDER("a = 99999999999999999999", "(`a` = 1e+20)"); /* beyond int64: a float, as DataFusion */
  /* LanceDB reads the digits, then the sign: a float; inside a function DataFusion reads the whole */
  CHECK_RENDER("a = -9223372036854775808", "(`a` = -9.2233720368547758e+18)");
  CHECK_RENDER("a = abs(-9223372036854775808)", "(`a` = abs(-9223372036854775808))");
  CHECK_RENDER("a = -9223372036854775807", "(`a` = -9223372036854775807)");
  CHECK_RENDER("lower(\"S\") = \"S\"", "(lower(`S`) = 'S')"); /* "..." in a function names a column */
}

static void test_precedence(void) {
  CHECK_RENDER("a = 1 OR b = 2 AND c = 3", "((`a` = 1) OR ((`b` = 2) AND (`c` = 3)))");
  CHECK_RENDER("(a = 1 OR b = 2) AND c = 3", "(((`a` = 1) OR (`b` = 2)) AND (`c` = 3))");
  CHECK_RENDER("NOT a = 1 AND b", "((NOT (`a` = 1)) AND `b`)");
  CHECK_RENDER("NOT NOT a", "(NOT (NOT `a`))");
  CHECK_RENDER("a OR b OR c", "((`a` OR `b`) OR `c`)");
  CHECK_RENDER("NOT a IS NULL", "(NOT (`a` IS NULL))");
  CHECK_RENDER("a > 1 = TRUE", "((`a` > 1) = TRUE)");
  CHECK_RENDER("a = 1 IS NULL", "((`a` = 1) IS NULL)");
  CHECK_RENDER("a AND NOT b OR c", "((`a` AND (NOT `b`)) OR `c`)");
}

static void test_names_and_strings(void) {
  CHECK_RENDER("MyCol = 1", "(`mycol` = 1)");            /* plain identifiers fold to lower case */
  CHECK_RENDER("`MyCol` = 1", "(`MyCol` = 1)");          /* quoted ones keep their case */
  CHECK_RENDER("`my col` = 1", "(`my col` = 1)");
  CHECK_RENDER("`a``b` = 1", "(`a`b` = 1)");
  CHECK_RENDER("st.x = 1", "(`st`.`x` = 1)");
  CHECK_RENDER("st.`Inner Field`.y > 2", "(`st`.`Inner Field`.`y` > 2)");
  CHECK_RENDER("s = 'it''s'", "(`s` = 'it's')");
  CHECK_RENDER("s = \"dq\"", "(`s` = 'dq')");
  CHECK_RENDER("s = 'ä€😀'", "(`s` = 'ä€😀')");
  CHECK_RENDER("s = ''", "(`s` = '')");
  CHECK_RENDER("date = 1", "(`date` = 1)"); /* a column named like a keyword */
}

static void test_errors(void) {
  check_error("", LP_EINVAL, "predicate: at character 1: expected an expression, found end of input");
  check_error("a = 1 AND", LP_EINVAL, "predicate: at character 10: expected an expression, found end of input");
  check_error("a > > 1", LP_EINVAL, "predicate: at character 5: expected an expression, found '>'");
  check_error("(a > 1", LP_EINVAL, "predicate: at character 7: expected ')', found end of input");
  check_error("a > 1)", LP_EINVAL, "predicate: at character 6: expected end of input (unbalanced ')'), found ')'");
  check_error("a = 'abc", LP_EINVAL, "predicate: at character 5: unterminated string literal");
  check_error("`abc = 1", LP_EINVAL, "predicate: at character 1: unterminated quoted identifier");
  check_error("a IN ()", LP_EINVAL, "predicate: at character 7: expected an expression, found ')'");
  check_error("a IN 1", LP_EINVAL, "predicate: at character 6: expected '(' after IN, found '1'");
  check_error("a IN (1 2)", LP_EINVAL, "predicate: at character 9: expected ',' or ')' in the IN list, found '2'");
  check_error("a BETWEEN 1 OR 2", LP_EINVAL, "predicate: at character 13: expected AND in BETWEEN, found 'OR'");
  check_error("a NOT = 1", LP_EINVAL, "predicate: at character 7: expected IN, BETWEEN, LIKE or ILIKE after NOT, found '='");
  check_error("a IS 1", LP_EINVAL, "predicate: at character 6: expected NULL, TRUE or FALSE after IS, found '1'");
  check_error("s LIKE 5", LP_EINVAL, "predicate: at character 8: expected a quoted pattern after LIKE, found '5'");
  check_error("s LIKE 'a' ESCAPE '#'", LP_EUNSUPPORTED,
              "predicate: at character 19: LIKE supports no escape character other than '\\'");
  check_error("a = 1 b = 2", LP_EINVAL, "predicate: at character 7: expected AND, OR or end of input, found 'b'");
  check_error("a & 1 = 1", LP_EINVAL, "predicate: at character 3: operator '&' is not supported");
  check_error("a | 1 = 1", LP_EINVAL, "predicate: at character 3: operator '|' is not supported");
  check_error("CASE WHEN a THEN 1 END = 1", LP_EINVAL,
              "predicate: at character 1: CASE is not supported by LanceDB's filter planner");
  check_error("a IS DISTINCT FROM 1", LP_EINVAL,
              "predicate: at character 6: IS DISTINCT FROM is not supported by LanceDB's filter planner");
  check_error("a IS NOT UNKNOWN", LP_EINVAL,
              "predicate: at character 10: IS NOT UNKNOWN is not supported by LanceDB's filter planner");
  check_error("s SIMILAR TO 'a'", LP_EINVAL,
              "predicate: at character 3: SIMILAR TO is not supported by LanceDB's filter planner (regexp_like is)");
  check_error("CAST(a AS VARCHAR) = '1'", LP_EINVAL, "predicate: at character 11: LanceDB does not support the type 'VARCHAR'");
  check_error("CAST(a AS DECIMAL(3,1)) = 1", LP_EUNSUPPORTED, "predicate: at character 11: unsupported type 'DECIMAL'");
  check_error("CAST(a INT) = 1", LP_EINVAL, "predicate: at character 8: expected AS in CAST, found 'INT'");
  check_error("f(a, ) = 1", LP_EINVAL, "predicate: at character 6: expected an expression, found ')'");
  check_error("a.b(1) = 1", LP_EINVAL, "predicate: at character 4: a function name has one part (no '.')");
  check_error("a + = 1", LP_EINVAL, "predicate: at character 5: expected an expression, found '='");
  check_error("a :: = 1", LP_EINVAL, "predicate: at character 6: expected a type name, found '='");
  check_error("a = 1 ! 2", LP_EINVAL, "predicate: at character 7: expected '=' after '!'");
  check_error("a = @", LP_EINVAL, "predicate: at character 5: unexpected character '@'");
  check_error("a = 0x10", LP_EINVAL, "predicate: at character 5: malformed number '0x10'");
  check_error("a = 1.2.3", LP_EINVAL, "predicate: at character 5: malformed number '1.2.3'");
  check_error("st. = 1", LP_EINVAL, "predicate: at character 5: expected a field name after '.', found '='");
  check_error("AND = 1", LP_EINVAL, "predicate: at character 1: expected an expression, found 'AND'");
  check_error("d > date '2023-02-29'", LP_EINVAL,
              "predicate: at character 10: malformed date literal '2023-02-29' (expected YYYY-MM-DD)");
  check_error("t > timestamp 'noon'", LP_EINVAL,
              "predicate: at character 15: malformed timestamp literal 'noon' (expected YYYY-MM-DD HH:MM:SS[.fraction] "
              "between 1677 and 2262)");
  /* Positions count characters, not bytes: 'ä' is two bytes. */
  check_error("s = 'ä' AND", LP_EINVAL, "predicate: at character 12: expected an expression, found end of input");
  {
    lp__pred *p = NULL;
    lp_error err = {0};
    CHECK_EQ(lp__pred_parse("a = 1\0b", 7, &p, &err), LP_EINVAL);
    CHECK_STR_EQ(err.message, "predicate: at character 6: unexpected NUL byte");
  }
}

static void test_limits(void) {
  /* Deep nesting is refused, not a stack overflow. */
  size_t n = 5000;
  char *s = malloc(2 * n + 8);
  memset(s, '(', n);
  strcpy(s + n, "a");
  memset(s + n + 1, ')', n);
  s[2 * n + 1] = '\0';
  lp__pred *p = NULL;
  lp_error err = {0};
  CHECK_EQ(lp__pred_parse(s, strlen(s), &p, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "nested too deeply");
  free(s);
  /* A long AND chain is refused past the height limit, and fine below it. */
  size_t terms = 2000;
  s = malloc(terms * 12 + 8);
  s[0] = '\0';
  for (size_t i = 0; i < terms; i++) strcat(s, i ? " AND a = 1" : "a = 1");
  CHECK_EQ(lp__pred_parse(s, strlen(s), &p, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "too long a chain");
  s[0] = '\0';
  for (size_t i = 0; i < 500; i++) strcat(s, i ? " AND a = 1" : "a = 1");
  CHECK_OK(lp__pred_parse(s, strlen(s), &p, &err), &err);
  lp__pred_free(p);
  free(s);
}

int main(void) {
  RUN_TEST(test_operators);
  RUN_TEST(test_precedence);
  RUN_TEST(test_names_and_strings);
  RUN_TEST(test_errors);
  RUN_TEST(test_limits);
  return 0;
}
