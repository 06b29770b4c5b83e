/* A few assertion macros for lancepool's tests: no framework, each failure prints both values and the
 * place, then the test exits non-zero. */
#ifndef LP_TEST_H
#define LP_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LP_FAIL(...)                                           \
  do {                                                         \
    fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);      \
    fprintf(stderr, __VA_ARGS__);                              \
    fputc('\n', stderr);                                       \
    exit(1);                                                   \
  } while (0)

#define CHECK(cond)                                  \
  do {                                               \
    if (!(cond)) LP_FAIL("expected %s", #cond);      \
  } while (0)

#define CHECK_INT_OP(a, op, b)                                                                  \
  do {                                                                                          \
    long long lp_a_ = (long long)(a), lp_b_ = (long long)(b);                                   \
    if (!(lp_a_ op lp_b_)) LP_FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, lp_a_, lp_b_);        \
  } while (0)
#define CHECK_EQ(a, b) CHECK_INT_OP(a, ==, b)
#define CHECK_NE(a, b) CHECK_INT_OP(a, !=, b)
#define CHECK_LT(a, b) CHECK_INT_OP(a, <, b)
#define CHECK_LE(a, b) CHECK_INT_OP(a, <=, b)
#define CHECK_GT(a, b) CHECK_INT_OP(a, >, b)
#define CHECK_GE(a, b) CHECK_INT_OP(a, >=, b)

#define CHECK_STR_EQ(a, b)                                                            \
  do {                                                                                \
    const char *lp_sa_ = (a), *lp_sb_ = (b);                                          \
    if (lp_sa_ == NULL || lp_sb_ == NULL || strcmp(lp_sa_, lp_sb_) != 0)              \
      LP_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, lp_sa_ ? lp_sa_ : "(null)",       \
              lp_sb_ ? lp_sb_ : "(null)");                                            \
  } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                   \
  do {                                                                                     \
    const char *lp_h_ = (haystack), *lp_n_ = (needle);                                     \
    if (lp_h_ == NULL || strstr(lp_h_, lp_n_) == NULL)                                     \
      LP_FAIL("expected \"%s\" to contain \"%s\"", lp_h_ ? lp_h_ : "(null)", lp_n_);       \
  } while (0)

/* Check an lp_status-returning call succeeded, printing the error message when it did not. */
#define CHECK_OK(call, errp)                                                                    \
  do {                                                                                          \
    lp_status lp_st_ = (call);                                                                  \
    if (lp_st_ != LP_OK) LP_FAIL("%s: %s: %s", #call, lp_status_name(lp_st_), (errp)->message); \
  } while (0)

#define RUN_TEST_ARGS(fn, ...)                \
  do {                                        \
    fprintf(stderr, "-- %s\n", #fn);          \
    fn(__VA_ARGS__);                          \
  } while (0)

#define RUN_TEST(fn)                          \
  do {                                        \
    fprintf(stderr, "-- %s\n", #fn);          \
    fn();                                     \
  } while (0)

#endif
