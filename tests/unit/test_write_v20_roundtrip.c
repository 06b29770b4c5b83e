/* Data files of format 2.0 written and read back by lancepool alone (tests/interop/test_write_v20.sh checks
 * them against LanceDB): the same rows -- every type the writer takes, with nulls, all-null pages, null
 * items in vectors, empty and null lists, several files and pages -- go into a table of data storage
 * version 2.0 and one of 2.1, and a scan of each renders to the same JSON Lines. The 2.0 table's manifest
 * and data files must say 2.0 (footer 0.3), and an append keeps it 2.0. A 2.2 table (footer 2.2, large
 * mini-block chunks) must read the same too. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/json_out.c"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"
#include "table/manifest.h"
#include "write/commit.h"
#include "write/write_json.h"

#define N_ROWS 400
#define ROWS_PER_FILE 150
#define ROWS_PER_PAGE 37

/* Structs are never null here: 2.0 keeps no struct validity (a null struct reads back as a struct of
 * nulls, as in LanceDB), which the interop test covers. */
static const char *SPEC =
    "id:int64 not null, b:bool, i8:int8, u16:uint16, i32:int32, u64:uint64, h:float16, f:float32, d:float64, "
    "s:utf8, ls:large_utf8, bin:binary, day:date32, ts:timestamp[us, tz=UTC], nul:int32, snul:utf8, "
    "v8:fixed_size_list<float32, 8>, v:vector(64), hv:fixed_size_list<float16, 4>, tags:list<utf8>, "
    "nums:list<int64>, st:struct<a: int32, t: list<utf8>>";

static bool is_null(int r, int salt) { return (r * 13 + salt * 7) % 9 == 0; }

static size_t put_vec(char *s, size_t cap, int r, int dim, int salt, bool item_nulls) {
  size_t n = (size_t)snprintf(s, cap, "[");
  for (int k = 0; k < dim; k++) {
    if (item_nulls && (r + k * 5) % 11 == 0) n += (size_t)snprintf(s + n, cap - n, "%snull", k ? "," : "");
    else n += (size_t)snprintf(s + n, cap - n, "%s%d.25", k ? "," : "", (r * 3 + k * salt) % 60 - 30);
  }
  return n + (size_t)snprintf(s + n, cap - n, "]");
}

static char *row_json(int r) {
  size_t cap = 16384, n = 0;
  char *s = malloc(cap);
#define ADD(...) n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__)
#define NULLABLE(name, salt, ...)                 \
  do {                                            \
    if (is_null(r, salt)) ADD(",\"%s\":null", name); \
    else {                                        \
      ADD(",\"%s\":", name);                      \
      ADD(__VA_ARGS__);                           \
    }                                             \
  } while (0)
  ADD("{\"id\":%d", r - 100);
  NULLABLE("b", 1, "%s", r % 3 ? "true" : "false");
  NULLABLE("i8", 2, "%d", r % 256 - 128);
  NULLABLE("u16", 3, "%d", r * 163 % 65536);
  NULLABLE("i32", 4, "%d", r * 7919 - 1000000);
  NULLABLE("u64", 5, "%s", r % 2 ? "\"18446744073709551615\"" : "12345"); /* as the CLI passes big ones */
  NULLABLE("h", 6, "%d.5", r % 100 - 50);
  NULLABLE("f", 7, "%d.125", r * 3 - 500);
  NULLABLE("d", 8, "%d.0625", r * 1001);
  NULLABLE("s", 9, "\"s%d%s\"", r, r % 5 ? "" : "-é");
  NULLABLE("ls", 10, "\"%.*s\"", r % 7 * 3, "abcdefghijklmnopqrstuvwxyz");
  NULLABLE("bin", 11, "\"%s\"", r % 2 ? "AAEC" : "");
  NULLABLE("day", 12, "%d", r * 11 - 2000);
  NULLABLE("ts", 13, "%lld", (long long)r * 1000000 + 1);
  ADD(",\"nul\":null");
  if (r < 200) ADD(",\"snul\":null"); /* pages of strings that are all null */
  else ADD(",\"snul\":\"x%d\"", r);
  if (is_null(r, 14)) ADD(",\"v8\":null");
  else {
    ADD(",\"v8\":");
    n += put_vec(s + n, cap - n, r, 8, 3, r < 300); /* null items, then pages without */
  }
  if (is_null(r, 15)) ADD(",\"v\":null");
  else {
    ADD(",\"v\":");
    n += put_vec(s + n, cap - n, r, 64, 5, false);
  }
  if (is_null(r, 16)) ADD(",\"hv\":null");
  else {
    ADD(",\"hv\":");
    n += put_vec(s + n, cap - n, r, 4, 1, true);
  }
  if (is_null(r, 17)) ADD(",\"tags\":null");
  else {
    ADD(",\"tags\":[");
    for (int k = 0; k < r % 4; k++) ADD("%s%s", k ? "," : "", (r + k) % 6 ? "\"t\"" : "null");
    ADD("]");
  }
  if (r % 50 < 10) ADD(",\"nums\":[]"); /* pages whose lists are all empty: no items */
  else NULLABLE("nums", 18, "[%d,%d]", r, -r);
  ADD(",\"st\":{\"a\":");
  if (is_null(r, 19)) ADD("null");
  else ADD("%d", r);
  ADD(",\"t\":");
  if (is_null(r, 20)) ADD("null");
  else ADD("[\"u%d\"]", r);
  ADD("}}");
#undef NULLABLE
#undef ADD
  return s;
}

static struct ArrowArrayStream rows_stream(const lp__schema *s, int first, int n) {
  lp_error err = {0};
  json_t **rows = calloc((size_t)n, sizeof *rows);
  size_t *lines = calloc((size_t)n, sizeof *lines);
  for (int r = 0; r < n; r++) {
    char *j = row_json(first + r);
    json_error_t je;
    rows[r] = json_loads(j, 0, &je);
    if (rows[r] == NULL) LP_FAIL("row %d: %s: %s", first + r, je.text, j);
    free(j);
    lines[r] = (size_t)r + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(s, rows, lines, (size_t)n, b, &err), &err);
  for (int r = 0; r < n; r++) json_decref(rows[r]);
  free(rows);
  free(lines);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(s, b, 1, &st, &err), &err);
  return st;
}

/* Every row of the table's latest version as JSON Lines (malloc'd). */
static char *render(lp_db *db, const char *name) {
  lp_error err = {0};
  lp_table *t = NULL;
  CHECK_OK(lp_table_open(db, name, LP_VERSION_LATEST, &t, &err), &err);
  struct ArrowArrayStream sc;
  CHECK_OK(lp_table_scan(t, NULL, &sc, &err), &err);
  struct ArrowSchema schema;
  CHECK_EQ(sc.get_schema(&sc, &schema), 0);
  lp__json_plan *plan = NULL;
  CHECK_OK(lp__json_plan_create(&schema, &plan, &err), &err);
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  lp__json_out o;
  CHECK_OK(lp__json_out_init(&o, fp, 1 << 16, &err), &err);
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ(sc.get_next(&sc, &a), 0);
    if (a.release == NULL) break;
    CHECK_OK(lp__json_write_rows(&o, plan, &a, &err), &err);
    a.release(&a);
  }
  CHECK_OK(lp__json_out_flush(&o, &err), &err);
  lp__json_out_reset(&o);
  fclose(fp);
  lp__json_plan_free(plan);
  schema.release(&schema);
  sc.release(&sc);
  lp_table_close(t);
  return text;
}

/* Every data file of the table has footer version major.minor; returns how many there are. */
static int check_footers(const char *dir, uint16_t major, uint16_t minor) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    uint8_t tail[8];
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK_EQ(pread(fd, tail, 8, end - 8), 8);
    close(fd);
    CHECK_EQ(tail[0] | tail[1] << 8, major);
    CHECK_EQ(tail[2] | tail[3] << 8, minor);
    CHECK(memcmp(tail + 4, "LANC", 4) == 0);
    n++;
  }
  closedir(d);
  return n;
}

/* The latest manifest's data_format and each data file's version in it. */
static void check_manifest(const char *table_dir, const char *want, uint32_t minor) {
  lp_error err = {0};
  lp__base b;
  CHECK_OK(lp__base_load_latest(table_dir, NULL, &b, &err), &err);
  CHECK_STR_EQ(b.m->data_format, want);
  for (size_t i = 0; i < b.m->n_fragments; i++)
    for (size_t j = 0; j < b.m->fragments[i].n_files; j++) {
      CHECK_EQ(b.m->fragments[i].files[j].major, 2);
      CHECK_EQ(b.m->fragments[i].files[j].minor, minor);
    }
  lp__base_reset(&b);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  char dir[4096], cmd[9000], path[8192];
  snprintf(dir, sizeof dir, "%s/write_v20_roundtrip", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp__schema s;
  CHECK_OK(lp__wschema_parse_spec(SPEC, &s, &err), &err);
  struct ArrowSchema as;
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(dir, NULL, &db, &err), &err);
  lp_write_options o;
  lp_write_options_init(&o);
  o.max_rows_per_page = ROWS_PER_PAGE;
  o.max_rows_per_file = ROWS_PER_FILE;
  o.durable = false;
  const char *names[3] = {"t20", "t21", "t22"}, *versions[3] = {"2.0", "2.1", "2.2"};
  for (int k = 0; k < 3; k++) {
    uint64_t v = 0;
    CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
    struct ArrowArrayStream st = rows_stream(&s, 0, N_ROWS);
    o.data_storage_version = versions[k];
    CHECK_OK(lp_db_create_table(db, names[k], &as, &st, false, &o, &v, &err), &err);
    as.release(&as);
    o.data_storage_version = NULL; /* an append keeps the table's version */
    st = rows_stream(&s, N_ROWS, 50);
    CHECK_OK(lp_db_add(db, names[k], &st, &o, &v, &err), &err);
    CHECK_EQ(v, 2);
  }
  char *a = render(db, "t20"), *b = render(db, "t21");
  size_t lines = 0;
  for (const char *p = b; *p; p++) lines += *p == '\n';
  CHECK_EQ(lines, N_ROWS + 50);
  if (strcmp(a, b) != 0) {
    size_t i = 0;
    while (a[i] && a[i] == b[i]) i++;
    LP_FAIL("2.0 and 2.1 reads differ at byte %zu:\n2.0: %.200s\n2.1: %.200s", i, a + (i > 60 ? i - 60 : 0),
            b + (i > 60 ? i - 60 : 0));
  }
  char *c = render(db, "t22"); /* 2.2: 2.1's layout in the large-chunk grammar */
  if (strcmp(c, b) != 0) LP_FAIL("2.2 and 2.1 reads differ");
  free(a);
  free(b);
  free(c);
  snprintf(path, sizeof path, "%s/t22.lance/data", dir);
  CHECK_EQ(check_footers(path, 2, 2), 4);
  snprintf(path, sizeof path, "%s/t22.lance", dir);
  check_manifest(path, "2.2", 2);
  snprintf(path, sizeof path, "%s/t20.lance/data", dir);
  CHECK_EQ(check_footers(path, 0, 3), 4); /* 150 + 150 + 100 rows, then the append */
  snprintf(path, sizeof path, "%s/t21.lance/data", dir);
  CHECK_EQ(check_footers(path, 2, 1), 4);
  snprintf(path, sizeof path, "%s/t20.lance", dir);
  check_manifest(path, "2.0", 0);
  snprintf(path, sizeof path, "%s/t21.lance", dir);
  check_manifest(path, "2.1", 1);

  /* an unknown version is refused before anything is written */
  CHECK_OK(lp__wschema_to_arrow(&s, &as, &err), &err);
  o.data_storage_version = "2.3";
  CHECK_EQ(lp_db_create_table(db, "t23", &as, NULL, false, &o, NULL, &err), LP_EUNSUPPORTED);
  CHECK_CONTAINS(err.message, "data storage version 2.3");
  as.release(&as);
  snprintf(path, sizeof path, "%s/t23.lance", dir);
  CHECK(access(path, F_OK) != 0);
  lp_db_close(db);
  lp__wschema_reset(&s);
  return 0;
}
