/* The storage interface's shared contract (tests/storage_contract.h) on the local-folder and in-memory
 * backends, plus what only the local one has: files land under the root, temporary files never show. */
#include <sys/stat.h>
#include <unistd.h>

#include "storage_contract.h"

static void test_memory(void) {
  lp__storage *st;
  lp_error err;
  CHECK_OK(lp__storage_open("memory://", NULL, &st, &err), &err);
  CHECK_STR_EQ(lp__storage_kind(st), "memory");
  storage_contract(st);
  lp__storage_close(st);
}

static void test_local(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  char root[512];
  snprintf(root, sizeof root, "%s/storage-%d", tmp ? tmp : "/tmp", (int)getpid());
  CHECK_EQ(mkdir(root, 0777), 0);
  lp__storage *st;
  lp_error err;
  CHECK_OK(lp__storage_open(root, NULL, &st, &err), &err);
  CHECK_STR_EQ(lp__storage_kind(st), "local");
  storage_contract(st);
  char path[600];
  snprintf(path, sizeof path, "%s/t.lance/_versions/2.manifest", root);
  struct stat sb;
  CHECK_EQ(stat(path, &sb), 0);
  CHECK_EQ(sb.st_size, 3);
  lp__storage_close(st);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  CHECK_EQ(system(cmd), 0);
}

static void test_open_errors(void) {
  lp__storage *st;
  lp_error err;
  CHECK_EQ(lp__storage_open("/no/such/folder/anywhere", NULL, &st, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "no such folder");
  CHECK_EQ(lp__storage_open("gs://bucket/x", NULL, &st, &err), LP_EUNSUPPORTED);
  CHECK_EQ(lp__storage_open("s3://bucket/x", NULL, &st, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "S3 options");
  lp__s3_options o;
  lp__s3_options_init(&o);
  o.access_key_id = strdup("a");
  o.secret_access_key = strdup("b");
  CHECK_EQ(lp__storage_open("s3://ab/x", &o, &st, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "at least 3 characters");
  lp__s3_options_reset(&o);
  CHECK_EQ(lp__storage_open(NULL, NULL, &st, &err), LP_EINVAL);
}

int main(void) {
  RUN_TEST(test_memory);
  RUN_TEST(test_local);
  RUN_TEST(test_open_errors);
  return 0;
}
