/* The storage interface's shared contract (tests/storage_contract.h) on the S3 backend, against RGW, under a
 * prefix of a fresh bucket; and a second store on the same bucket without a prefix sees the objects under
 * their full keys. */
#include "s3_test_env.h"
#include "storage_contract.h"

int main(void) {
  s3_env env = s3_env_load();
  lp__s3_client *c = s3_env_client(&env);
  char bucket[64], uri[128];
  s3_unique_bucket("lp-storage", bucket, sizeof bucket);
  lp_error err;
  CHECK_OK(lp__s3_create_bucket(c, bucket, &err), &err);
  lp__s3_options o;
  s3_env_options(&env, &o);
  snprintf(uri, sizeof uri, "s3://%s/db/nested/", bucket);
  lp__storage *st;
  CHECK_OK(lp__storage_open(uri, &o, &st, &err), &err);
  CHECK_STR_EQ(lp__storage_kind(st), "s3");
  storage_contract(st);
  lp__storage_close(st);
  snprintf(uri, sizeof uri, "s3://%s", bucket);
  CHECK_OK(lp__storage_open(uri, &o, &st, &err), &err);
  listed top = contract_list(st, "");
  CHECK_EQ(top.n, 1);
  CHECK_STR_EQ(top.names[0], "db/");
  contract_check_text(st, "db/nested/t.lance/_versions/2.manifest", 0, -1, "two");
  const char *keys[] = {"db/nested/t.lance/data/a.lance", "db/nested/t.lance/_versions/1.manifest",
                        "db/nested/t.lance/_versions/2.manifest", "db/nested/t.lance/_versions/race.manifest",
                        "db/nested/t.lance-other"};
  CHECK_OK(lp__s3_delete_objects(c, bucket, keys, 5, &err), &err);
  lp__storage_close(st);
  lp__s3_options_reset(&o);
  CHECK_OK(lp__s3_delete_bucket(c, bucket, &err), &err);
  lp__s3_client_destroy(c);
  return 0;
}
