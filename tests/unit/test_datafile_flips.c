/* Damage to a real data file, through the table layer: every byte of one data file of the LanceDB sample
 * (fragment 1 at version 4: pages of int32, int64, utf8, vector, list, struct, bool, timestamp and float64
 * columns, then column metadata and footer) is damaged in turn (every 4th byte, with one of 4 bit masks,
 * so the test stays quick under ASan), and the table is read with a take of
 * every live row and with a scan. Each read must either fail with a message naming the file or succeed
 * (Lance files carry no checksums: a flipped value byte reads as another value); never crash (this test
 * runs under ASan+UBSan) and never disagree between take and scan about succeeding. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lancepool/lance.h"
#include "lp_test.h"

#define FRAG1 "0001110101001110001100005413924c2cb63eef35d7b83845.lance"

static char g_db[4096], g_file[4400];

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) LP_FAIL("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*len);
  CHECK_EQ(fread(p, 1, *len, f), *len);
  fclose(f);
  return p;
}

static void spill(const char *path, const uint8_t *p, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) LP_FAIL("cannot write %s", path);
  CHECK_EQ(fwrite(p, 1, len, f), len);
  fclose(f);
}

/* Read version 4 fully by take and by scan; returns true when both succeed, false when both fail (each
 * error naming the data file); fails the test when they disagree. */
static bool read_all(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", 4, &t, &err), &err);
  uint64_t pos[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  struct ArrowArray a = {0};
  struct ArrowSchema s = {0};
  lp_status rc = lp_table_take(t, pos, 10, NULL, 0, &a, &s, &err);
  if (rc == LP_OK) {
    CHECK_EQ(a.length, 10);
    a.release(&a);
    s.release(&s);
  } else {
    CHECK_CONTAINS(err.message, FRAG1);
  }
  struct ArrowArrayStream st;
  CHECK_OK(lp_table_scan(t, NULL, &st, &err), &err);
  int e = 0;
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    if ((e = st.get_next(&st, &b)) != 0 || b.release == NULL) break;
    rows += b.length;
    b.release(&b);
  }
  if (e != 0) CHECK_CONTAINS(st.get_last_error(&st), FRAG1);
  else CHECK_EQ(rows, 10);
  st.release(&st);
  lp_table_close(t);
  lp_db_close(db);
  /* take reads rows in another grouping than the scan, but both decode every page of every column */
  if ((rc == LP_OK) != (e == 0))
    LP_FAIL("take %s but scan %s", rc == LP_OK ? "succeeded" : "failed", e == 0 ? "succeeded" : "failed");
  return rc == LP_OK;
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR"), *tmp = getenv("LP_TEST_TMP");
  if (src == NULL || tmp == NULL) LP_FAIL("LP_SOURCE_DIR and LP_TEST_TMP must be set");
  snprintf(g_db, sizeof g_db, "%s/datafile_flips", tmp);
  char cmd[20000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s/tests/data/sample_v031/sample.lance' '%s/'", g_db,
           g_db, src, g_db);
  CHECK_EQ(system(cmd), 0);
  snprintf(g_file, sizeof g_file, "%s/sample.lance/data/%s", g_db, FRAG1);
  size_t len;
  uint8_t *good = slurp(g_file, &len);
  CHECK(read_all());
  uint8_t *bad = malloc(len);
  size_t n_fail = 0, n_tried = 0;
  static const uint8_t MASKS[4] = {0xff, 0x01, 0x80, 0x5a};
  for (size_t i = 0; i < len; i += 4, n_tried++) {
    memcpy(bad, good, len);
    bad[i] ^= MASKS[(i / 4) % 4];
    spill(g_file, bad, len);
    if (!read_all()) n_fail++;
  }
  fprintf(stderr, "%zu of %zu damaged bytes detected as errors, the rest read as other values\n", n_fail, n_tried);
  /* the metadata, offsets and footer are a large part of this small file: many flips must be caught */
  CHECK_GT(n_fail, n_tried / 4);
  spill(g_file, good, len);
  CHECK(read_all());
  free(bad);
  free(good);
  return 0;
}
