/* The auxiliary.idx reader of compaction's index remapping (write/index_remap.c) on files LanceDB 0.31.0
 * wrote (the fuzz seeds tests/fuzz/corpus/index_remap/: 8-bit IVF_PQ 32-d, IVF_FLAT cosine 16-d, 4-bit
 * IVF_PQ dot 16-d, IVF_HNSW_SQ 16-d storage): each reads and remaps; every truncation and a sweep of
 * flipped bytes give an error code with a message or a successful read, never a crash (this test also runs
 * under ASan+UBSan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "lp_test.h"
#include "write/write_int.h"

static void check_seed(const char *name) {
  char path[4096];
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/fuzz/corpus/index_remap/%s", src ? src : ".", name);
  uint8_t *b = NULL;
  size_t len = 0;
  lp_error err = {0};
  CHECK_OK(lp__read_file(path, 1 << 24, &b, &len, &err), &err);
  CHECK_OK(lp__index_remap_parse(b, len, &err), &err);
  for (size_t cut = 0; cut < len; cut += 1 + cut / 4) {
    CHECK_NE(lp__index_remap_parse(b, cut, &err), LP_OK);
    CHECK(err.message[0] != '\0');
  }
  uint8_t *copy = malloc(len);
  for (size_t i = 0; i < len; i += 1 + len / 400) {
    memcpy(copy, b, len);
    copy[i] ^= 0x5a;
    lp_status rc = lp__index_remap_parse(copy, len, &err);
    CHECK(rc == LP_OK || err.message[0] != '\0');
  }
  free(copy);
  free(b);
}

int main(void) {
  RUN_TEST_ARGS(check_seed, "lancedb-ivf-pq-32d-aux");
  RUN_TEST_ARGS(check_seed, "lancedb-ivf-flat-cosine-16d-aux");
  RUN_TEST_ARGS(check_seed, "lancedb-ivf-pq4-dot-16d-aux");
  RUN_TEST_ARGS(check_seed, "lancedb-ivf-hnsw-sq-16d-aux");
  return 0;
}
