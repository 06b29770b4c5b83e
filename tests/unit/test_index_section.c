/* The manifest's index section (table/indices.c) on a section LanceDB 0.31.0 wrote (the fuzz seed
 * tests/fuzz/corpus/index_section/section-optimized.bin: four indexes after LanceDB's optimize) and on
 * damaged copies of it: every damage is LP_ECORRUPT with a message, never a crash or a half-read list; and
 * lp_table_indices rejects missing arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "lancepool/lance.h"
#include "lp_test.h"
#include "table/indices.h"

static uint8_t *section;
static size_t section_len;

static void load_section(void) {
  char path[4096];
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/fuzz/corpus/index_section/section-optimized.bin", src ? src : ".");
  lp_error err = {0};
  CHECK_OK(lp__read_file(path, 1 << 20, &section, &section_len, &err), &err);
}

static void test_lancedb_section(void) {
  lp__index_list l;
  lp_error err = {0};
  CHECK_OK(lp__index_section_decode(section, section_len, "s", &l, &err), &err);
  CHECK_EQ(l.n, 4);
  const char *want[] = {"cat_idx", "id_idx", "text_idx", "vec_idx"};
  for (size_t k = 0; k < 4; k++) {
    bool found = false;
    for (size_t i = 0; i < l.n; i++) {
      if (strcmp(l.v[i].name, want[k]) != 0) continue;
      found = true;
      CHECK_EQ(strlen(l.v[i].uuid), 36);
      CHECK_EQ(l.v[i].n_fields, 1);
      CHECK(l.v[i].has_fragment_bitmap);
      CHECK_GT(l.v[i].n_fragments, 0);
      for (size_t j = 0; j < l.v[i].n_fragments; j++) CHECK(lp__index_covers(&l.v[i], l.v[i].fragments[j]));
      CHECK(!lp__index_covers(&l.v[i], (uint64_t)1 << 40));
      CHECK(strstr(l.v[i].details_type, "Details") != NULL);
    }
    if (!found) LP_FAIL("index %s not decoded", want[k]);
  }
  lp__index_list_reset(&l);
}

/* Every truncation of the section is refused with LP_ECORRUPT and nothing half-built, or decodes to whole entries. */
static void test_truncated(void) {
  for (size_t len = 0; len < section_len; len++) {
    lp__index_list l;
    lp_error err = {0};
    lp_status rc = lp__index_section_decode(section, len, "s", &l, &err);
    if (rc == LP_OK) {
      for (size_t i = 0; i < l.n; i++) CHECK_EQ(strlen(l.v[i].uuid), 36);
      lp__index_list_reset(&l);
    } else {
      CHECK_EQ(rc, LP_ECORRUPT);
      CHECK_CONTAINS(err.message, "s");
      CHECK(l.v == NULL && l.n == 0);
    }
  }
}

/* A damaged fragment bitmap (its roaring cookie) is refused with the index named. */
static void test_bad_bitmap(void) {
  uint8_t *copy = malloc(section_len);
  memcpy(copy, section, section_len);
  size_t hits = 0;
  for (size_t i = 0; i + 4 <= section_len; i++)
    if (copy[i] == 0x3a && copy[i + 1] == 0x30 && copy[i + 2] == 0 && copy[i + 3] == 0) {
      copy[i] = 0x3b; /* cookie 12347 without a run-container count: not a valid header here */
      hits++;
      break;
    }
  CHECK_EQ(hits, 1);
  lp__index_list l;
  lp_error err = {0};
  CHECK_EQ(lp__index_section_decode(copy, section_len, "s", &l, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "fragment bitmap");
  free(copy);
}

static void test_bad_arguments(void) {
  lp_error err = {0};
  lp_index_info *v = NULL;
  size_t n = 7;
  CHECK_EQ(lp_table_indices(NULL, &v, &n, &err), LP_EINVAL);
  CHECK(v == NULL && n == 0);
  CHECK_EQ(lp_table_indices(NULL, NULL, &n, &err), LP_EINVAL);
  lp_index_info_free(NULL, 3);
}

int main(void) {
  load_section();
  RUN_TEST(test_lancedb_section);
  RUN_TEST(test_truncated);
  RUN_TEST(test_bad_bitmap);
  RUN_TEST(test_bad_arguments);
  free(section);
  return 0;
}
