/* LanceDB's pseudo-columns `_rowid` and `_rowaddr` against official LanceDB 0.31.0:
 * tests/interop/node/rowid_oracle.mjs builds tables with three fragments, deletions and a compaction (one
 * with stable row ids too) and records LanceDB's answers at two versions: withRowId() output, 35 filters
 * (query().where() ids and countRows()), 4 filtered vector searches withRowId(), and a delete by row id.
 * Each is run here through the public API (lp_table_scan / lp_table_scan_where / lp_table_count_where /
 * lp_table_search with with_row_id, lp_db_delete) on the same files: the same rows in the same order, the
 * same _rowid values, and an error exactly where LanceDB gives one. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/lance.h"
#include "lp_test.h"

/* Rows of a result: id and (when present) _rowid, in order. */
typedef struct rows {
  int64_t id[64];
  uint64_t rowid[64];
  size_t n;
} rows;

static void collect(const struct ArrowArray *b, const struct ArrowSchema *s, rows *out) {
  int64_t id_col = -1, rid_col = -1;
  for (int64_t c = 0; c < s->n_children; c++) {
    if (strcmp(s->children[c]->name, "id") == 0) id_col = c;
    if (strcmp(s->children[c]->name, "_rowid") == 0) rid_col = c;
  }
  CHECK(id_col >= 0);
  for (int64_t r = 0; r < b->length; r++) {
    CHECK(out->n < 64);
    const struct ArrowArray *ic = b->children[id_col];
    out->id[out->n] = ((const int64_t *)ic->buffers[1])[ic->offset + r];
    if (rid_col >= 0) {
      CHECK_STR_EQ(s->children[rid_col]->format, "L");
      const struct ArrowArray *rc = b->children[rid_col];
      out->rowid[out->n] = ((const uint64_t *)rc->buffers[1])[rc->offset + r];
    }
    out->n++;
  }
}

static lp_status drain(struct ArrowArrayStream *st, rows *out) {
  struct ArrowSchema s = {0};
  CHECK_EQ(st->get_schema(st, &s), 0);
  for (;;) {
    struct ArrowArray b = {0};
    if (st->get_next(st, &b) != 0) {
      s.release(&s);
      return LP_EIO;
    }
    if (b.release == NULL) break;
    collect(&b, &s, out);
    b.release(&b);
  }
  s.release(&s);
  return LP_OK;
}

/* LanceDB's [[id, "rowid"], ...] (or [id, ...] when with_rowid is false) against ours; prints a mismatch. */
static bool same_rows(const char *what, const char *pred, json_t *want, const rows *got, bool with_rowid) {
  bool same = json_array_size(want) == got->n;
  for (size_t i = 0; same && i < got->n; i++) {
    json_t *w = json_array_get(want, i);
    if (!with_rowid) {
      same = json_integer_value(w) == got->id[i];
      continue;
    }
    same = json_integer_value(json_array_get(w, 0)) == got->id[i] &&
           strtoull(json_string_value(json_array_get(w, 1)), NULL, 10) == got->rowid[i];
  }
  if (!same) {
    fprintf(stderr, "MISMATCH %s %s: lancepool has %zu rows:", what, pred, got->n);
    for (size_t i = 0; i < got->n; i++)
      fprintf(stderr, with_rowid ? " [%lld %llu]" : " %lld", (long long)got->id[i], (unsigned long long)got->rowid[i]);
    char *j = json_dumps(want, JSON_COMPACT);
    fprintf(stderr, "\n  LanceDB: %s\n", j);
    free(j);
  }
  return same;
}

typedef struct tally {
  int checks, refused, failed, known_gaps, quirks;
} tally;

/* Filters LanceDB answers that lancepool refuses (LP_EUNSUPPORTED, never a different answer): arithmetic
 * mixing uint64 with a signed integer, which DataFusion computes in decimals (e.g. `e / 2 = 2.5` holds
 * for e = 5). Listed so the test notices when they start to work. */
static const char *const KNOWN_GAPS[] = {"_rowid % 2 = 0", "_rowid / 4294967296 = 1", "_rowid + 1 > 4294967297"};

static bool known_gap(const char *pred) {
  for (size_t i = 0; i < sizeof KNOWN_GAPS / sizeof *KNOWN_GAPS; i++)
    if (strcmp(KNOWN_GAPS[i], pred) == 0) return true;
  return false;
}

static const char *const ID_COL[] = {"id"};

/* The id column (and _rowid when asked) of the rows passing `where` (NULL: all), after `offset` rows. */
static lp_status scan_ids(lp_table *t, const char *where, bool with_row_id, uint64_t offset, rows *out, lp_error *err) {
  lp_scan_options so;
  lp_scan_options_init(&so);
  so.columns = ID_COL;
  so.n_columns = 1;
  so.with_row_id = with_row_id;
  so.offset = offset;
  so.batch_rows = 7; /* batches that cross fragment and deletion boundaries */
  struct ArrowArrayStream st = {0};
  lp_status rc = where ? lp_table_scan_where(t, &so, where, &st, err) : lp_table_scan(t, &so, &st, err);
  if (rc == LP_OK) rc = drain(&st, out);
  if (st.release) st.release(&st);
  return rc;
}

/* LanceDB 0.31.0 answers an equality on _rowaddr over a table with stable row ids as if it named a row id:
 * `_rowaddr = 4294967298` selects nothing though the row with id 12 sits at fragment 1, row 2 (that address),
 * while `_rowaddr < 4294967296` and `_rowaddr > id` select by address. lancepool selects by address
 * throughout; this checks that it does so here too, and that LanceDB still answers differently. */
static bool lancedb_quirk(bool stable, const char *pred, json_t *ids, const rows *got) {
  return stable && strcmp(pred, "_rowaddr = 4294967298") == 0 && json_array_size(ids) == 0 && got->n == 1 &&
         got->id[0] == 12;
}

static void check_filter(lp_table *t, bool stable, json_t *f, tally *ty) {
  const char *pred = json_string_value(json_object_get(f, "pred"));
  json_t *ids = json_object_get(f, "ids");
  lp_error err = {0};
  rows got = {0};
  lp_status rc = scan_ids(t, pred, false, 0, &got, &err);
  uint64_t count = 0;
  lp_status crc = lp_table_count_where(t, pred, &count, &err);
  ty->checks++;
  if (ids == NULL) { /* LanceDB refuses it: so must lancepool, in both calls */
    ty->refused++;
    if (rc == LP_OK || crc == LP_OK) {
      fprintf(stderr, "MISMATCH %s: LanceDB refuses it (%s), lancepool accepts it\n", pred,
              json_string_value(json_object_get(f, "error")));
      ty->failed++;
    }
    return;
  }
  if (known_gap(pred)) {
    ty->known_gaps++;
    if (rc != LP_EUNSUPPORTED || crc != LP_EUNSUPPORTED) {
      fprintf(stderr, "MISMATCH %s: expected LP_EUNSUPPORTED (a known gap), got %d/%d\n", pred, rc, crc);
      ty->failed++;
    }
    return;
  }
  if (rc != LP_OK || crc != LP_OK) {
    fprintf(stderr, "MISMATCH %s: LanceDB accepts it, lancepool: %s\n", pred, err.message);
    ty->failed++;
    return;
  }
  if (lancedb_quirk(stable, pred, ids, &got)) {
    ty->quirks++;
    return;
  }
  if (!same_rows("filter", pred, ids, &got, false)) ty->failed++;
  /* countRows answers the same, except where LanceDB 0.31.0's count pushdown fails on an equality with
   * _rowid (an internal error, "count_pushdown: FilteredReadExec.index_input is not a ScalarIndexExec"):
   * there lancepool's count must agree with the rows LanceDB's query returns. */
  json_t *jc = json_object_get(f, "count");
  uint64_t want = jc ? (uint64_t)json_integer_value(jc) : json_array_size(ids);
  if (count != want) {
    fprintf(stderr, "MISMATCH count %s: lancepool %llu, LanceDB %llu\n", pred, (unsigned long long)count,
            (unsigned long long)want);
    ty->failed++;
  }
}

static void check_search(lp_table *t, json_t *knn, json_t *s, tally *ty) {
  const char *pred = json_string_value(json_object_get(s, "pred"));
  float q[2] = {(float)json_number_value(json_array_get(knn, 0)), (float)json_number_value(json_array_get(knn, 1))};
  lp_search_options o;
  lp_search_options_init(&o);
  o.vector = q;
  o.dim = 2;
  o.k = 5;
  o.where = pred;
  o.columns = ID_COL;
  o.n_columns = 1;
  o.with_row_id = true;
  struct ArrowArray a = {0};
  struct ArrowSchema sc = {0};
  lp_error err = {0};
  lp_status rc = lp_table_search(t, &o, &a, &sc, &err);
  json_t *hits = json_object_get(s, "hits");
  ty->checks++;
  if (hits == NULL) {
    ty->refused++;
    if (rc == LP_OK) {
      fprintf(stderr, "MISMATCH search %s: LanceDB refuses it, lancepool accepts it\n", pred);
      ty->failed++;
      a.release(&a);
      sc.release(&sc);
    }
    return;
  }
  if (rc != LP_OK) {
    fprintf(stderr, "MISMATCH search %s: LanceDB accepts it, lancepool: %s\n", pred, err.message);
    ty->failed++;
    return;
  }
  CHECK_EQ(sc.n_children, 3); /* id, _distance, _rowid: LanceDB's order */
  CHECK_STR_EQ(sc.children[1]->name, "_distance");
  rows got = {0};
  collect(&a, &sc, &got);
  if (!same_rows("search", pred, hits, &got, true)) ty->failed++;
  a.release(&a);
  sc.release(&sc);
}

/* withRowId() over the whole version: every row's id and _rowid, in natural order. */
static void check_row_ids(lp_table *t, json_t *want, tally *ty) {
  lp_error err = {0};
  rows got = {0}, got2 = {0};
  CHECK_OK(scan_ids(t, NULL, true, 0, &got, &err), &err);
  ty->checks++;
  if (!same_rows("withRowId scan", "", want, &got, true)) ty->failed++;
  /* And through a filtered scan (rows taken by position), with an offset. */
  CHECK_OK(scan_ids(t, "id >= 0", true, 3, &got2, &err), &err);
  ty->checks++;
  CHECK_EQ(got2.n + 3, got.n);
  for (size_t i = 0; i < got2.n; i++) {
    CHECK_EQ(got2.id[i], got.id[i + 3]);
    CHECK_EQ(got2.rowid[i], got.rowid[i + 3]);
  }
}

static void check_delete(lp_db *db, json_t *d, tally *ty) {
  const char *pred = json_string_value(json_object_get(d, "pred"));
  lp_error err = {0};
  uint64_t deleted = 0, version = 0;
  CHECK_OK(lp_db_delete(db, "dc", pred, NULL, &deleted, &version, &err), &err);
  lp_table *t;
  CHECK_OK(lp_table_open(db, "dc", LP_VERSION_LATEST, &t, &err), &err);
  rows got = {0};
  CHECK_OK(scan_ids(t, NULL, false, 0, &got, &err), &err);
  lp_table_close(t);
  ty->checks++;
  CHECK_EQ(deleted, 29 - json_array_size(json_object_get(d, "ids")));
  if (!same_rows("delete", pred, json_object_get(d, "ids"), &got, false)) ty->failed++;
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP"), *node_dir = getenv("LP_NODE_DIR");
  if (tmp == NULL || node_dir == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  char dir[1024], cmd[4096], path[1200];
  CHECK(snprintf(dir, sizeof dir, "%s/rowid_oracle", tmp) < (int)sizeof dir);
  CHECK(snprintf(cmd, sizeof cmd, "cd '%s' && node rowid_oracle.mjs '%s' >&2", node_dir, dir) < (int)sizeof cmd);
  if (system(cmd) != 0) LP_FAIL("node rowid_oracle.mjs failed: %s", cmd);
  CHECK(snprintf(path, sizeof path, "%s/rowid_oracle.json", dir) < (int)sizeof path);
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) LP_FAIL("%s: %s", path, jerr.text);
  CHECK(snprintf(path, sizeof path, "%s/db", dir) < (int)sizeof path);
  lp_db *db;
  lp_error err = {0};
  CHECK_OK(lp_db_open(path, NULL, &db, &err), &err);
  tally ty = {0};
  json_t *tables = json_object_get(root, "tables"), *knn = json_object_get(root, "knn");
  for (size_t i = 0; i < json_array_size(tables); i++) {
    json_t *tb = json_array_get(tables, i), *versions = json_object_get(tb, "versions");
    const char *name = json_string_value(json_object_get(tb, "name"));
    bool stable = json_is_true(json_object_get(tb, "stable"));
    for (size_t v = 0; v < json_array_size(versions); v++) {
      json_t *ver = json_array_get(versions, v);
      lp_table *t;
      CHECK_OK(lp_table_open(db, name, (uint64_t)json_integer_value(json_object_get(ver, "version")), &t, &err), &err);
      check_row_ids(t, json_object_get(ver, "rowids"), &ty);
      json_t *filters = json_object_get(ver, "filters"), *searches = json_object_get(ver, "searches");
      for (size_t k = 0; k < json_array_size(filters); k++) check_filter(t, stable, json_array_get(filters, k), &ty);
      for (size_t k = 0; k < json_array_size(searches); k++) check_search(t, knn, json_array_get(searches, k), &ty);
      lp_table_close(t);
    }
  }
  check_delete(db, json_object_get(root, "delete"), &ty);
  fprintf(stderr,
          "rowid oracle: %d checks (%d refused by LanceDB, %d known gaps refused by lancepool, %d LanceDB quirks), "
          "%d mismatches\n",
          ty.checks, ty.refused, ty.known_gaps, ty.quirks, ty.failed);
  CHECK_EQ(ty.quirks, 1);
  CHECK_GE(ty.checks, 150);
  CHECK_EQ(ty.failed, 0);
  lp_db_close(db);
  json_decref(root);
  return 0;
}
