/* lancepool's own full-text index (lp_db_create_index with type "fts"), written and searched by lancepool
 * alone (test_fts_interop.sh compares its answers with LanceDB's):
 * - a reopened table searches the saved blocks without tokenising them again; an appended fragment is
 *   searchable at once (tokenised on first search, alone, and saved then);
 * - the answers equal those of a twin table without an index (tokenised from the rows, same settings);
 * - a damaged saved block is ignored (built again), and the decoder refuses it with LP_ECORRUPT;
 * - every refusal: existing index, other types, unknown types, non-string column, bad names, languages,
 *   stop words lancepool does not have, NULL arguments, phrase without positions. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/write_schema.h"
#include "io/io.h"
#include "lancepool/lance.h"
#include "lp_test.h"
#include "query/fts_block.h"
#include "write/write_json.h"

static const char *const WORDS[] = {"quick", "brown", "fox", "jumps", "over", "lazy", "dog", "running", "runs",
                                    "the", "database", "vectors", "Café", "naïve", "search", "index"};

static char dir[4096];

/* Rows [first, first + n): id and a body of 3..12 words (every 19th null); rows from 1000 on also hold
 * "zebra", a word no earlier row has. */
static void add_rows(lp_db *db, const char *table, int first, int n, bool create) {
  lp_error err = {0};
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, body:utf8", &s, &err), &err);
  json_t **rows = calloc((size_t)n, sizeof *rows);
  size_t *lines = calloc((size_t)n, sizeof *lines);
  for (int k = 0; k < n; k++) {
    int i = first + k;
    char body[512] = "";
    size_t len = 0;
    for (int w = 0; w < 3 + i % 10; w++)
      len += (size_t)snprintf(body + len, sizeof body - len, "%s ", WORDS[(i * 7 + w * 5 + w * w) % 16]);
    if (i >= 1000) snprintf(body + len, sizeof body - len, "zebra");
    rows[k] = i % 19 == 4 ? json_pack("{s:i, s:n}", "id", i, "body") : json_pack("{s:i, s:s}", "id", i, "body", body);
    lines[k] = (size_t)k + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&s, rows, lines, (size_t)n, b, &err), &err);
  for (int k = 0; k < n; k++) json_decref(rows[k]);
  free(rows);
  free(lines);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&s, b, 1, &st, &err), &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.durable = false;
  o.max_rows_per_file = 100;
  uint64_t v = 0;
  if (create) {
    struct ArrowSchema as;
    CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
    CHECK_OK(lp_db_create_table(db, table, &as, &st, false, &o, &v, &err), &err);
    as.release(&as);
  } else {
    CHECK_OK(lp_db_add(db, table, &st, &o, &v, &err), &err);
  }
  lp__wschema_reset(&s);
}

typedef struct answer {
  int64_t id[64];
  float score[64];
  int64_t n;
} answer;

/* The top 64 of a text search of `query` on table's body (a new connection each time: nothing cached). */
static lp_status search(const char *table, const char *query, bool phrase, answer *out, lp_error *err) {
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(dir, NULL, &db, err), err);
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, table, LP_VERSION_LATEST, &t, err), err);
  lp_text_search_options o;
  lp_text_search_options_init(&o);
  o.query = query;
  o.column = "body";
  o.k = 64;
  o.phrase = phrase;
  const char *cols[] = {"id"};
  o.columns = cols;
  o.n_columns = 1;
  struct ArrowArray a;
  struct ArrowSchema s;
  lp_status rc = lp_table_text_search(t, &o, &a, &s, err);
  if (rc == LP_OK) {
    out->n = a.length;
    CHECK_LE(a.length, 64);
    const int64_t *ids = (const int64_t *)a.children[0]->buffers[1];
    const float *scores = (const float *)a.children[1]->buffers[1];
    for (int64_t i = 0; i < a.length; i++) out->id[i] = ids[i + a.children[0]->offset], out->score[i] = scores[i + a.children[1]->offset];
    a.release(&a);
    s.release(&s);
  }
  lp_table_close(t);
  lp_db_close(db);
  return rc;
}

static void check_same(const answer *a, const answer *b) {
  CHECK_EQ(a->n, b->n);
  for (int64_t i = 0; i < a->n; i++) {
    CHECK_EQ(a->id[i], b->id[i]);
    CHECK(a->score[i] == b->score[i]);
  }
}

static uint64_t tokenised(void) { return atomic_load(&lp__fts_blocks_tokenised); }

static lp_status create(lp_db *db, const char *table, lp_index_options *o, char *name, uint64_t *v, lp_error *err) {
  return lp_db_create_index(db, table, o, NULL, name, 64, v, err);
}

static int count_saved(void) {
  char p[4200];
  int w = snprintf(p, sizeof p, "%s/t.lance/_lancepool/fts", dir);
  CHECK(w > 0 && (size_t)w < sizeof p);
  DIR *d = opendir(p);
  if (d == NULL) return 0;
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) n += strstr(e->d_name, ".blk") != NULL;
  closedir(d);
  return n;
}

/* Flip one byte in the middle of every saved block; return the path of the last. */
static void damage_saved(char *last, size_t cap) {
  char p[4200];
  int pw = snprintf(p, sizeof p, "%s/t.lance/_lancepool/fts", dir);
  CHECK(pw > 0 && (size_t)pw < sizeof p);
  DIR *d = opendir(p);
  CHECK(d != NULL);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strstr(e->d_name, ".blk") == NULL) continue;
    int w = snprintf(last, cap, "%s/%s", p, e->d_name);
    CHECK(w > 0 && (size_t)w < cap);
    FILE *f = fopen(last, "r+b");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, n / 2, SEEK_SET);
    int c = fgetc(f);
    fseek(f, n / 2, SEEK_SET);
    fputc(c ^ 0x5A, f);
    fclose(f);
  }
  closedir(d);
}

static void refusals(lp_db *db) {
  lp_error err = {0};
  lp_index_options o;
  char name[64];
  uint64_t v = 0;
  lp_index_options_init(&o);
  o.column = "body";
  o.type = "fts";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EEXIST);
  CHECK(strstr(err.message, "body_idx") != NULL);
  const char *later[] = {"ivf_pq", "ivf_flat", "ivf_sq", "ivf_hnsw_sq", "btree", "bitmap"};
  for (size_t i = 0; i < 6; i++) {
    o.type = later[i];
    CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EUNSUPPORTED);
    CHECK(strstr(err.message, later[i]) != NULL);
  }
  o.type = "fulltext";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EINVAL);
  o.type = "fts";
  o.column = "id";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EINVAL);
  CHECK(strstr(err.message, "string column") != NULL);
  o.column = "nosuch";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EINVAL);
  o.column = "body";
  o.replace = true;
  o.name = "bad name";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EINVAL);
  o.name = NULL;
  o.language = "Klingon";
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EUNSUPPORTED);
  o.language = "French"; /* stemming yes, but lancepool has English stop words only */
  CHECK_EQ(create(db, "t", &o, name, &v, &err), LP_EUNSUPPORTED);
  o.language = NULL;
  o.base_tokenizer = "jieba";
  CHECK_NE(create(db, "t", &o, name, &v, &err), LP_OK);
  o.base_tokenizer = NULL;
  CHECK_EQ(lp_db_create_index(db, "t", NULL, NULL, name, 64, &v, &err), LP_EINVAL);
  CHECK_EQ(lp_db_create_index(db, "t", &o, NULL, name, 64, NULL, &err), LP_EINVAL);
  CHECK_EQ(create(db, "nosuch", &o, name, &v, &err), LP_ENOTFOUND);
}

/* A 4 MiB document (600,000 words) beside short ones: indexed, saved, loaded and found. */
static void huge_document(lp_db *db) {
  lp_error err = {0};
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, body:utf8", &s, &err), &err);
  size_t cap = (size_t)4 << 20, len = 0;
  char *big = malloc(cap + 64);
  CHECK(big != NULL);
  for (int w = 0; len + 16 < cap; w++) len += (size_t)snprintf(big + len, cap + 64 - len, "%s ", WORDS[w % 16]);
  memcpy(big + len, "needle", 7);
  json_t *rows[3] = {json_pack("{s:i, s:s}", "id", 0, "body", "a short text about a fox"),
                     json_pack("{s:i, s:s}", "id", 1, "body", big), json_pack("{s:i, s:s}", "id", 2, "body", "needle")};
  free(big);
  size_t lines[3] = {1, 2, 3};
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&s, rows, lines, 3, b, &err), &err);
  for (int k = 0; k < 3; k++) json_decref(rows[k]);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&s, b, 1, &st, &err), &err);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.durable = false;
  uint64_t v = 0;
  CHECK_OK(lp_db_create_table(db, "h", &as, &st, false, &o, &v, &err), &err);
  as.release(&as);
  lp__wschema_reset(&s);
  lp_index_options io;
  lp_index_options_init(&io);
  io.column = "body";
  io.type = "fts";
  char name[64];
  CHECK_OK(create(db, "h", &io, name, &v, &err), &err);
  answer a;
  uint64_t before = tokenised();
  CHECK_OK(search("h", "needle", false, &a, &err), &err);
  CHECK_EQ(tokenised() - before, 0);
  CHECK_EQ(a.n, 2);
  CHECK_EQ(a.id[0], 2); /* the short document scores higher */
  CHECK_EQ(a.id[1], 1);
  CHECK_OK(search("h", "fox", false, &a, &err), &err);
  CHECK_EQ(a.n, 2);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  int w = snprintf(dir, sizeof dir, "%s/fts_index", tmp);
  CHECK(w > 0 && (size_t)w < sizeof dir);
  char cmd[9000];
  w = snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK(w > 0 && (size_t)w < sizeof cmd);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  add_rows(db, "t", 0, 300, true); /* 3 fragments */
  add_rows(db, "u", 0, 300, true); /* its twin, never indexed */

  lp_index_options o;
  lp_index_options_init(&o);
  o.column = "body";
  o.type = "fts";
  char name[64];
  uint64_t v = 0;
  CHECK_OK(create(db, "t", &o, name, &v, &err), &err);
  CHECK_STR_EQ(name, "body_idx");
  CHECK_EQ(v, 2);
  CHECK_EQ(count_saved(), 3);

  /* reopened: nothing tokenised, the same answers as the unindexed twin */
  const char *queries[] = {"fox", "running dog", "cafe naive", "the", "database vectors index", "zebra"};
  for (size_t q = 0; q < 6; q++) {
    answer a, b;
    uint64_t before = tokenised();
    CHECK_OK(search("t", queries[q], false, &a, &err), &err);
    CHECK_EQ(tokenised() - before, 0);
    CHECK_OK(search("u", queries[q], false, &b, &err), &err);
    check_same(&a, &b);
    if (q < 3) CHECK_GT(a.n, 10);
  }

  /* an append is searched at once: only its fragment is tokenised */
  add_rows(db, "t", 1000, 40, false);
  add_rows(db, "u", 1000, 40, false);
  answer a, b;
  uint64_t before = tokenised();
  CHECK_OK(search("t", "zebra fox", false, &a, &err), &err);
  CHECK_EQ(tokenised() - before, 1);
  CHECK_EQ(count_saved(), 4); /* saved by that search: the next connection loads it */
  before = tokenised();
  CHECK_OK(search("t", "zebra fox", false, &b, &err), &err);
  CHECK_EQ(tokenised() - before, 0);
  check_same(&a, &b);
  CHECK_OK(search("u", "zebra fox", false, &b, &err), &err);
  check_same(&a, &b);
  CHECK_GE(a.id[0], 1000);

  /* damaged saved blocks: the decoder says why; they are built again (and saved again, sound), with the
     same answers */
  char last[4400];
  damage_saved(last, sizeof last);
  uint8_t *bytes = NULL;
  size_t n = 0;
  CHECK_OK(lp__read_file(last, SIZE_MAX, &bytes, &n, &err), &err);
  lp__fts_block *blk = NULL;
  CHECK_EQ(lp__fts_block_decode(bytes, n, &blk, &err), LP_ECORRUPT);
  CHECK_EQ(lp__fts_block_decode(bytes, n / 3, &blk, &err), LP_ECORRUPT);
  CHECK(blk == NULL);
  free(bytes);
  before = tokenised();
  CHECK_OK(search("t", "zebra fox", false, &b, &err), &err);
  CHECK_EQ(tokenised() - before, 4);
  check_same(&a, &b);
  before = tokenised();
  CHECK_OK(search("t", "zebra fox", false, &b, &err), &err);
  CHECK_EQ(tokenised() - before, 0);

  /* phrases need positions: refused, then allowed after --replace --with-position */
  CHECK_EQ(search("t", "quick dog", true, &a, &err), LP_EINVAL);
  refusals(db);
  lp_index_options_init(&o);
  o.column = "body";
  o.type = "fts";
  o.replace = true;
  o.with_position = true;
  o.name = "body_text";
  uint64_t v2 = 0;
  CHECK_OK(create(db, "t", &o, name, &v2, &err), &err);
  CHECK_STR_EQ(name, "body_text");
  CHECK_GT(v2, v);
  CHECK_OK(search("t", "quick dog", true, &a, &err), &err);
  CHECK_GT(a.n, 0);
  huge_document(db);
  lp_db_close(db);
  printf("test_fts_index: passed\n");
  return 0;
}
