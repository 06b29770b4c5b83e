/* The table layer's metadata path against the sample LanceDB 0.31.0 wrote (tests/data/sample_v031/, see
 * make_sample.mjs there): table listing, versions and their timestamps, live-row counts per version (time
 * travel), manifest decoding (fragments, data files, deletion files), deletion vectors of real .arrow files,
 * the schema as Arrow, and the session cache (a second connection is served from the cache). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/deletion.h"
#include "table/manifest.h"
#include "table/table.h"
#include "table/versions.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char g_db[4096];

static void test_table_names(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  char **names = NULL;
  size_t n = 0;
  CHECK_OK(lp_db_table_names(db, &names, &n, &err), &err);
  CHECK_EQ(n, 2);
  CHECK_STR_EQ(names[0], "encodings");
  CHECK_STR_EQ(names[1], "sample");
  lp_strings_free(names, n);
  lp_db_close(db);
}

/* Live rows per version, from make_sample.mjs's history. */
static const uint64_t COUNTS[] = {0, 5, 9, 12, 10, 7, 7, 7, 7, 12};

static void test_versions_and_time_travel(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", LP_VERSION_LATEST, &t, &err), &err);
  CHECK_EQ(lp_table_version(t), 9);
  CHECK_STR_EQ(lp_table_name(t), "sample");
  lp_version_info *v = NULL;
  size_t n = 0;
  CHECK_OK(lp_table_versions(t, &v, &n, &err), &err);
  CHECK_EQ(n, 9);
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ(v[i].version, i + 1);
    CHECK_GT(v[i].timestamp_us, 1700000000000000LL); /* after Nov 2023 */
    if (i > 0) CHECK_GE(v[i].timestamp_us, v[i - 1].timestamp_us);
  }
  free(v);
  lp_table_close(t);
  for (uint64_t ver = 1; ver <= 9; ver++) {
    uint64_t count = 0;
    CHECK_OK(lp_table_open(db, "sample", ver, &t, &err), &err);
    CHECK_EQ(lp_table_version(t), ver);
    CHECK_OK(lp_table_count_rows(t, &count, &err), &err);
    if (count != COUNTS[ver]) LP_FAIL("version %llu: %llu rows, expected %llu", (unsigned long long)ver,
                                      (unsigned long long)count, (unsigned long long)COUNTS[ver]);
    lp_table_close(t);
  }
  CHECK_EQ(lp_table_open(db, "sample", 10, &t, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "version 10 does not exist");
  CHECK_EQ(lp_table_open(db, "nope", LP_VERSION_LATEST, &t, &err), LP_ENOTFOUND);
  CHECK_CONTAINS(err.message, "nope.lance");
  CHECK_EQ(lp_table_open(db, "../x", LP_VERSION_LATEST, &t, &err), LP_EINVAL);
  /* lp_db_close closes tables left open. */
  CHECK_OK(lp_table_open(db, "sample", 4, &t, &err), &err);
  lp_db_close(db);
}

static void test_manifest_details(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  /* Version 4: fragments 0, 1, 2 with deletion files on 0 and 1 (ids 2 and 6 deleted). */
  CHECK_OK(lp_table_open(db, "sample", 4, &t, &err), &err);
  const lp__manifest *m = t->m;
  CHECK_EQ(m->n_fragments, 3);
  CHECK_EQ(m->reader_flags & 1, 1);
  CHECK_STR_EQ(m->data_format, "2.1");
  CHECK_EQ(m->fragments[0].physical_rows, 5);
  CHECK_EQ(m->fragments[1].physical_rows, 4);
  CHECK_EQ(m->fragments[2].physical_rows, 3);
  CHECK(m->fragments[0].has_deletion);
  CHECK(m->fragments[1].has_deletion);
  CHECK(!m->fragments[2].has_deletion);
  CHECK_EQ(m->fragments[0].deletion_kind, LP__DELETION_ARROW);
  CHECK_EQ(m->fragments[0].num_deleted_rows, 1);
  CHECK_EQ(m->fragments[0].deletion_read_version, 3);
  CHECK_EQ(m->fragments[0].n_files, 1);
  CHECK_EQ(m->fragments[0].files[0].major, 2);
  CHECK_EQ(m->fragments[0].files[0].minor, 1);
  /* Schema: 9 top-level fields; leaves id 0..3, tags(4)->item(5), st(6)->a(7),b(8), flag 9, ts 10, f64 11. */
  CHECK_EQ(m->schema.n_fields, 9);
  const lp__field *tags = lp__schema_find(&m->schema, "tags");
  const lp__field *st = lp__schema_find(&m->schema, "st");
  const lp__field *vec = lp__schema_find(&m->schema, "vec");
  const lp__field *ts = lp__schema_find(&m->schema, "ts");
  CHECK(tags && st && vec && ts);
  CHECK_EQ(tags->type, LP__TYPE_LIST);
  CHECK_EQ(tags->n_children, 1);
  CHECK_EQ(tags->children[0].type, LP__TYPE_UTF8);
  CHECK_EQ(lp__field_first_leaf_id(tags), tags->children[0].id);
  CHECK_EQ(st->type, LP__TYPE_STRUCT);
  CHECK_EQ(st->n_children, 2);
  CHECK_EQ(lp__field_num_leaves(st), 2);
  CHECK_EQ(vec->type, LP__TYPE_FIXED_SIZE_LIST);
  CHECK_EQ(vec->list_size, 8);
  CHECK_EQ(vec->elem_type, LP__TYPE_FLOAT32);
  CHECK_EQ(ts->type, LP__TYPE_TIMESTAMP);
  CHECK_EQ(ts->unit, LP__UNIT_US);
  CHECK(ts->timezone == NULL);
  CHECK(!lp__schema_find(&m->schema, "id")->nullable);
  /* Data file fields are leaf ids only: 10 leaves in 10 columns. */
  const lp__data_file *df = &m->fragments[0].files[0];
  CHECK_EQ(df->n_fields, 10);
  for (size_t i = 0; i < df->n_fields; i++) CHECK_EQ(df->column_indices[i], (int32_t)i);
  /* The deletion vectors of the real .arrow files. */
  lp__deletion_vec *dv = NULL;
  CHECK_OK(lp__table_deletions(t, &m->fragments[0], &dv, &err), &err);
  CHECK_EQ(dv->n_rows, 1);
  CHECK_EQ(dv->rows[0], 2); /* id 2 is row 2 of fragment 0 */
  lp__deletion_vec_unref(dv);
  CHECK_OK(lp__table_deletions(t, &m->fragments[1], &dv, &err), &err);
  CHECK_EQ(dv->n_rows, 1);
  CHECK_EQ(dv->rows[0], 1); /* id 6 is row 1 of fragment 1 (ids 5..8) */
  lp__deletion_vec_unref(dv);
  lp_table_close(t);
  /* Version 5: fragment 2 is gone; max fragment ids never reused. */
  CHECK_OK(lp_table_open(db, "sample", 5, &t, &err), &err);
  CHECK_EQ(t->m->n_fragments, 2);
  lp_table_close(t);
  lp_db_close(db);
}

static void test_arrow_schema(void) {
  lp_error err = {0};
  lp_db *db = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(g_db, NULL, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", LP_VERSION_LATEST, &t, &err), &err);
  struct ArrowSchema s;
  CHECK_OK(lp_table_schema(t, &s, &err), &err);
  CHECK_STR_EQ(s.format, "+s");
  CHECK_EQ(s.n_children, 9);
  const char *want[][2] = {{"id", "i"}, {"i64", "l"}, {"name", "u"}, {"vec", "+w:8"}, {"tags", "+l"},
                           {"st", "+s"}, {"flag", "b"}, {"ts", "tsu:"}, {"f64", "g"}};
  for (int i = 0; i < 9; i++) {
    CHECK_STR_EQ(s.children[i]->name, want[i][0]);
    CHECK_STR_EQ(s.children[i]->format, want[i][1]);
  }
  CHECK_EQ(s.children[0]->flags & ARROW_FLAG_NULLABLE, 0);
  CHECK_EQ(s.children[1]->flags & ARROW_FLAG_NULLABLE, ARROW_FLAG_NULLABLE);
  CHECK_STR_EQ(s.children[3]->children[0]->format, "f");
  CHECK_STR_EQ(s.children[4]->children[0]->name, "item");
  CHECK_STR_EQ(s.children[5]->children[1]->name, "b");
  /* metadata: 1 pair, "lance:field_id" -> "0" */
  const char *md = s.children[0]->metadata;
  int32_t cnt, kl, vl;
  memcpy(&cnt, md, 4);
  memcpy(&kl, md + 4, 4);
  memcpy(&vl, md + 8 + kl, 4);
  CHECK_EQ(cnt, 1);
  CHECK_EQ(kl, 14);
  CHECK(memcmp(md + 8, "lance:field_id", 14) == 0);
  CHECK_EQ(vl, 1);
  CHECK_EQ(md[12 + kl], '0');
  s.release(&s);
  CHECK(s.release == NULL);
  lp_db_close(db);
}

/* A second connection on a warm session opens the same table from the cache: no new misses. */
static void test_session_cache(void) {
  lp_error err = {0};
  lp_session *s = NULL;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  lp_db *db1 = NULL, *db2 = NULL;
  lp_table *t = NULL;
  CHECK_OK(lp_db_open(g_db, s, &db1, &err), &err);
  CHECK_OK(lp_table_open(db1, "sample", LP_VERSION_LATEST, &t, &err), &err);
  lp_session_stats st1, st2;
  lp_session_stats_get(s, &st1);
  CHECK_EQ(st1.misses, 1);
  CHECK_EQ(st1.hits, 0);
  CHECK_EQ(st1.entries, 1);
  CHECK_GT(st1.bytes_used, 0);
  lp_db_close(db1); /* closes t */
  CHECK_OK(lp_db_open(g_db, s, &db2, &err), &err);
  lp_session_unref(s); /* db2 keeps the session alive */
  CHECK_OK(lp_table_open(db2, "sample", LP_VERSION_LATEST, &t, &err), &err);
  lp_session_stats_get(s, &st2);
  CHECK_EQ(st2.misses, 1);
  CHECK_EQ(st2.hits, 1);
  CHECK_EQ(lp_table_version(t), 9);
  /* Deletion vectors are cached too. */
  lp_table_close(t);
  CHECK_OK(lp_table_open(db2, "sample", 4, &t, &err), &err);
  lp__deletion_vec *dv = NULL;
  CHECK_OK(lp__table_deletions(t, &t->m->fragments[0], &dv, &err), &err);
  lp__deletion_vec_unref(dv);
  CHECK_OK(lp__table_deletions(t, &t->m->fragments[0], &dv, &err), &err);
  lp__deletion_vec_unref(dv);
  lp_session_stats_get(s, &st2);
  CHECK_EQ(st2.misses, 3); /* + manifest 4, + deletion vector */
  CHECK_EQ(st2.hits, 2);   /* + deletion vector the second time */
  CHECK_EQ(st2.entries, 3);
  lp_db_close(db2);
}

/* A tiny budget: entries are evicted, yet a manifest in use stays valid (it is reference counted). */
static void test_session_eviction(void) {
  lp_error err = {0};
  lp_session_config cfg;
  lp_session_config_init(&cfg);
  CHECK_EQ(cfg.cache_bytes, 256u << 20);
  lp_session *s = NULL;
  lp_db *db = NULL;
  lp_table *t1 = NULL, *t2 = NULL;
  CHECK_OK(lp_session_create(NULL, &s, &err), &err);
  CHECK_OK(lp_db_open(g_db, s, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", 1, &t1, &err), &err);
  lp_session_stats st;
  lp_session_stats_get(s, &st);
  size_t one = st.bytes_used;
  lp_db_close(db);
  lp_session_unref(s);
  cfg.cache_bytes = one + one / 2; /* room for about one manifest */
  CHECK_OK(lp_session_create(&cfg, &s, &err), &err);
  CHECK_OK(lp_db_open(g_db, s, &db, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", 1, &t1, &err), &err);
  CHECK_OK(lp_table_open(db, "sample", 2, &t2, &err), &err);
  lp_session_stats_get(s, &st);
  CHECK_EQ(st.evictions, 1);
  CHECK_EQ(st.entries, 1);
  CHECK_LE(st.bytes_used, st.bytes_budget);
  uint64_t n = 0;
  CHECK_OK(lp_table_count_rows(t1, &n, &err), &err); /* evicted, still alive */
  CHECK_EQ(n, 5);
  CHECK_EQ(t1->m->schema.n_fields, 9);
  lp_table_close(t1);
  CHECK_OK(lp_table_open(db, "sample", 1, &t1, &err), &err); /* a miss again */
  lp_session_stats_get(s, &st);
  CHECK_EQ(st.misses, 3);
  CHECK_EQ(st.evictions, 2);
  lp_db_close(db);
  lp_session_unref(s);
}

static void test_version_names(void) {
  uint64_t v;
  bool v2;
  CHECK(lp__version_parse_name("18446744073709551614.manifest", &v, &v2));
  CHECK_EQ(v, 1);
  CHECK(v2);
  CHECK(lp__version_parse_name("12.manifest", &v, &v2));
  CHECK_EQ(v, 12);
  CHECK(!v2);
  CHECK(!lp__version_parse_name("latest_version_hint.json", &v, &v2));
  CHECK(!lp__version_parse_name("18446744073709551614.manifest#1", &v, &v2));
  CHECK(!lp__version_parse_name(".tmpabc", &v, &v2));
  CHECK(!lp__version_parse_name("d1.manifest", &v, &v2));
  CHECK(!lp__version_parse_name("0.manifest", &v, &v2));
  CHECK(!lp__version_parse_name("99999999999999999999999.manifest", &v, &v2));
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  snprintf(g_db, sizeof g_db, "%s/tests/data/sample_v031", src ? src : ".");
  RUN_TEST(test_table_names);
  RUN_TEST(test_versions_and_time_travel);
  RUN_TEST(test_manifest_details);
  RUN_TEST(test_arrow_schema);
  RUN_TEST(test_session_cache);
  RUN_TEST(test_session_eviction);
  RUN_TEST(test_version_names);
  return 0;
}
