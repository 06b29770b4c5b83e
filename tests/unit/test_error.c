/* lp_error: codes, names, messages, errno text and wrapping. */
#include <errno.h>

#include "lancepool/error.h"
#include "lp_test.h"

static void test_set_returns_code_and_formats(void) {
  lp_error err;
  CHECK_EQ(lp_error_set(&err, LP_EIO, "file %s: page %d", "a.lance", 3), LP_EIO);
  CHECK_EQ(err.code, LP_EIO);
  CHECK_STR_EQ(err.message, "file a.lance: page 3");
  CHECK_EQ(lp_error_set(NULL, LP_ETIMEOUT, "ignored"), LP_ETIMEOUT);
}

static void test_errno_and_wrap(void) {
  lp_error err;
  lp_error_set_errno(&err, LP_EIO, ENOENT, "open %s", "x");
  CHECK_EQ(err.sys_errno, ENOENT);
  CHECK_STR_EQ(err.message, "open x: No such file or directory");
  CHECK_EQ(lp_error_wrap(&err, "table %s: ", "t"), LP_EIO);
  CHECK_STR_EQ(err.message, "table t: open x: No such file or directory");
  lp_error_clear(&err);
  CHECK_EQ(err.code, LP_OK);
  CHECK_STR_EQ(err.message, "");
}

static void test_names(void) {
  CHECK_STR_EQ(lp_status_name(LP_ETIMEOUT), "LP_ETIMEOUT");
  CHECK_STR_EQ(lp_status_str(LP_ECLOSED), "closing or closed");
  CHECK_STR_EQ(lp_status_name((lp_status)999), "LP_UNKNOWN");
}

int main(void) {
  RUN_TEST(test_set_returns_code_and_formats);
  RUN_TEST(test_errno_and_wrap);
  RUN_TEST(test_names);
  return 0;
}
