/* Shared helpers of the write sub-commands. */
#include "cli/write_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "write/commit.h"
#include "write/write_json.h"
#include "format/write_schema.h"

#define JSONL_BATCH_ROWS 65536 /* rows per Arrow batch built from JSON Lines */

static bool parse_u64(const char *s, uint64_t *out) {
  if (s == NULL || *s < '0' || *s > '9') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno) return false;
  *out = v;
  return true;
}

int lp__wargs_parse(int argc, char **argv, const char *usage, unsigned allowed, unsigned required, lp__wargs *out) {
  memset(out, 0, sizeof *out);
  unsigned seen = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || strcmp(a, "-") == 0) {
      if (out->n_pos == 2) return lp__cli_usage(usage, "unexpected argument '%s'", a);
      out->pos[out->n_pos++] = a;
      continue;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    static const struct { const char *name; unsigned bit; } opts[] = {
        {"schema", W_SCHEMA}, {"jsonl", W_JSONL}, {"where", W_WHERE}, {"on", W_ON},
        {"version", W_VERSION}, {"tag", W_VERSION}, {"older-than", W_OLDER}, {"overwrite", W_OVERWRITE}, {"no-fsync", 0},
        {"data-storage-version", W_STORAGE}, {"set", W_SET}, {"update-all", W_MERGE},
        {"insert-all", W_MERGE}, {"delete-not-matched", W_MERGE}, {"update-where", W_MERGE}, {"delete-where", W_MERGE}, {"max-rows-per-file", 1u << 20}, {"max-rows-per-page", 1u << 21}};
    int k = -1;
    for (int j = 0; j < (int)(sizeof opts / sizeof opts[0]); j++)
      if (strlen(opts[j].name) == nl && strncmp(name, opts[j].name, nl) == 0) k = j;
    if (k < 0 || (opts[k].bit && opts[k].bit < (1u << 20) && !(allowed & opts[k].bit))) return lp__cli_usage(usage, "unknown option '%s'", a);
    if (opts[k].bit == W_MERGE && strstr(opts[k].name, "-where") == NULL) { /* the merge clauses */
      if (eq) return lp__cli_usage(usage, "option --%s takes no value", opts[k].name);
      if (opts[k].name[0] == 'u') out->update_all = true;
      else if (opts[k].name[0] == 'i') out->insert_all = true;
      else out->delete_not_matched = true;
      continue;
    }
    if (opts[k].bit == W_OVERWRITE || opts[k].bit == 0) {
      if (eq) return lp__cli_usage(usage, "option --%s takes no value", opts[k].name);
      if (opts[k].bit == W_OVERWRITE) out->overwrite = true;
      else out->no_fsync = true;
      seen |= opts[k].bit;
      continue;
    }
    const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (val == NULL) return lp__cli_usage(usage, "option --%s needs a value", opts[k].name);
    seen |= opts[k].bit;
    switch (opts[k].bit) {
      case W_SCHEMA: out->schema = val; break;
      case W_JSONL: out->jsonl = val; break;
      case W_WHERE: out->where = val; break;
      case W_ON: out->on = val; break;
      case W_SET: out->set = val; break;
      case W_MERGE:
        if (opts[k].name[0] == 'u') out->update_where = val;
        else out->delete_where = val;
        break;
      case W_STORAGE:
        if (strcmp(val, "2.0") != 0 && strcmp(val, "2.1") != 0 && strcmp(val, "2.2") != 0)
          return lp__cli_usage(usage, "--data-storage-version: expected 2.0, 2.1 or 2.2, found '%s'", val);
        out->storage_version = val;
        break;
      case W_VERSION:
        if (out->has_version) return lp__cli_usage(usage, "give --version or --tag once");
        if (opts[k].name[0] == 't') {
          out->tag = val;
          out->has_version = true;
          break;
        }
        if (!parse_u64(val, &out->version) || out->version == 0) return lp__cli_usage(usage, "--version: expected a positive integer, found '%s'", val);
        out->has_version = true;
        break;
      case W_OLDER:
        if (!parse_u64(val, &out->older_than)) return lp__cli_usage(usage, "--older-than: expected seconds, found '%s'", val);
        out->has_older_than = true;
        break;
      default: {
        uint64_t v;
        if (!parse_u64(val, &v) || v == 0 || v > UINT32_MAX) return lp__cli_usage(usage, "--%s: expected a positive integer, found '%s'", opts[k].name, val);
        if (opts[k].bit == (1u << 20)) out->rows_per_file = v;
        else out->rows_per_page = v;
        break;
      }
    }
  }
  if (out->n_pos != 2) return lp__cli_usage(usage, "expected DB and TABLE");
  for (unsigned bit = 1; bit <= W_MERGE; bit <<= 1)
    if ((required & bit) && !(seen & bit)) return lp__cli_usage(usage, "a required option is missing");
  return 0;
}

/* jansson refuses integers outside int64; uint64 columns need them. Quote every such integer literal (outside
 * strings) so it reaches the column as a digit string, which uint64 columns accept and others reject.
 * Returns a new string (caller frees) or NULL when nothing needed quoting. */
static char *quote_big_integers(const char *line, size_t len) {
  char *out = NULL;
  size_t o = 0;
  bool in_str = false;
  for (size_t i = 0; i < len; i++) {
    char ch = line[i];
    if (in_str) {
      if (ch == '\\') i++;
      else if (ch == '"') in_str = false;
      continue;
    }
    if (ch == '"') {
      in_str = true;
      continue;
    }
    if (!((ch >= '0' && ch <= '9') || ch == '-') || (i > 0 && ((line[i - 1] >= '0' && line[i - 1] <= '9') || line[i - 1] == '.' || line[i - 1] == 'e' || line[i - 1] == 'E')))
      continue;
    size_t j = i + (ch == '-');
    size_t d0 = j;
    while (j < len && line[j] >= '0' && line[j] <= '9') j++;
    size_t nd = j - d0;
    bool is_int = !(j < len && (line[j] == '.' || line[j] == 'e' || line[j] == 'E'));
    bool big = is_int && (nd > 19 || (nd == 19 && strncmp(line + d0, ch == '-' ? "9223372036854775808" : "9223372036854775807", 19) > 0));
    if (!big) {
      i = j - 1;
      continue;
    }
    if (out == NULL) {
      out = malloc(len * 3 + 3);
      if (out == NULL) return NULL;
      memcpy(out, line, i);
      o = i;
    }
    (void)o;
    i = j - 1;
  }
  if (out == NULL) return NULL;
  /* second pass: copy with quotes (simple and obviously correct) */
  o = 0;
  in_str = false;
  for (size_t i = 0; i < len; i++) {
    char ch = line[i];
    if (in_str) {
      out[o++] = ch;
      if (ch == '\\' && i + 1 < len) out[o++] = line[++i];
      else if (ch == '"') in_str = false;
      continue;
    }
    if (ch == '"') {
      in_str = true;
      out[o++] = ch;
      continue;
    }
    bool start = ((ch >= '0' && ch <= '9') || ch == '-') && !(i > 0 && ((line[i - 1] >= '0' && line[i - 1] <= '9') || line[i - 1] == '.' || line[i - 1] == 'e' || line[i - 1] == 'E'));
    if (!start) {
      out[o++] = ch;
      continue;
    }
    size_t j = i + (ch == '-'), d0 = j;
    while (j < len && line[j] >= '0' && line[j] <= '9') j++;
    size_t nd = j - d0;
    bool is_int = !(j < len && (line[j] == '.' || line[j] == 'e' || line[j] == 'E'));
    bool big = is_int && (nd > 19 || (nd == 19 && strncmp(line + d0, ch == '-' ? "9223372036854775808" : "9223372036854775807", 19) > 0));
    if (big) out[o++] = '"';
    memcpy(out + o, line + i, j - i);
    o += j - i;
    if (big) out[o++] = '"';
    i = j - 1;
  }
  out[o] = 0;
  return out;
}

void lp__wargs_options(const lp__wargs *a, lp_write_options *o) {
  lp_write_options_init(o);
  o->durable = !a->no_fsync;
  if (a->rows_per_file) o->max_rows_per_file = (uint32_t)a->rows_per_file;
  if (a->rows_per_page) o->max_rows_per_page = (uint32_t)a->rows_per_page;
  o->data_storage_version = a->storage_version;
}

static void free_rows(json_t **rows, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(rows[i]);
}

int lp__cli_read_jsonl(const char *path, const lp__schema *schema, struct ArrowArrayStream *out) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (f == NULL) return lp__cli_fail("%s: cannot open: %s", path, strerror(errno));
  json_t **rows = malloc(JSONL_BATCH_ROWS * sizeof *rows);
  size_t *lines = malloc(JSONL_BATCH_ROWS * sizeof *lines);
  struct ArrowArray *batches = NULL;
  size_t n_batches = 0, n = 0, lineno = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  lp_error err = {0};
  int rc = (rows && lines) ? 0 : lp__cli_fail("out of memory");
  while (rc == 0) {
    len = getline(&line, &cap, f);
    bool eof = len < 0;
    if (!eof) {
      lineno++;
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
      size_t i = 0;
      while (line[i] == ' ' || line[i] == '\t') i++;
      if (line[i] == 0) continue;
      json_error_t je;
      char *quoted = quote_big_integers(line, (size_t)len);
      json_t *v = quoted ? json_loads(quoted, JSON_REJECT_DUPLICATES, &je) : json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
      free(quoted);
      if (v == NULL) {
        rc = lp__cli_fail("%s: line %zu: invalid JSON: %s", path, lineno, je.text);
        break;
      }
      rows[n] = v;
      lines[n++] = lineno;
    }
    if (n > 0 && (n == JSONL_BATCH_ROWS || eof)) {
      struct ArrowArray *nb = realloc(batches, (n_batches + 1) * sizeof *nb);
      if (nb == NULL) {
        rc = lp__cli_fail("out of memory");
        break;
      }
      batches = nb;
      if (lp__json_rows_to_batch(schema, rows, lines, n, &batches[n_batches], &err) != LP_OK) {
        rc = lp__cli_fail("%s: %s", path, err.message);
        break;
      }
      n_batches++;
      free_rows(rows, n);
      n = 0;
    }
    if (eof) break;
  }
  if (ferror(f) && rc == 0) rc = lp__cli_fail("%s: read failed", path);
  free_rows(rows, n);
  free(rows);
  free(lines);
  free(line);
  if (f != stdin) fclose(f);
  if (rc != 0) {
    for (size_t i = 0; i < n_batches; i++) batches[i].release(&batches[i]);
    free(batches);
    return rc;
  }
  if (lp__batches_stream(schema, batches, n_batches, out, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  return 0;
}

/* The schema of the latest version of a table in a store, read through the engine. */
static int table_schema_in_store(const char *db_uri, const char *name, lp__schema *out) {
  lp_db *db = NULL;
  lp_table *t = NULL;
  lp_error err = {0};
  lp_status st = lp__cli_db_open(db_uri, &db, &err);
  if (st == LP_OK) st = lp_table_open(db, name, LP_VERSION_LATEST, &t, &err);
  if (st == LP_OK) st = lp__wschema_copy(&t->m->schema, out, &err);
  lp_table_close(t);
  lp_db_close(db);
  if (st == LP_OK) return 0;
  if (err.code == LP_ENOTFOUND) return lp__cli_fail("table %s not found in %s: %s", name, db_uri, err.message);
  return lp__cli_fail("%s", err.message);
}

int lp__cli_table_schema(const char *db_dir, const char *name, lp__schema *out) {
  if (strncmp(db_dir, "s3://", 5) == 0) return table_schema_in_store(db_dir, name, out);
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s.lance", db_dir, name);
  lp__base b;
  lp_error err = {0};
  if (lp__base_load_latest(dir, NULL, &b, &err) != LP_OK) {
    if (err.code == LP_ENOTFOUND) return lp__cli_fail("table %s not found in %s", name, db_dir);
    return lp__cli_fail("%s", err.message);
  }
  lp_status st = lp__wschema_copy(&b.m->schema, out, &err);
  lp__base_reset(&b);
  if (st != LP_OK) return lp__cli_fail("%s", err.message);
  return 0;
}

int lp__cli_write_run(int argc, char **argv, const char *usage, unsigned flags, bool with_rows, lp__wcmd_fn fn) {
  return lp__cli_write_run_some(argc, argv, usage, flags, flags, with_rows, fn);
}

int lp__cli_write_run_some(int argc, char **argv, const char *usage, unsigned allowed, unsigned required,
                           bool with_rows, lp__wcmd_fn fn) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, usage, allowed, required, &a);
  if (rc != 0) return rc;
  lp__schema s;
  memset(&s, 0, sizeof s);
  struct ArrowArrayStream rows = {0};
  if (with_rows) {
    if ((rc = lp__cli_table_schema(a.pos[0], a.pos[1], &s)) != 0) return rc;
    rc = lp__cli_read_jsonl(a.jsonl, &s, &rows); /* every row checked before anything is committed */
  }
  lp_db *db = NULL;
  lp_error err = {0};
  if (rc == 0 && lp__cli_db_open(a.pos[0], &db, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  if (rc == 0) {
    lp_write_options o;
    lp__wargs_options(&a, &o);
    char line[128];
    if (fn(db, &a, &o, with_rows ? &rows : NULL, line, sizeof line, &err) != LP_OK)
      rc = lp__cli_fail("%s", err.message);
    else
      printf("%s\n", line);
  }
  if (rows.release) rows.release(&rows); /* when the engine was not reached */
  lp_db_close(db);
  lp__wschema_reset(&s);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
