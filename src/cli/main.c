/* lancepool command line: dispatches to one sub-command per file (see cli.h for the exit-code contract). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/write_cli.h"

typedef struct {
  const char *name;
  lp_cli_fn run;
  const char *summary;
} command;

static const command commands[] = {
    {"version", lp__cli_version, "print the lancepool version"},
    {"bench", lp__cli_bench, "benchmark the store: per-op vs persistent vs pooled, and official LanceDB"},
    {"tables", lp__cli_tables, "DB: list the tables, one per line"},
    {"schema", lp__cli_schema, "DB TABLE [--version N]: one line per column: name, type, nullability"},
    {"count", lp__cli_count, "DB TABLE [--version N]: number of live rows"},
    {"versions", lp__cli_versions, "DB TABLE: one line per version: number, commit time (us)"},
    {"search", lp__cli_search,
     "DB TABLE --vector '[..]' [--column C] [--k 10] [--metric l2|cosine|dot] [--where P] [--postfilter]"
     " [--columns a,b] [--version N]: nearest rows as JSON Lines"},
    {"create", lp__cli_create, "DB TABLE --schema SPEC [--jsonl FILE] [--overwrite] [--data-storage-version 2.0|2.1]: create a table"},
    {"add", lp__cli_add, "DB TABLE --jsonl FILE|-: append rows, print the new version"},
    {"delete", lp__cli_delete, "DB TABLE --where PRED: delete rows, print count and new version"},
    {"upsert", lp__cli_upsert, "DB TABLE --on KEY --jsonl FILE|-: replace matching rows, insert the rest"},
    {"compact", lp__cli_compact, "DB TABLE: rewrite small fragments into larger ones"},
    {"cleanup", lp__cli_cleanup, "DB TABLE --older-than SECONDS: remove old versions and unused files"},
    {"restore", lp__cli_restore, "DB TABLE --version N: make version N the latest again"},
    {"drop", lp__cli_drop, "DB TABLE: remove a table"},
    {"dump", lp__cli_dump, "DB TABLE [--version N] [--columns a,b] [--limit N] [--offset N]: JSON Lines"},
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
  puts("lancepool 0.1.0");
  return 0;
}

static void print_help(FILE *out) {
  fputs("usage: lancepool COMMAND [ARGS...]\n\ncommands:\n", out);
  for (size_t i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("lancepool: missing command\n", stderr);
    print_help(stderr);
    return LP_CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return 0;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "lancepool: unknown command '%s'\n", argv[1]);
  print_help(stderr);
  return LP_CLI_EXIT_USAGE;
}
