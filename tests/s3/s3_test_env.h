/* For the s3 tests: the gateway's settings from the env file scripts/rgw.sh wrote ($LP_S3_ENV_FILE), a
 * client made from them, and a fresh bucket per test. A missing or unreadable file fails the test: the
 * tests never skip. */
#ifndef LP_S3_TEST_ENV_H
#define LP_S3_TEST_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "io/s3.h"
#include "lp_test.h"

typedef struct s3_env {
  char endpoint[256], endpoint_https[256], ca_file[512], access_key[128], secret_key[128], region[64];
} s3_env;

static void s3_env_field(const char *line, const char *name, char *out, size_t size) {
  size_t n = strlen(name);
  if (strncmp(line, name, n) != 0 || line[n] != '=') return;
  const char *value = line + n + 1;
  size_t len = strcspn(value, "\r\n");
  if (len >= size) LP_FAIL("%s: value of %zu bytes, more than the %zu this test keeps", name, len, size - 1);
  memcpy(out, value, len);
  out[len] = '\0';
}

static s3_env s3_env_load(void) {
  s3_env e;
  memset(&e, 0, sizeof e);
  const char *path = getenv("LP_S3_ENV_FILE");
  if (path == NULL) LP_FAIL("LP_S3_ENV_FILE is not set: run through ctest (the rgw fixture) or scripts/rgw.sh run");
  FILE *f = fopen(path, "r");
  if (f == NULL) LP_FAIL("cannot read %s: did scripts/rgw.sh start the gateway?", path);
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    s3_env_field(line, "LP_S3_ENDPOINT", e.endpoint, sizeof e.endpoint);
    s3_env_field(line, "LP_S3_ENDPOINT_HTTPS", e.endpoint_https, sizeof e.endpoint_https);
    s3_env_field(line, "LP_S3_CA_FILE", e.ca_file, sizeof e.ca_file);
    s3_env_field(line, "LP_S3_ACCESS_KEY", e.access_key, sizeof e.access_key);
    s3_env_field(line, "LP_S3_SECRET_KEY", e.secret_key, sizeof e.secret_key);
    s3_env_field(line, "LP_S3_REGION", e.region, sizeof e.region);
  }
  fclose(f);
  if (!*e.endpoint || !*e.endpoint_https || !*e.access_key || !*e.secret_key) LP_FAIL("%s lacks a setting", path);
  return e;
}

/* Options for the gateway's HTTP endpoint, as LanceDB's storage options would give them. */
static void s3_env_options(const s3_env *e, lp__s3_options *o) {
  lp_error err;
  lp__s3_options_init(o);
  CHECK_OK(lp__s3_options_set(o, "endpoint", e->endpoint, &err), &err);
  CHECK_OK(lp__s3_options_set(o, "allow_http", "true", &err), &err);
  CHECK_OK(lp__s3_options_set(o, "aws_access_key_id", e->access_key, &err), &err);
  CHECK_OK(lp__s3_options_set(o, "aws_secret_access_key", e->secret_key, &err), &err);
  CHECK_OK(lp__s3_options_set(o, "region", e->region, &err), &err);
}

static lp__s3_client *s3_env_client(const s3_env *e) {
  lp__s3_options o;
  s3_env_options(e, &o);
  lp__s3_client *c = NULL;
  lp_error err;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  return c;
}

/* A bucket name no other test or run uses. */
static void s3_unique_bucket(const char *stem, char *out, size_t size) {
  snprintf(out, size, "%s-%d-%08llx", stem, (int)getpid(), (unsigned long long)(lp__random_u64() & 0xffffffffu));
}

/* The gateway's settings as the AWS_* variables the engine (and LanceDB) read, and as the LP_S3_* ones the
 * Node scripts in tests/interop/node/ read. */
static inline void s3_env_export(const s3_env *e) {
  setenv("AWS_ACCESS_KEY_ID", e->access_key, 1);
  setenv("AWS_SECRET_ACCESS_KEY", e->secret_key, 1);
  setenv("AWS_ENDPOINT_URL", e->endpoint, 1);
  setenv("AWS_ALLOW_HTTP", "true", 1);
  setenv("AWS_REGION", e->region, 1);
  setenv("LP_S3_ENDPOINT", e->endpoint, 1);
  setenv("LP_S3_ACCESS_KEY", e->access_key, 1);
  setenv("LP_S3_SECRET_KEY", e->secret_key, 1);
  setenv("LP_S3_REGION", e->region, 1);
}

/* Run `bash $LP_SOURCE_DIR/tests/s3/<script> s3://<bucket>/db <tmp>/<work>-<pid>`; it must succeed. */
static inline void s3_run_script(const char *script, const char *bucket, const char *work) {
  const char *src = getenv("LP_SOURCE_DIR"), *tmp = getenv("LP_TEST_TMP");
  CHECK(src != NULL && getenv("LANCEPOOL") != NULL && getenv("LP_NODE_DIR") != NULL);
  char cmd[1024];
  int n = snprintf(cmd, sizeof cmd, "bash '%s/tests/s3/%s' s3://%s/db '%s/%s-%d' >&2", src, script, bucket,
                   tmp ? tmp : "/tmp", work, (int)getpid());
  CHECK(n > 0 && (size_t)n < sizeof cmd);
  CHECK_EQ(system(cmd), 0);
}

typedef struct s3_key_batch {
  char items[64][512];
  int n;
} s3_key_batch;

static inline lp_status s3_collect_key(void *ctx, const lp__s3_entry *e, const char *prefix, lp_error *err) {
  (void)prefix, (void)err;
  s3_key_batch *k = ctx;
  if (e && k->n < 64) snprintf(k->items[k->n++], sizeof k->items[0], "%s", e->key);
  return LP_OK;
}

/* Delete every object of a test's bucket, then the bucket. */
static inline void s3_delete_bucket(lp__s3_client *c, const char *bucket) {
  lp_error err;
  static s3_key_batch keys;
  for (;;) {
    keys.n = 0;
    CHECK_OK(lp__s3_list(c, bucket, "", NULL, NULL, 64, s3_collect_key, &keys, &err), &err);
    if (keys.n == 0) break;
    const char *ptrs[64];
    for (int i = 0; i < keys.n; i++) ptrs[i] = keys.items[i];
    CHECK_OK(lp__s3_delete_objects(c, bucket, ptrs, (size_t)keys.n, &err), &err);
  }
  CHECK_OK(lp__s3_delete_bucket(c, bucket, &err), &err);
}

#endif
