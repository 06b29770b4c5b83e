/* Faults between lancepool and the real gateway: s3_faults.sh puts a loopback proxy that fails requests on
 * cue (503/500 storms, resets, 412 on manifest PUTs, slow answers) in front of RGW and checks bounded retries,
 * clear errors with the HTTP status and S3 error code, and that a failed write commits nothing (read back by
 * official LanceDB 0.31.0 and lancepool). A fresh bucket per run. */
#include "s3_test_env.h"

static s3_env env;
static char bucket[64];

static void check_faults(void) { s3_run_script("s3_faults.sh", bucket, "s3-faults"); }

int main(void) {
  env = s3_env_load();
  s3_env_export(&env);
  lp__s3_client *c = s3_env_client(&env);
  s3_unique_bucket("lp-faults", bucket, sizeof bucket);
  lp_error err;
  CHECK_OK(lp__s3_create_bucket(c, bucket, &err), &err);
  RUN_TEST(check_faults);
  s3_delete_bucket(c, bucket);
  lp__s3_client_destroy(c);
  return 0;
}
