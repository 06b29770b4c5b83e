/* Stable row id sequences (format/rowids.h): every segment kind of tests/fuzz/corpus/rowids/ decodes to
 * the ids it encodes (the seeds use the encoding LanceDB writes into DataFragment.inline_row_ids), and a
 * sequence that does not match the fragment's row count, or does not decode, is LP_ECORRUPT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/rowids.h"
#include "lp_test.h"

static uint8_t *read_seed(const char *name, size_t *len) {
  char path[1024];
  const char *src = getenv("LP_SOURCE_DIR");
  CHECK(src != NULL);
  CHECK(snprintf(path, sizeof path, "%s/tests/fuzz/corpus/rowids/%s", src, name) < (int)sizeof path);
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  static uint8_t buf[4096];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return buf;
}

/* Decode seed `name` (2-byte row count, then the message) and compare with want[0..n). */
static void check_seed(const char *name, const uint64_t *want, size_t n) {
  size_t len;
  uint8_t *b = read_seed(name, &len);
  uint64_t rows = (uint64_t)b[0] | (uint64_t)b[1] << 8, *ids = NULL;
  CHECK_EQ(rows, n);
  lp_error err = {0};
  CHECK_OK(lp__rowid_seq_decode(b + 2, len - 2, rows, name, &ids, &err), &err);
  for (size_t i = 0; i < n; i++) CHECK_EQ(ids[i], want[i]);
  free(ids);
}

static void test_segment_kinds(void) {
  uint64_t r10[10], high[10];
  for (uint64_t i = 0; i < 10; i++) r10[i] = i, high[i] = 4294967296u + i;
  check_seed("range10", r10, 10);
  check_seed("range_high", high, 10);
  check_seed("holes", (const uint64_t[]){0, 1, 2, 4, 5, 6, 8, 9}, 8);
  check_seed("bitmap", (const uint64_t[]){0, 2, 4, 5, 7}, 5);
  check_seed("sorted_u16", (const uint64_t[]){100, 105, 109}, 3);
  check_seed("array_u32", (const uint64_t[]){16, 8, 11}, 3);
  check_seed("array_u64", (const uint64_t[]){1ull << 63, 5}, 2);
  check_seed("two_segments", (const uint64_t[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15}, 13);
  check_seed("empty", NULL, 0);
}

static void test_bad_sequences(void) {
  size_t len;
  uint8_t *b = read_seed("too_many", &len); /* 10 ids for a fragment of 4 rows */
  uint64_t *ids = (uint64_t *)1;
  lp_error err = {0};
  CHECK_EQ(lp__rowid_seq_decode(b + 2, len - 2, 4, "fragment 7", &ids, &err), LP_ECORRUPT);
  CHECK(ids == NULL);
  CHECK_CONTAINS(err.message, "fragment 7");
  b = read_seed("range10", &len); /* 10 ids for 11 rows */
  CHECK_EQ(lp__rowid_seq_decode(b + 2, len - 2, 11, "f", &ids, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "10 ids for 11 rows");
  const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
  CHECK_EQ(lp__rowid_seq_decode(junk, sizeof junk, 1, "f", &ids, &err), LP_ECORRUPT);
  CHECK_EQ(lp__rowid_seq_decode(NULL, 3, 1, "f", &ids, &err), LP_EINVAL);
}

int main(void) {
  RUN_TEST(test_segment_kinds);
  RUN_TEST(test_bad_sequences);
  return 0;
}
