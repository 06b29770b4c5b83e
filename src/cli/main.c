/* lancepool command line: dispatches to one sub-command per file (see cli.h for the exit-code contract). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/write_cli.h"

typedef struct {
  const char *name;
  lp_cli_fn run;
  const char *usage; /* cli/usage.h */
  const char *summary;
} command;

static const command commands[] = {
    {"version", lp__cli_version, VERSION_USAGE, "print the lancepool version"},
    {"bench", lp__cli_bench, BENCH_USAGE, "benchmark the store: per-op vs persistent vs pooled, and official LanceDB"},
    {"tables", lp__cli_tables, TABLES_USAGE, "list the tables, one per line"},
    {"schema", lp__cli_schema, SCHEMA_USAGE, "one line per column: name, type, nullability"},
    {"count", lp__cli_count, COUNT_USAGE, "number of live rows"},
    {"versions", lp__cli_versions, VERSIONS_USAGE, "one line per version: number, commit time (us)"},
    {"indices", lp__cli_indices, INDICES_USAGE, "LanceDB's indexes: name, type, columns, indexed and unindexed rows"},
    {"search", lp__cli_search, SEARCH_USAGE, "nearest rows to a vector, BM25 text search or both fused, as JSON Lines"},
    {"create", lp__cli_create, CREATE_USAGE, "create a table"},
    {"create-index", lp__cli_create_index, CREATE_INDEX_USAGE, "build an index (fts), print its name and the new version"},
    {"add", lp__cli_add, ADD_USAGE, "append rows, print the new version"},
    {"delete", lp__cli_delete, DELETE_USAGE, "delete rows, print count and new version"},
    {"upsert", lp__cli_upsert, UPSERT_USAGE, "replace matching rows, insert the rest"},
    {"merge", lp__cli_merge, MERGE_USAGE, "merge rows by key: update matched, insert new, delete unmatched"},
    {"update", lp__cli_update, UPDATE_USAGE, "set columns to computed values in matching rows"},
    {"compact", lp__cli_compact, COMPACT_USAGE, "rewrite small fragments into larger ones"},
    {"cleanup", lp__cli_cleanup, CLEANUP_USAGE, "remove old versions and unused files"},
    {"restore", lp__cli_restore, RESTORE_USAGE, "make an old version the latest again"},
    {"alter", lp__cli_alter, ALTER_USAGE, "rename, make nullable or drop columns; print the new version"},
    {"tag", lp__cli_tag, TAG_USAGE, "create, delete or list LanceDB's tags (named versions)"},
    {"drop", lp__cli_drop, DROP_USAGE, "remove a table"},
    {"dump", lp__cli_dump, DUMP_USAGE, "the rows as JSON Lines"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

int lp__cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("lancepool: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return LP_CLI_EXIT_ERROR;
}

int lp__cli_usage(const char *usage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("lancepool: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fprintf(stderr, "usage: %s\n", usage);
  return LP_CLI_EXIT_USAGE;
}

int lp__cli_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  puts("lancepool " LP_VERSION_STRING);
  return 0;
}

static void print_help(FILE *out) {
  fputs("usage: lancepool COMMAND [ARGS...]\n"
        "       lancepool help COMMAND | lancepool COMMAND --help   that command's usage\n"
        "       lancepool --version | -V\n"
        "every command that takes a DB also takes --storage-option KEY=VALUE (repeatable) for an s3:// DB\n"
        "\ncommands:\n",
        out);
  for (size_t i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

static const command *find_command(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(name, commands[i].name) == 0) return &commands[i];
  return NULL;
}

static int print_command_help(const command *c) {
  printf("usage: %s\n%s\n", c->usage, c->summary);
  return 0;
}

static bool is_help_flag(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

static int unknown_command(const char *name) {
  fprintf(stderr, "lancepool: unknown command '%s'\n", name);
  print_help(stderr);
  return LP_CLI_EXIT_USAGE;
}

/* `lancepool help [COMMAND]`. */
static int run_help(int argc, char **argv) {
  if (argc == 0) {
    print_help(stdout);
    return 0;
  }
  const command *c = find_command(argv[0]);
  if (c == NULL) return unknown_command(argv[0]);
  if (argc > 1) return lp__cli_usage("lancepool help [COMMAND]", "unexpected argument '%s'", argv[1]);
  return print_command_help(c);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("lancepool: missing command\n", stderr);
    print_help(stderr);
    return LP_CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (is_help_flag(name)) return run_help(argc - 2, argv + 2);
  if (strcmp(name, "help") == 0) return run_help(argc - 2, argv + 2);
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) return lp__cli_version(argc - 1, argv + 1);
  const command *c = find_command(name);
  if (c == NULL) return unknown_command(name);
  /* `CMD --help` (or -h) among the arguments: no option of ours takes "--help" or "-h" as its value. */
  for (int i = 2; i < argc; i++)
    if (is_help_flag(argv[i])) return print_command_help(c);
  int n = argc - 1;
  int rc = lp__cli_take_storage_options(&n, argv + 1);
  if (rc == 0) rc = c->run(n, argv + 1);
  lp__cli_storage_options_free();
  return rc;
}
