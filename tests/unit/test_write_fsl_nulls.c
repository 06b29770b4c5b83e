/* Null items inside fixed-size lists, written and read back by lancepool alone (the interop test checks the
 * same against LanceDB): an 8 x float32 column (mini-block pages, item-validity buffer per chunk) and a
 * 128 x float32 column (full-zip pages, validity bitmap per row), with null rows, rows with null items, and
 * pages with no null item at all (written without validity). Every item's validity and value must come back. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

#define N_ROWS 600
#define ROWS_PER_PAGE 200 /* page 3 (rows 400..599) has no null item */

static int dims[2] = {8, 128};

/* Row r, column c, item k: -1 = the row is null, 0 = the item is null, 1 = valid with value value_of(). */
static int state(int r, int c, int k) {
  if (r % 17 == 5) return -1;
  if (r >= 400) return 1;
  return (r * 7 + k * 3 + c) % 11 == 0 ? 0 : 1;
}

static float value_of(int r, int c, int k) { return (float)(r * 1000 + k) / (c ? 4.0f : 2.0f); }

static char *row_json(int r) {
  size_t cap = 8192, n = 0;
  char *s = malloc(cap);
  n += (size_t)snprintf(s + n, cap - n, "{\"id\": %d", r);
  for (int c = 0; c < 2; c++) {
    n += (size_t)snprintf(s + n, cap - n, ", \"%s\": ", c ? "v" : "v8");
    if (state(r, c, 0) < 0) {
      n += (size_t)snprintf(s + n, cap - n, "null");
      continue;
    }
    n += (size_t)snprintf(s + n, cap - n, "[");
    for (int k = 0; k < dims[c]; k++) {
      if (state(r, c, k) == 0)
        n += (size_t)snprintf(s + n, cap - n, "%snull", k ? "," : "");
      else
        n += (size_t)snprintf(s + n, cap - n, "%s%.9g", k ? "," : "", (double)value_of(r, c, k));
    }
    n += (size_t)snprintf(s + n, cap - n, "]");
  }
  snprintf(s + n, cap - n, "}");
  return s;
}

static bool bit(const struct ArrowArray *a, int64_t i) {
  if (a->null_count == 0 || a->buffers[0] == NULL) return true;
  i += a->offset;
  return (((const uint8_t *)a->buffers[0])[i >> 3] >> (i & 7)) & 1;
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  char dir[4096], cmd[9000];
  snprintf(dir, sizeof dir, "%s/write_fsl_nulls", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, v8:fixed_size_list<float32, 8>, v:vector(128)", &s, &err), &err);
  json_t **rows = calloc(N_ROWS, sizeof *rows);
  size_t *lines = calloc(N_ROWS, sizeof *lines);
  for (int r = 0; r < N_ROWS; r++) {
    char *j = row_json(r);
    json_error_t je;
    rows[r] = json_loads(j, 0, &je);
    if (rows[r] == NULL) LP_FAIL("row %d: %s", r, je.text);
    free(j);
    lines[r] = (size_t)r + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&s, rows, lines, N_ROWS, b, &err), &err);
  for (int r = 0; r < N_ROWS; r++) json_decref(rows[r]);
  free(rows);
  free(lines);
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&s, b, 1, &st, &err), &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.max_rows_per_page = ROWS_PER_PAGE;
  o.durable = false;
  uint64_t v = 0;
  CHECK_OK(lp_db_create_table(db, "t", &as, &st, false, &o, &v, &err), &err);
  as.release(&as);

  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, "t", LP_VERSION_LATEST, &t, &err), &err);
  struct ArrowArrayStream sc;
  CHECK_OK(lp_table_scan(t, NULL, &sc, &err), &err);
  int r = 0, item_nulls = 0;
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ(sc.get_next(&sc, &a), 0);
    if (a.release == NULL) break;
    for (int64_t i = 0; i < a.length; i++, r++) {
      for (int c = 0; c < 2; c++) {
        const struct ArrowArray *col = a.children[1 + c], *ch = col->children[0];
        int64_t ri = a.offset + i;
        bool row_valid = bit(col, ri);
        CHECK_EQ(row_valid, state(r, c, 0) >= 0);
        if (!row_valid) continue;
        const float *vals = ch->buffers[1];
        for (int k = 0; k < dims[c]; k++) {
          int64_t at = (col->offset + ri) * dims[c] + k;
          bool ok = bit(ch, at);
          if (ok != (state(r, c, k) == 1)) LP_FAIL("row %d column %d item %d: valid %d, expected %d", r, c, k, ok, state(r, c, k));
          if (!ok) {
            item_nulls++;
            continue;
          }
          if (vals[ch->offset + at] != value_of(r, c, k))
            LP_FAIL("row %d column %d item %d: %g, expected %g", r, c, k, (double)vals[ch->offset + at], (double)value_of(r, c, k));
        }
      }
    }
    a.release(&a);
  }
  sc.release(&sc);
  CHECK_EQ(r, N_ROWS);
  CHECK_GT(item_nulls, 100);
  lp_table_close(t);
  lp_db_close(db);
  lp__wschema_reset(&s);
  return 0;
}
