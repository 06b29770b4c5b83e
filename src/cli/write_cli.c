/* Shared helpers of the write sub-commands. */
#include "cli/write_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lance/commit.h"
#include "lance/write_json.h"
#include "lance/write_schema.h"

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
        {"version", W_VERSION}, {"older-than", W_OLDER}, {"overwrite", W_OVERWRITE}, {"no-fsync", 0}};
    int k = -1;
    for (int j = 0; j < (int)(sizeof opts / sizeof opts[0]); j++)
      if (strlen(opts[j].name) == nl && strncmp(name, opts[j].name, nl) == 0) k = j;
    if (k < 0 || (opts[k].bit && !(allowed & opts[k].bit))) return lp__cli_usage(usage, "unknown option '%s'", a);
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
      case W_VERSION:
        if (!parse_u64(val, &out->version) || out->version == 0) return lp__cli_usage(usage, "--version: expected a positive integer, found '%s'", val);
        out->has_version = true;
        break;
      case W_OLDER:
        if (!parse_u64(val, &out->older_than)) return lp__cli_usage(usage, "--older-than: expected seconds, found '%s'", val);
        out->has_older_than = true;
        break;
      default: break;
    }
  }
  if (out->n_pos != 2) return lp__cli_usage(usage, "expected DB and TABLE");
  for (unsigned bit = 1; bit <= W_OVERWRITE; bit <<= 1)
    if ((required & bit) && !(seen & bit)) return lp__cli_usage(usage, "a required option is missing");
  return 0;
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
      json_t *v = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
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

int lp__cli_table_schema(const char *db_dir, const char *name, lp__schema *out) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s.lance", db_dir, name);
  lp__base b;
  lp_error err = {0};
  if (lp__base_load_latest(dir, &b, &err) != LP_OK) {
    if (err.code == LP_ENOTFOUND) return lp__cli_fail("table %s not found in %s", name, db_dir);
    return lp__cli_fail("%s", err.message);
  }
  lp_status st = lp__wschema_copy(&b.m->schema, out, &err);
  lp__base_reset(&b);
  if (st != LP_OK) return lp__cli_fail("%s", err.message);
  return 0;
}
