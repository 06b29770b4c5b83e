/* Writes on S3 against the real gateway: a fresh bucket, then s3_write_interop.sh runs lancepool's write
 * commands on s3://bucket/db with official LanceDB 0.31.0 reading, appending and committing concurrently on
 * the same bucket (see the script for the cases). The engine gets its settings from the AWS_* variables,
 * LanceDB from LP_S3_*, both from the env file of scripts/rgw.sh. */
#include <stdio.h>
#include <stdlib.h>

#include "s3_test_env.h"

static s3_env env;
static char bucket[64];

static void check_writes_with_lancedb(void) { s3_run_script("s3_write_interop.sh", bucket, "s3-write"); }

int main(void) {
  env = s3_env_load();
  s3_env_export(&env);
  lp__s3_client *c = s3_env_client(&env);
  s3_unique_bucket("lp-write", bucket, sizeof bucket);
  lp_error err;
  CHECK_OK(lp__s3_create_bucket(c, bucket, &err), &err);
  RUN_TEST(check_writes_with_lancedb);
  s3_delete_bucket(c, bucket);
  lp__s3_client_destroy(c);
  return 0;
}
