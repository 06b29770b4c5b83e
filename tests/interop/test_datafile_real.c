/* Data files written by official LanceDB 0.31.0 (tests/interop/node/gen_datafile_cases.mjs), decoded by
 * lancepool's reader straight from the data/ folder of each table and compared value by value with what
 * LanceDB itself returns: full reads, ranges that start mid-page, and takes of random rows. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "format/datafile.h"
#include "lp_test.h"

static const char *g_table;
static char g_census[1 << 20]; /* every distinct page description seen, one per line */
static size_t g_census_len;
static const char *g_col;
static int64_t g_checked;

/* ---- field descriptions (the JSON the generator writes) -> lp__field ---- */

static lp__type type_of(const char *t, lp__time_unit *unit) {
  static const struct { const char *name; lp__type type; } map[] = {
      {"bool", LP__TYPE_BOOL}, {"int8", LP__TYPE_INT8}, {"int16", LP__TYPE_INT16}, {"int32", LP__TYPE_INT32},
      {"int64", LP__TYPE_INT64}, {"uint8", LP__TYPE_UINT8}, {"uint16", LP__TYPE_UINT16},
      {"uint32", LP__TYPE_UINT32}, {"uint64", LP__TYPE_UINT64}, {"float16", LP__TYPE_FLOAT16},
      {"float32", LP__TYPE_FLOAT32}, {"float64", LP__TYPE_FLOAT64}, {"utf8", LP__TYPE_UTF8},
      {"large_utf8", LP__TYPE_LARGE_UTF8}, {"binary", LP__TYPE_BINARY}, {"date32", LP__TYPE_DATE32},
      {"fixed_size_list", LP__TYPE_FIXED_SIZE_LIST}, {"list", LP__TYPE_LIST}, {"struct", LP__TYPE_STRUCT}};
  if (strncmp(t, "timestamp:", 10) == 0) {
    const char *u = t + 10;
    *unit = strcmp(u, "s") == 0 ? LP__UNIT_S : strcmp(u, "ms") == 0 ? LP__UNIT_MS : strcmp(u, "us") == 0 ? LP__UNIT_US
                                                                                                          : LP__UNIT_NS;
    return LP__TYPE_TIMESTAMP;
  }
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].name, t) == 0) return map[i].type;
  LP_FAIL("unknown type %s", t);
}

static void field_from_json(json_t *d, lp__field *f) {
  memset(f, 0, sizeof *f);
  f->name = strdup(json_string_value(json_object_get(d, "name")));
  f->type = type_of(json_string_value(json_object_get(d, "type")), &f->unit);
  f->nullable = json_is_true(json_object_get(d, "nullable"));
  json_t *tz = json_object_get(d, "tz");
  if (json_is_string(tz)) f->timezone = strdup(json_string_value(tz));
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    lp__time_unit u;
    f->list_size = (int32_t)json_integer_value(json_object_get(d, "dim"));
    f->elem_type = type_of(json_string_value(json_object_get(d, "elem")), &u);
  }
  json_t *md = json_object_get(d, "metadata");
  if (json_is_object(md)) {
    f->metadata = calloc(json_object_size(md), sizeof *f->metadata);
    const char *k;
    json_t *v;
    json_object_foreach(md, k, v) {
      lp__kv *kv = &f->metadata[f->n_metadata++];
      kv->key = strdup(k);
      kv->value = (uint8_t *)strdup(json_string_value(v));
      kv->value_len = strlen(json_string_value(v));
    }
  }
  json_t *ch = json_object_get(d, "children");
  if (json_is_array(ch)) {
    f->n_children = json_array_size(ch);
    f->children = calloc(f->n_children, sizeof *f->children);
    for (size_t i = 0; i < f->n_children; i++) field_from_json(json_array_get(ch, i), &f->children[i]);
  }
}

static void field_free(lp__field *f) {
  for (size_t i = 0; i < f->n_children; i++) field_free(&f->children[i]);
  for (size_t i = 0; i < f->n_metadata; i++) {
    free(f->metadata[i].key);
    free(f->metadata[i].value);
  }
  free(f->metadata);
  free(f->children);
  free(f->name);
  free(f->timezone);
}

/* ---- comparing one Arrow value with LanceDB's JSON ---- */

#define MISMATCH(...)                                                       \
  do {                                                                      \
    fprintf(stderr, "%s.%s row %lld: ", g_table, g_col, (long long)row);    \
    LP_FAIL(__VA_ARGS__);                                                   \
  } while (0)

static bool valid_at(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  return v == NULL || a->null_count == 0 || lp__bit_get(v, a->offset + i);
}

static void compare(const lp__field *f, lp__type t, int list_size, const struct ArrowArray *a, int64_t i, json_t *j,
                    int64_t row);

static void compare_fixed(lp__type t, const struct ArrowArray *a, int64_t i, json_t *j, int64_t row) {
  int64_t k = a->offset + i;
  const void *v = a->buffers[1];
  char buf[32];
  switch (t) {
    case LP__TYPE_BOOL:
      if (lp__bit_get(v, k) != json_is_true(j)) MISMATCH("bool %d vs %d", lp__bit_get(v, k), json_is_true(j));
      return;
    case LP__TYPE_INT8: if (((const int8_t *)v)[k] != json_integer_value(j)) MISMATCH("int8"); return;
    case LP__TYPE_INT16: if (((const int16_t *)v)[k] != json_integer_value(j)) MISMATCH("int16"); return;
    case LP__TYPE_INT32: case LP__TYPE_DATE32:
      if (((const int32_t *)v)[k] != json_integer_value(j))
        MISMATCH("int32 %d vs %lld", ((const int32_t *)v)[k], (long long)json_integer_value(j));
      return;
    case LP__TYPE_UINT8: if (((const uint8_t *)v)[k] != json_integer_value(j)) MISMATCH("uint8"); return;
    case LP__TYPE_UINT16: case LP__TYPE_FLOAT16:
      if (((const uint16_t *)v)[k] != json_integer_value(j))
        MISMATCH("16-bit %u vs %lld", ((const uint16_t *)v)[k], (long long)json_integer_value(j));
      return;
    case LP__TYPE_UINT32: if (((const uint32_t *)v)[k] != json_integer_value(j)) MISMATCH("uint32"); return;
    case LP__TYPE_INT64: case LP__TYPE_TIMESTAMP:
      snprintf(buf, sizeof buf, "%lld", (long long)((const int64_t *)v)[k]);
      if (strcmp(buf, json_string_value(j)) != 0) MISMATCH("int64 %s vs %s", buf, json_string_value(j));
      return;
    case LP__TYPE_UINT64:
      snprintf(buf, sizeof buf, "%llu", (unsigned long long)((const uint64_t *)v)[k]);
      if (strcmp(buf, json_string_value(j)) != 0) MISMATCH("uint64 %s vs %s", buf, json_string_value(j));
      return;
    case LP__TYPE_FLOAT32:
      if ((double)((const float *)v)[k] != json_number_value(j))
        MISMATCH("float32 %.9g vs %.9g", (double)((const float *)v)[k], json_number_value(j));
      return;
    case LP__TYPE_FLOAT64:
      if (((const double *)v)[k] != json_number_value(j))
        MISMATCH("float64 %.17g vs %.17g", ((const double *)v)[k], json_number_value(j));
      return;
    default: MISMATCH("type %d", (int)t);
  }
}

static void compare(const lp__field *f, lp__type t, int list_size, const struct ArrowArray *a, int64_t i, json_t *j,
                    int64_t row) {
  g_checked++;
  bool valid = valid_at(a, i);
  if (json_is_null(j)) {
    if (valid) MISMATCH("expected null, got a value");
    return;
  }
  if (!valid) MISMATCH("expected a value, got null");
  int64_t k = a->offset + i;
  switch (t) {
    case LP__TYPE_UTF8: case LP__TYPE_BINARY: case LP__TYPE_LARGE_UTF8: {
      int64_t s, e;
      if (t == LP__TYPE_LARGE_UTF8) {
        s = ((const int64_t *)a->buffers[1])[k];
        e = ((const int64_t *)a->buffers[1])[k + 1];
      } else {
        s = ((const int32_t *)a->buffers[1])[k];
        e = ((const int32_t *)a->buffers[1])[k + 1];
      }
      const uint8_t *d = (const uint8_t *)a->buffers[2] + s;
      if (t == LP__TYPE_BINARY) {
        const char *hex = json_string_value(j);
        if ((int64_t)strlen(hex) != 2 * (e - s)) MISMATCH("binary of %lld bytes vs %zu hex", (long long)(e - s), strlen(hex));
        for (int64_t q = 0; q < e - s; q++) {
          unsigned x;
          sscanf(hex + 2 * q, "%2x", &x);
          if (x != d[q]) MISMATCH("binary byte %lld", (long long)q);
        }
      } else if ((size_t)(e - s) != json_string_length(j) || memcmp(d, json_string_value(j), (size_t)(e - s)) != 0) {
        MISMATCH("string \"%.*s\" vs \"%s\"", (int)(e - s > 60 ? 60 : e - s), (const char *)d, json_string_value(j));
      }
      return;
    }
    case LP__TYPE_FIXED_SIZE_LIST: {
      if ((int)json_array_size(j) != list_size) MISMATCH("vector of %zu items", json_array_size(j));
      for (int q = 0; q < list_size; q++)
        compare(NULL, f->elem_type, 0, a->children[0], k * list_size + q, json_array_get(j, (size_t)q), row);
      return;
    }
    case LP__TYPE_LIST: {
      int32_t s = ((const int32_t *)a->buffers[1])[k], e = ((const int32_t *)a->buffers[1])[k + 1];
      if ((size_t)(e - s) != json_array_size(j)) MISMATCH("list of %d items vs %zu", e - s, json_array_size(j));
      for (int32_t q = s; q < e; q++)
        compare(&f->children[0], f->children[0].type, f->children[0].list_size, a->children[0], q,
                json_array_get(j, (size_t)(q - s)), row);
      return;
    }
    case LP__TYPE_STRUCT:
      for (size_t c = 0; c < f->n_children; c++)
        compare(&f->children[c], f->children[c].type, f->children[c].list_size, a->children[c], k,
                json_object_get(j, f->children[c].name), row);
      return;
    default:
      compare_fixed(t, a, i, j, row);
  }
}

static void check_rows(const lp__field *f, const struct ArrowArray *a, json_t *vals, const uint64_t *rows, int64_t n) {
  CHECK_EQ(a->length, n);
  for (int64_t i = 0; i < n; i++)
    compare(f, f->type, f->list_size, a, i, json_array_get(vals, (size_t)rows[i]), (int64_t)rows[i]);
}

/* ---- one table ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return n ? rng_state % n : 0;
}

static char *find_data_file(const char *dir, const char *table) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.lance/data", dir, table);
  DIR *d = opendir(path);
  CHECK(d != NULL);
  struct dirent *e;
  char *found = NULL;
  int n = 0;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l > 6 && strcmp(e->d_name + l - 6, ".lance") == 0) {
      n++;
      free(found);
      found = malloc(strlen(path) + l + 2);
      sprintf(found, "%s/%s", path, e->d_name);
    }
  }
  closedir(d);
  if (n != 1) LP_FAIL("%s: expected one data file, found %d", table, n);
  return found;
}

static void run_table(const char *dir, const char *table, bool expect_unsupported) {
  g_table = table;
  char jpath[1024];
  snprintf(jpath, sizeof jpath, "%s/%s.json", dir, table);
  json_error_t jerr;
  json_t *root = json_load_file(jpath, 0, &jerr);
  if (root == NULL) LP_FAIL("%s: %s", jpath, jerr.text);
  uint64_t n_rows = (uint64_t)json_integer_value(json_object_get(root, "rows"));
  json_t *fields = json_object_get(root, "fields"), *values = json_object_get(root, "values");
  char *file = find_data_file(dir, table);
  int fd = open(file, O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  lp_error err = {0};
  lp__datafile_meta *meta = NULL;
  CHECK_OK(lp__datafile_meta_read(fd, (uint64_t)st.st_size, file, &meta, &err), &err);
  CHECK_EQ(lp__datafile_meta_num_rows(meta), n_rows);
  size_t max_pages = 0;
  for (uint32_t c = 0; c < lp__datafile_meta_num_columns(meta); c++) {
    if (lp__datafile_column_num_pages(meta, c) > max_pages) max_pages = lp__datafile_column_num_pages(meta, c);
    for (size_t p = 0; p < lp__datafile_column_num_pages(meta, c); p++) {
      char d[1024];
      CHECK_OK(lp__datafile_describe_page(meta, c, p, d, sizeof d, &err), &err);
      const char *kind = strstr(d, "mini_block");
      if (!kind) kind = strstr(d, "full_zip");
      if (!kind) kind = strstr(d, "all_null");
      if (!kind) kind = d;
      char line[1100];
      snprintf(line, sizeof line, "%s\n", kind);
      if (strstr(g_census, line) == NULL && g_census_len + strlen(line) < sizeof g_census) {
        memcpy(g_census + g_census_len, line, strlen(line) + 1);
        g_census_len += strlen(line);
        fprintf(stderr, "    %s col %u page %zu: %s", table, c, p, line);
      }
    }
  }
  fprintf(stderr, "    %s: up to %zu pages per column\n", table, max_pages);
  if (n_rows >= 300000 && max_pages < 2) LP_FAIL("%s: expected multi-page columns", table);
  lp__datafile_src src = {.fd = fd, .bytes = NULL, .path = file, .meta = meta};
  uint32_t col = 0;
  uint64_t *rows = malloc(n_rows * sizeof *rows);
  for (size_t fi = 0; fi < json_array_size(fields); fi++) {
    lp__field f;
    field_from_json(json_array_get(fields, fi), &f);
    g_col = f.name;
    json_t *vals = json_object_get(values, f.name);
    CHECK_EQ(json_array_size(vals), n_rows);
    struct ArrowArray a;
    lp_status st_read = lp__datafile_read_range(&src, &f, col, 0, n_rows, &a, &err);
    if (expect_unsupported) {
      if (st_read == LP_OK) LP_FAIL("%s.%s: expected LP_EUNSUPPORTED", table, f.name);
      CHECK_EQ(st_read, LP_EUNSUPPORTED);
      fprintf(stderr, "  %s.%s: %s\n", table, f.name, err.message);
      col += lp__datafile_field_num_columns(meta, &f);
      field_free(&f);
      continue;
    }
    if (st_read != LP_OK) LP_FAIL("%s.%s: read: %s", table, f.name, err.message);
    for (uint64_t i = 0; i < n_rows; i++) rows[i] = i;
    check_rows(&f, &a, vals, rows, (int64_t)n_rows);
    lp__arrow_release(&a);
    /* ranges that start anywhere, often mid-page and mid-chunk */
    for (int k = 0; k < 6; k++) {
      uint64_t start = rnd(n_rows), len = 1 + rnd(k < 3 ? 50 : 5000);
      if (start + len > n_rows) len = n_rows - start;
      CHECK_OK(lp__datafile_read_range(&src, &f, col, start, len, &a, &err), &err);
      for (uint64_t i = 0; i < len; i++) rows[i] = start + i;
      check_rows(&f, &a, vals, rows, (int64_t)len);
      lp__arrow_release(&a);
    }
    /* takes of random rows, and of the first and last */
    uint64_t want = n_rows < 300 ? n_rows / 2 + 1 : 300, got = 0;
    for (uint64_t i = 0; i < n_rows && got < want; i++)
      if (i == 0 || i == n_rows - 1 || rnd(n_rows) < want) rows[got++] = i;
    CHECK_OK(lp__datafile_take(&src, &f, col, rows, got, &a, &err), &err);
    check_rows(&f, &a, vals, rows, (int64_t)got);
    lp__arrow_release(&a);
    col += lp__datafile_field_num_columns(meta, &f);
    field_free(&f);
  }
  if (!expect_unsupported) CHECK_EQ(col, lp__datafile_meta_num_columns(meta));
  CHECK_EQ(col, lp__datafile_meta_num_columns(meta));
  fprintf(stderr, "  %s: %zu fields, %llu rows: ok\n", table, json_array_size(fields), (unsigned long long)n_rows);
  free(rows);
  lp__datafile_meta_unref(meta);
  close(fd);
  free(file);
  json_decref(root);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP"), *node_dir = getenv("LP_NODE_DIR");
  if (tmp == NULL || node_dir == NULL) LP_FAIL("LP_TEST_TMP and LP_NODE_DIR must be set");
  char dir[1024], cmd[4096];
  snprintf(dir, sizeof dir, "%s/datafile_cases", tmp);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && node '%s/gen_datafile_cases.mjs' '%s' >'%s.log' 2>&1", dir, node_dir, dir, dir);
  const char *pre = getenv("LP_DATAFILE_CASES"); /* an already generated set, to iterate quickly */
  if (pre != NULL) snprintf(dir, sizeof dir, "%s", pre);
  else if (system(cmd) != 0) LP_FAIL("generator failed: see %s.log", dir);
  static const char *tables[] = {"prims", "strings", "huge", "vectors", "nested", "compress", "multipage"};
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) run_table(dir, tables[i], false);
  run_table(dir, "legacy20", false); /* format 2.0, written with new_table_data_storage_version = "2.0" */
  fprintf(stderr, "%lld values compared\n", (long long)g_checked);
  /* the layouts and encodings LanceDB chose must cover what the reader claims to read */
  static const char *must[] = {"mini_block", "full_zip", "all_null layers[3] simple", "all_null layers[1,4] complex",
      "values=flat(", "inline_bitpacking(64)", "inline_bitpacking(16)", "out_of_line_bitpacking(16,", "rle(flat(",
      "fsst(variable(flat(32)))", "dictionary[", "variable(flat(64))", "general(zstd,byte_stream_split(flat(64)))",
      "general(zstd,byte_stream_split(flat(32)))", "general(lz4,variable(flat(32)))", "general(zstd,variable(flat(32)))",
      "fixed_size_list(8,validity,flat(32))", "fixed_size_list(128,validity,flat(32))", "packed_struct(",
      "bits_per_offset=32 values=fsst(", "layers[3,6]", "layers[3,3]", "rep=", "flat(1)"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    if (strstr(g_census, must[i]) == NULL) LP_FAIL("no page of the generated files uses \"%s\"", must[i]);
  return 0;
}
