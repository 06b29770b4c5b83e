/* SigV4 against the signed examples AWS publishes in its S3 documentation ("Signature Calculations for the
 * Authorization Header": GET Object with a Range, PUT Object with a key that needs encoding, GET Bucket
 * Lifecycle with a valueless parameter, GET Bucket with sorted parameters), plus the encoding rules and the
 * refusal of bad input. The real server check is tests/s3/test_s3_client.c: RGW verifies every signature. */
#include "io/s3_sigv4.h"
#include "lp_test.h"

#define DOC_KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE "20130524T000000Z"
#define DOC_HOST "examplebucket.s3.amazonaws.com"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const lp__sigv4_key doc_key = {DOC_KEY_ID, DOC_SECRET, "us-east-1", "s3"};

static void check_signature(const lp__sigv4_request *req, const char *signed_headers, const char *signature) {
  char auth[512], want[512];
  lp_error err;
  CHECK_OK(lp__sigv4_authorization(&doc_key, req, DOC_DATE, auth, sizeof auth, &err), &err);
  snprintf(want, sizeof want,
           "AWS4-HMAC-SHA256 Credential=" DOC_KEY_ID "/20130524/us-east-1/s3/aws4_request, SignedHeaders=%s, Signature=%s",
           signed_headers, signature);
  CHECK_STR_EQ(auth, want);
}

static void test_get_object_with_range(void) {
  lp__kv h[] = {{"Host", DOC_HOST}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", EMPTY_SHA256}, {"x-amz-date", DOC_DATE}};
  lp__sigv4_request req = {"GET", "/test.txt", NULL, 0, h, 4, EMPTY_SHA256};
  check_signature(&req, "host;range;x-amz-content-sha256;x-amz-date",
                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_put_object_with_encoded_key(void) {
  const char *body = "Welcome to Amazon S3.";
  char hash[65];
  lp__sha256_hex(body, strlen(body), hash);
  CHECK_STR_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  char *path = lp__uri_encode("/test$file.text", 1);
  CHECK_STR_EQ(path, "/test%24file.text");
  /* Given out of order and in mixed case: the signer sorts and lower-cases. */
  lp__kv h[] = {{"x-amz-storage-class", "REDUCED_REDUNDANCY"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                {"host", DOC_HOST}, {"x-amz-date", DOC_DATE}, {"X-Amz-Content-Sha256", hash}};
  lp__sigv4_request req = {"PUT", path, NULL, 0, h, 5, hash};
  check_signature(&req, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  free(path);
}

static void test_get_lifecycle_valueless_parameter(void) {
  lp__kv q[] = {{"lifecycle", ""}};
  lp__kv h[] = {{"host", DOC_HOST}, {"x-amz-content-sha256", EMPTY_SHA256}, {"x-amz-date", DOC_DATE}};
  lp__sigv4_request req = {"GET", "/", q, 1, h, 3, EMPTY_SHA256};
  check_signature(&req, "host;x-amz-content-sha256;x-amz-date",
                  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void test_list_sorted_parameters(void) {
  lp__kv q[] = {{"prefix", "J"}, {"max-keys", "2"}};   /* the signer sorts them */
  lp__kv h[] = {{"host", DOC_HOST}, {"x-amz-content-sha256", EMPTY_SHA256}, {"x-amz-date", DOC_DATE}};
  lp__sigv4_request req = {"GET", "/", q, 2, h, 3, EMPTY_SHA256};
  check_signature(&req, "host;x-amz-content-sha256;x-amz-date",
                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void test_encoding_rules(void) {
  char *s = lp__uri_encode("a b/c~d_e.f-g*h%é", 0);
  CHECK_STR_EQ(s, "a%20b%2Fc~d_e.f-g%2Ah%25%C3%A9");   /* upper-case hex, '/' encoded in a parameter */
  free(s);
  s = lp__uri_encode("dir/a+b", 1);
  CHECK_STR_EQ(s, "dir/a%2Bb");
  free(s);
  lp__kv q[] = {{"uploads", ""}, {"b", "x y"}, {"a", "2"}, {"a", "1"}};
  s = lp__sigv4_canonical_query(q, 4);
  CHECK_STR_EQ(s, "a=1&a=2&b=x%20y&uploads=");
  free(s);
  s = lp__sigv4_canonical_query(NULL, 0);
  CHECK_STR_EQ(s, "");
  free(s);
  char md5[25];
  lp__md5_base64("", 0, md5);
  CHECK_STR_EQ(md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

/* Header values are trimmed and inner runs of blanks collapse to one before signing. */
static void test_header_value_trimming(void) {
  lp__kv spaced[] = {{"host", "  " DOC_HOST "  "}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", EMPTY_SHA256},
                     {"x-amz-date", DOC_DATE}};
  lp__sigv4_request req = {"GET", "/test.txt", NULL, 0, spaced, 4, EMPTY_SHA256};
  check_signature(&req, "host;range;x-amz-content-sha256;x-amz-date",
                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_bad_input(void) {
  lp__kv h[] = {{"host", DOC_HOST}};
  lp__sigv4_request req = {"GET", "/", NULL, 0, h, 1, EMPTY_SHA256};
  char auth[512];
  lp_error err;
  CHECK_EQ(lp__sigv4_authorization(&doc_key, &req, "2013-05-24", auth, sizeof auth, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "YYYYMMDDTHHMMSSZ");
  CHECK_EQ(lp__sigv4_authorization(&doc_key, &req, DOC_DATE, auth, 20, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "does not fit");
  lp__sigv4_key no_secret = {DOC_KEY_ID, NULL, "us-east-1", "s3"};
  CHECK_EQ(lp__sigv4_authorization(&no_secret, &req, DOC_DATE, auth, sizeof auth, &err), LP_EINVAL);
  lp__kv empty_name[] = {{"", "x"}};
  lp__sigv4_request bad = {"GET", "/", NULL, 0, empty_name, 1, EMPTY_SHA256};
  CHECK_EQ(lp__sigv4_authorization(&doc_key, &bad, DOC_DATE, auth, sizeof auth, &err), LP_EINVAL);
  CHECK_EQ(lp__sigv4_authorization(&doc_key, &req, DOC_DATE, auth, sizeof auth, NULL), LP_OK);
}

int main(void) {
  RUN_TEST(test_get_object_with_range);
  RUN_TEST(test_put_object_with_encoded_key);
  RUN_TEST(test_get_lifecycle_valueless_parameter);
  RUN_TEST(test_list_sorted_parameters);
  RUN_TEST(test_encoding_rules);
  RUN_TEST(test_header_value_trimming);
  RUN_TEST(test_bad_input);
  return 0;
}
