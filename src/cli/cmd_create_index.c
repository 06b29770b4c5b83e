/* `lancepool create-index DB TABLE --column COL --type TYPE [--name NAME] [--replace] [type options]`:
 * build an index and print "<name> <version>". The options of each type are in a table of their own, so
 * another type adds its table and a case in `type_options` (only fts is built so far; lance.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* An option: its name, whether it takes a value, and where it goes. */
typedef enum { OPT_STRING, OPT_BOOL, OPT_U32 } opt_kind;
typedef struct opt {
  const char *name;
  opt_kind kind;
  size_t offset; /* in lp_index_options */
} opt;

#define OPT(n, k, field) {n, k, offsetof(lp_index_options, field)}

static const opt COMMON_OPTS[] = {
    OPT("column", OPT_STRING, column),
    OPT("type", OPT_STRING, type),
    OPT("name", OPT_STRING, name),
    OPT("replace", OPT_BOOL, replace),
};

static const opt FTS_OPTS[] = {
    OPT("base-tokenizer", OPT_STRING, base_tokenizer),
    OPT("language", OPT_STRING, language),
    OPT("with-position", OPT_BOOL, with_position),
    OPT("max-token-length", OPT_U32, max_token_length),
    OPT("lower-case", OPT_BOOL, lower_case),
    OPT("stem", OPT_BOOL, stem),
    OPT("remove-stop-words", OPT_BOOL, remove_stop_words),
    OPT("ascii-folding", OPT_BOOL, ascii_folding),
    OPT("min-ngram-length", OPT_U32, min_ngram_length),
    OPT("max-ngram-length", OPT_U32, max_ngram_length),
    OPT("prefix-only", OPT_BOOL, prefix_only),
};

#define N_OF(a) (sizeof a / sizeof *a)

static const opt *find_opt(const opt *list, size_t n, const char *name, size_t name_len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(list[i].name) == name_len && strncmp(list[i].name, name, name_len) == 0) return &list[i];
  return NULL;
}

/* A flag alone sets true; "--flag=true|false" and "--no-flag" say which. */
static int set_opt(const opt *o, const char *value, bool negated, lp_index_options *out) {
  char *field = (char *)out + o->offset;
  if (o->kind == OPT_BOOL) {
    bool v = !negated;
    if (value != NULL) {
      if (negated || (strcmp(value, "true") != 0 && strcmp(value, "false") != 0))
        return lp__cli_usage(CREATE_INDEX_USAGE, "--%s takes true or false, not \"%s\"", o->name, value);
      v = strcmp(value, "true") == 0;
    }
    *(bool *)field = v;
    return 0;
  }
  if (negated) return lp__cli_usage(CREATE_INDEX_USAGE, "--no-%s is not an option", o->name);
  if (o->kind == OPT_STRING) {
    *(const char **)field = value;
    return 0;
  }
  char *end = NULL;
  unsigned long long v = value[0] >= '0' && value[0] <= '9' ? strtoull(value, &end, 10) : 0;
  if (end == NULL || *end != '\0' || v > UINT32_MAX)
    return lp__cli_usage(CREATE_INDEX_USAGE, "--%s takes a whole number up to %u, not \"%s\"", o->name, UINT32_MAX, value);
  *(uint32_t *)field = (uint32_t)v;
  return 0;
}

/* The options of the type named on the command line (any order: --type may come last). */
static const opt *type_options(int argc, char **argv, size_t *n) {
  const char *type = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--type=", 7) == 0) type = argv[i] + 7;
    else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) type = argv[i + 1];
  }
  *n = 0;
  if (type != NULL && strcmp(type, "fts") == 0) {
    *n = N_OF(FTS_OPTS);
    return FTS_OPTS;
  }
  return NULL;
}

static int parse(int argc, char **argv, const char **pos, lp_index_options *out) {
  size_t n_type = 0;
  const opt *type_opts = type_options(argc, argv, &n_type);
  int n_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0) {
      if (n_pos == 2) return lp__cli_usage(CREATE_INDEX_USAGE, "unexpected argument \"%s\"", arg);
      pos[n_pos++] = arg;
      continue;
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    bool negated = strncmp(name, "no-", 3) == 0;
    if (negated) name += 3, len -= 3;
    const opt *o = find_opt(COMMON_OPTS, N_OF(COMMON_OPTS), name, len);
    if (o == NULL && type_opts) o = find_opt(type_opts, n_type, name, len);
    if (o == NULL) return lp__cli_usage(CREATE_INDEX_USAGE, "unknown option %s (for this index type)", arg);
    const char *value = eq ? eq + 1 : NULL;
    if (value == NULL && o->kind != OPT_BOOL) {
      if (i + 1 >= argc) return lp__cli_usage(CREATE_INDEX_USAGE, "--%s needs a value", o->name);
      value = argv[++i];
    }
    int rc = set_opt(o, value, negated, out);
    if (rc != 0) return rc;
  }
  if (n_pos != 2) return lp__cli_usage(CREATE_INDEX_USAGE, "expected DB and TABLE");
  if (out->column == NULL) return lp__cli_usage(CREATE_INDEX_USAGE, "--column is required");
  if (out->type == NULL) return lp__cli_usage(CREATE_INDEX_USAGE, "--type is required");
  return 0;
}

int lp__cli_create_index(int argc, char **argv) {
  lp_index_options o;
  lp_index_options_init(&o);
  const char *pos[2] = {NULL, NULL};
  int rc = parse(argc, argv, pos, &o);
  if (rc != 0) return rc;
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp_db_open(pos[0], NULL, &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  char name[256];
  uint64_t version = 0;
  if (lp_db_create_index(db, pos[1], &o, NULL, name, sizeof name, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else printf("%s %" PRIu64 "\n", name, version);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
