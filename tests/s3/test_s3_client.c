/* The S3 client against a real S3 server (the Ceph RGW the s3 fixture starts): every request type, paging
 * past 1000 keys, the conditional PUT LanceDB commits with, multipart, keys that need encoding, HTTPS with
 * the gateway's self-signed CA, virtual-hosted addressing, clear errors for wrong credentials and missing
 * buckets, and connection reuse through the per-endpoint pool. RGW checks SigV4 strictly, so every request
 * that succeeds here was signed right. */
#include <pthread.h>
#include <stdatomic.h>

#include "io/http_pool.h"
#include "s3_test_env.h"

static s3_env env;
static lp__s3_client *client;
static char bucket[64];

static void put_text(const char *key, const char *text) {
  lp_error err;
  CHECK_OK(lp__s3_put(client, bucket, key, text, strlen(text), 0, &err), &err);
}

static void check_object(const char *key, const void *want, size_t want_len) {
  uint8_t *got = NULL;
  size_t got_len = 0;
  lp_error err;
  CHECK_OK(lp__s3_get(client, bucket, key, 0, -1, &got, &got_len, &err), &err);
  CHECK_EQ(got_len, want_len);
  CHECK(memcmp(got, want, want_len) == 0);
  free(got);
}

static void test_put_get_head_ranges(void) {
  const char *text = "0123456789abcdefghij";
  put_text("small/obj.txt", text);
  check_object("small/obj.txt", text, strlen(text));
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_OK(lp__s3_get(client, bucket, "small/obj.txt", 5, 4, &got, &n, &err), &err);
  CHECK_EQ(n, 4);
  CHECK(memcmp(got, "5678", 4) == 0);
  free(got);
  CHECK_OK(lp__s3_get(client, bucket, "small/obj.txt", -3, -1, &got, &n, &err), &err);  /* suffix */
  CHECK_EQ(n, 3);
  CHECK(memcmp(got, "hij", 3) == 0);
  free(got);
  CHECK_OK(lp__s3_get(client, bucket, "small/obj.txt", 15, 100, &got, &n, &err), &err); /* past the end */
  CHECK_EQ(n, 5);
  CHECK(memcmp(got, "fghij", 5) == 0);
  free(got);
  lp__s3_object_info info;
  CHECK_OK(lp__s3_head(client, bucket, "small/obj.txt", &info, &err), &err);
  CHECK_EQ(info.size_bytes, strlen(text));
  CHECK(info.etag[0] == '"');
  /* An empty object, and a range in it that cannot be served. */
  put_text("small/empty", "");
  check_object("small/empty", "", 0);
  CHECK_EQ(lp__s3_get(client, bucket, "small/empty", 0, 10, &got, &n, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "HTTP 416 InvalidRange");
}

static void test_missing_key(void) {
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_EQ(lp__s3_get(client, bucket, "no/such/key", 0, -1, &got, &n, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "HTTP 404 NoSuchKey");
  CHECK_CONTAINS(err.message, "no/such/key");
  lp__s3_object_info info;
  CHECK_EQ(lp__s3_head(client, bucket, "no/such/key", &info, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "HTTP 404");
}

/* Keys LanceDB never writes but S3 allows: each needs SigV4's exact encoding to be accepted. */
static void test_keys_that_need_encoding(void) {
  const char *keys[] = {"enc/a b+c%d&e=f.txt", "enc/ümlaut-€", "enc/semi;colon,comma(paren)*star!'", "enc/~tilde_dot."};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    put_text(keys[i], keys[i]);
    check_object(keys[i], keys[i], strlen(keys[i]));
  }
}

static void test_conditional_put(void) {
  lp_error err;
  const char *key = "_versions/18446744073709551614.manifest";
  CHECK_OK(lp__s3_put(client, bucket, key, "first", 5, LP__S3_IF_NONE_MATCH, &err), &err);
  CHECK_EQ(lp__s3_put(client, bucket, key, "second", 6, LP__S3_IF_NONE_MATCH, &err), LP_ECONFLICT);
  CHECK_CONTAINS(err.message, "HTTP 412 PreconditionFailed");
  check_object(key, "first", 5);   /* the loser changed nothing */
}

typedef struct race {
  const char *key;
  atomic_int winners, conflicts, others;
} race;

static void *race_one(void *arg) {
  race *r = arg;
  lp_error err;
  char body[32];
  snprintf(body, sizeof body, "writer %lu", (unsigned long)pthread_self());
  lp_status st = lp__s3_put(client, bucket, r->key, body, strlen(body), LP__S3_IF_NONE_MATCH, &err);
  if (st == LP_OK) atomic_fetch_add(&r->winners, 1);
  else if (st == LP_ECONFLICT) atomic_fetch_add(&r->conflicts, 1);
  else atomic_fetch_add(&r->others, 1), fprintf(stderr, "racer: %s\n", err.message);
  return NULL;
}

/* Eight writers commit the same version at once: exactly one may win, as LanceDB's commit needs. */
static void test_conditional_put_race(void) {
  enum { N = 8 };
  race r = {.key = "_versions/race.manifest"};
  pthread_t t[N];
  for (int i = 0; i < N; i++) CHECK_EQ(pthread_create(&t[i], NULL, race_one, &r), 0);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  CHECK_EQ(atomic_load(&r.winners), 1);
  CHECK_EQ(atomic_load(&r.conflicts), N - 1);
  CHECK_EQ(atomic_load(&r.others), 0);
}

static void test_multipart(void) {
  size_t len = (size_t)11 << 20 | 12345;   /* three parts of 5 MiB, the last short */
  uint8_t *data = malloc(len);
  CHECK(data != NULL);
  for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 2654435761u >> 13);
  lp__s3_options o;
  s3_env_options(&env, &o);
  o.multipart_part_bytes = (size_t)5 << 20;
  lp__s3_client *c;
  lp_error err;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  CHECK_OK(lp__s3_put_multipart(c, bucket, "big/multipart.bin", data, len, &err), &err);
  lp__s3_object_info info;
  CHECK_OK(lp__s3_head(c, bucket, "big/multipart.bin", &info, &err), &err);
  CHECK_EQ(info.size_bytes, len);
  CHECK_CONTAINS(info.etag, "-3");   /* S3's multipart ETag ends in the part count */
  check_object("big/multipart.bin", data, len);
  uint8_t *got;
  size_t n;
  CHECK_OK(lp__s3_get(c, bucket, "big/multipart.bin", ((size_t)5 << 20) - 10, 20, &got, &n, &err), &err);
  CHECK_EQ(n, 20);
  CHECK(memcmp(got, data + ((size_t)5 << 20) - 10, 20) == 0);   /* a range across a part boundary */
  free(got);
  free(data);
  lp__s3_client_destroy(c);
}

/* ---- listing past 1000 keys, and batch deletes ---- */

enum { N_MANY = 1234, N_WRITERS = 4 };

static void many_key(int i, char *out, size_t size) { snprintf(out, size, "many/%05d.lance", i); }

static void *put_many(void *arg) {
  int w = (int)(intptr_t)arg;
  for (int i = w; i < N_MANY; i += N_WRITERS) {
    char key[64];
    many_key(i, key, sizeof key);
    put_text(key, key);
  }
  return NULL;
}

typedef struct collected {
  char **keys;
  size_t n, cap;
  size_t n_prefixes;
  char first_prefix[64];
} collected;

static lp_status collect(void *ctx, const lp__s3_entry *e, const char *prefix, lp_error *err) {
  (void)err;
  collected *c = ctx;
  if (e == NULL) {
    if (c->n_prefixes++ == 0) snprintf(c->first_prefix, sizeof c->first_prefix, "%s", prefix);
    return LP_OK;
  }
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 256;
    c->keys = realloc(c->keys, c->cap * sizeof *c->keys);
    CHECK(c->keys != NULL);
  }
  c->keys[c->n++] = strdup(e->key);
  if (strncmp(e->key, "many/", 5) == 0) CHECK_EQ(e->size_bytes, strlen(e->key));   /* their body is the key */
  return LP_OK;
}

static void collected_free(collected *c) {
  for (size_t i = 0; i < c->n; i++) free(c->keys[i]);
  free(c->keys);
  memset(c, 0, sizeof *c);
}

static void check_many_listing(int page_size) {
  collected got = {0};
  lp_error err;
  CHECK_OK(lp__s3_list(client, bucket, "many/", NULL, NULL, page_size, collect, &got, &err), &err);
  CHECK_EQ(got.n, N_MANY);
  for (int i = 0; i < N_MANY; i++) {   /* every key once, in lexical order */
    char key[64];
    many_key(i, key, sizeof key);
    CHECK_STR_EQ(got.keys[i], key);
  }
  collected_free(&got);
}

static void test_list_paging_and_delete(void) {
  pthread_t t[N_WRITERS];
  for (int w = 0; w < N_WRITERS; w++) CHECK_EQ(pthread_create(&t[w], NULL, put_many, (void *)(intptr_t)w), 0);
  for (int w = 0; w < N_WRITERS; w++) pthread_join(t[w], NULL);
  check_many_listing(0);     /* the server's pages of 1000: two pages */
  check_many_listing(300);   /* five pages */
  lp_error err;
  collected got = {0};       /* start-after, as a reader of _versions/ resumes */
  CHECK_OK(lp__s3_list(client, bucket, "many/", NULL, "many/01200.lance", 0, collect, &got, &err), &err);
  CHECK_EQ(got.n, N_MANY - 1201);
  CHECK_STR_EQ(got.keys[0], "many/01201.lance");
  collected_free(&got);
  CHECK_OK(lp__s3_list(client, bucket, "", "/", NULL, 0, collect, &got, &err), &err);   /* the top level */
  CHECK_GE(got.n_prefixes, 4);
  CHECK_STR_EQ(got.first_prefix, "_versions/");
  collected_free(&got);
  char **keys = malloc(N_MANY * sizeof *keys);
  for (int i = 0; i < N_MANY; i++) {
    keys[i] = malloc(64);
    many_key(i, keys[i], 64);
  }
  CHECK_OK(lp__s3_delete_objects(client, bucket, (const char *const *)keys, N_MANY, &err), &err);   /* two batches */
  CHECK_OK(lp__s3_list(client, bucket, "many/", NULL, NULL, 0, collect, &got, &err), &err);
  CHECK_EQ(got.n, 0);
  CHECK_OK(lp__s3_delete_objects(client, bucket, (const char *const *)keys, 3, &err), &err);  /* gone: no error */
  for (int i = 0; i < N_MANY; i++) free(keys[i]);
  free(keys);
}

/* ---- errors ---- */

static void test_wrong_credentials(void) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "aws_secret_access_key", "not-the-secret", &err), &err);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  uint8_t *got;
  size_t n;
  CHECK_EQ(lp__s3_get(c, bucket, "small/obj.txt", 0, -1, &got, &n, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "HTTP 403 SignatureDoesNotMatch");
  CHECK_EQ(lp__s3_retries(c), 0);   /* a 4xx is never retried */
  lp__s3_client_destroy(c);
  CHECK_OK(lp__s3_options_set(&o, "aws_access_key_id", "NOSUCHKEY0000000", &err), &err);
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  CHECK_EQ(lp__s3_put(c, bucket, "x", "y", 1, 0, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "HTTP 403 InvalidAccessKeyId");
  lp__s3_client_destroy(c);
  lp__s3_options_reset(&o);
}

static void test_missing_bucket(void) {
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_EQ(lp__s3_get(client, "lp-no-such-bucket", "k", 0, -1, &got, &n, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "HTTP 404 NoSuchBucket");
  collected c = {0};
  CHECK_EQ(lp__s3_list(client, "lp-no-such-bucket", "", NULL, NULL, 0, collect, &c, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "NoSuchBucket");
  CHECK_EQ(lp__s3_put(client, "lp-no-such-bucket", "k", "v", 1, 0, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "HTTP 404 NoSuchBucket");
}

static void test_bad_settings(void) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  lp__s3_client *c;
  CHECK_OK(lp__s3_options_set(&o, "allow_http", "false", &err), &err);
  CHECK_EQ(lp__s3_client_create(&o, &c, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "allow_http");
  CHECK_EQ(lp__s3_options_set(&o, "allow_http", "maybe", &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "maybe");
  CHECK_EQ(lp__s3_options_set(&o, "no_such_option", "1", &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no_such_option");
  CHECK_OK(lp__s3_options_set(&o, "endpoint", "ftp://127.0.0.1", &err), &err);
  CHECK_EQ(lp__s3_client_create(&o, &c, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "http:// or https://");
  lp__s3_options_reset(&o);
  lp__s3_options_init(&o);
  CHECK_EQ(lp__s3_client_create(&o, &c, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "no credentials");
  lp__s3_options_reset(&o);
}

/* The AWS variables LanceDB reads: a client made from the environment alone reaches the gateway. */
static void test_env_variables(void) {
  setenv("AWS_ACCESS_KEY_ID", env.access_key, 1);
  setenv("AWS_SECRET_ACCESS_KEY", env.secret_key, 1);
  setenv("AWS_REGION", env.region, 1);
  setenv("AWS_ENDPOINT_URL", env.endpoint, 1);
  lp__s3_options o;
  lp__s3_options_init(&o);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "allow_http", "true", &err), &err);
  CHECK_OK(lp__s3_options_from_env(&o, &err), &err);
  CHECK_STR_EQ(o.endpoint, env.endpoint);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_object_info info;
  CHECK_OK(lp__s3_head(c, bucket, "small/obj.txt", &info, &err), &err);
  lp__s3_client_destroy(c);
  lp__s3_options_reset(&o);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_REGION");
  unsetenv("AWS_ENDPOINT_URL");
}

/* ---- HTTPS, virtual-hosted addressing ---- */

static lp__s3_client *https_client(const char *ca_file) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "endpoint", env.endpoint_https, &err), &err);
  if (ca_file) CHECK_OK(lp__s3_options_set(&o, "ca_file", ca_file, &err), &err);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  return c;
}

static void test_https(void) {
  lp__s3_client *c = https_client(env.ca_file);
  lp_error err;
  for (int i = 0; i < 20; i++) CHECK_OK(lp__s3_put(c, bucket, "tls/obj", "over tls", 8, 0, &err), &err);
  uint8_t *got;
  size_t n;
  CHECK_OK(lp__s3_get(c, bucket, "tls/obj", 0, -1, &got, &n, &err), &err);
  CHECK_EQ(n, 8);
  free(got);
  lp__http_pool_stats st;
  CHECK_OK(lp__s3_pool_stats(c, bucket, &st, &err), &err);
  CHECK_EQ(st.requests, 21);
  CHECK_EQ(st.pool.connections_created, 1);   /* one thread: one kept-alive connection */
  CHECK_EQ(st.tcp_connects, 1);
  CHECK_EQ(st.pool.connections_reused, 20);
  lp__s3_client_destroy(c);
  c = https_client(NULL);   /* the system's CAs do not know the gateway's certificate */
  CHECK_EQ(lp__s3_get(c, bucket, "tls/obj", 0, -1, &got, &n, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "certificate");
  lp__s3_client_destroy(c);
}

/* New connections of one client resume the TLS session of its first one (curl's share handle keeps the
 * session, OpenSSL resumes it): with a maximum connection age (curl counts it in whole seconds: 1 s here),
 * each GET after a 1.2 s pause opens a new connection, and each must be an abbreviated handshake. */
static void test_tls_sessions_resumed(void) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "endpoint", env.endpoint_https, &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "ca_file", env.ca_file, &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "max_connection_age_ms", "100", &err), &err);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  CHECK_OK(lp__s3_put(c, bucket, "tls/resume", "resume", 6, 0, &err), &err);
  lp__http_totals before, after;
  lp__http_totals_get(&before);
  for (int i = 0; i < 3; i++) {
    usleep(1200000);
    uint8_t *got;
    size_t n;
    CHECK_OK(lp__s3_get(c, bucket, "tls/resume", 0, -1, &got, &n, &err), &err);
    CHECK_EQ(n, 6);
    free(got);
  }
  lp__http_totals_get(&after);
  uint64_t connects = after.tls_connects - before.tls_connects, resumed = after.tls_resumed - before.tls_resumed;
  fprintf(stderr, "3 GETs: %llu new TLS connections, %llu resumed\n", (unsigned long long)connects,
          (unsigned long long)resumed);
  CHECK_EQ(connects, 3);
  CHECK_EQ(resumed, 3);   /* the PUT's connection made the session; every later one resumed it */
  lp__s3_client_destroy(c);
}

/* bucket.localhost: curl resolves every *.localhost name to the loopback, and RGW (rgw dns name = localhost)
 * takes the bucket from the Host header. */
static void test_virtual_hosted(void) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  char endpoint[256];
  snprintf(endpoint, sizeof endpoint, "http://localhost:%s", strrchr(env.endpoint, ':') + 1);
  CHECK_OK(lp__s3_options_set(&o, "endpoint", endpoint, &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "virtual_hosted_style_request", "true", &err), &err);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  CHECK_OK(lp__s3_put(c, bucket, "vhost/a b", "virtual", 7, 0, &err), &err);
  check_object("vhost/a b", "virtual", 7);   /* read back path-style */
  collected got = {0};
  CHECK_OK(lp__s3_list(c, bucket, "vhost/", NULL, NULL, 0, collect, &got, &err), &err);
  CHECK_EQ(got.n, 1);
  collected_free(&got);
  lp__http_pool_stats st;
  CHECK_OK(lp__s3_pool_stats(c, bucket, &st, &err), &err);   /* a pool for bucket.localhost:port */
  CHECK_EQ(st.requests, 2);
  lp__s3_client_destroy(c);
}

/* ---- the pool under threads ---- */

static void *get_loop(void *arg) {
  lp__s3_client *c = arg;
  for (int i = 0; i < 40; i++) {
    uint8_t *got;
    size_t n;
    lp_error err;
    CHECK_OK(lp__s3_get(c, bucket, "small/obj.txt", i % 10, 5, &got, &n, &err), &err);
    CHECK_EQ(n, 5);
    free(got);
  }
  return NULL;
}

static void test_pool_under_threads(void) {
  lp__s3_options o;
  s3_env_options(&env, &o);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "max_connections", "3", &err), &err);
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  enum { T = 8 };
  pthread_t t[T];
  for (int i = 0; i < T; i++) CHECK_EQ(pthread_create(&t[i], NULL, get_loop, c), 0);
  for (int i = 0; i < T; i++) pthread_join(t[i], NULL);
  lp__http_pool_stats st;
  CHECK_OK(lp__s3_pool_stats(c, bucket, &st, &err), &err);
  CHECK_EQ(st.requests, T * 40);
  CHECK_LE(st.pool.connections_created, 3);
  CHECK_LE(st.tcp_connects, st.pool.connections_created);   /* no request needed a new socket */
  CHECK_EQ(st.pool.in_use, 0);
  CHECK_EQ(st.pool.connections_created - st.pool.destroyed, st.pool.current_size);
  fprintf(stderr, "   %d GETs on %d threads: %llu connections, %llu waits\n", T * 40, T,
          (unsigned long long)st.pool.connections_created, (unsigned long long)st.pool.wait_count);
  lp__s3_client_destroy(c);
}

static void cleanup_bucket(void) {
  collected all = {0};
  lp_error err;
  CHECK_OK(lp__s3_list(client, bucket, "", NULL, NULL, 0, collect, &all, &err), &err);
  CHECK_OK(lp__s3_delete_objects(client, bucket, (const char *const *)all.keys, all.n, &err), &err);
  collected_free(&all);
  CHECK_OK(lp__s3_delete_bucket(client, bucket, &err), &err);
}

int main(void) {
  env = s3_env_load();
  client = s3_env_client(&env);
  s3_unique_bucket("lp-client", bucket, sizeof bucket);
  lp_error err;
  CHECK_OK(lp__s3_create_bucket(client, bucket, &err), &err);
  RUN_TEST(test_put_get_head_ranges);
  RUN_TEST(test_missing_key);
  RUN_TEST(test_keys_that_need_encoding);
  RUN_TEST(test_conditional_put);
  RUN_TEST(test_conditional_put_race);
  RUN_TEST(test_multipart);
  RUN_TEST(test_list_paging_and_delete);
  RUN_TEST(test_wrong_credentials);
  RUN_TEST(test_missing_bucket);
  RUN_TEST(test_bad_settings);
  RUN_TEST(test_env_variables);
  RUN_TEST(test_https);
  RUN_TEST(test_tls_sessions_resumed);
  RUN_TEST(test_virtual_hosted);
  RUN_TEST(test_pool_under_threads);
  cleanup_bucket();
  lp__s3_client_destroy(client);
  return 0;
}
