/* Shared helpers of the write sub-commands (create, add, delete, upsert, restore, drop, ...). */
#ifndef LP_CLI_WRITE_CLI_H
#define LP_CLI_WRITE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "format/schema.h"

/* A parsed write command line: positional DB TABLE, then "--name value" / "--name=value" / "--flag". */
typedef struct lp__wargs {
  const char *pos[2];
  int n_pos;
  const char *schema, *jsonl, *where, *on, *set;
  const char *update_where, *delete_where; /* merge */
  const char *tag;                         /* --tag NAME instead of --version N (then has_version, version 0) */
  bool update_all, insert_all, delete_not_matched;
  const char *storage_version; /* --data-storage-version (create) */
  uint64_t version, older_than;
  bool has_version, has_older_than, overwrite, no_fsync;
  uint64_t rows_per_file, rows_per_page; /* tuning (--max-rows-per-file/--max-rows-per-page); 0 = default */
} lp__wargs;

enum { W_SCHEMA = 1, W_JSONL = 2, W_WHERE = 4, W_ON = 8, W_VERSION = 16, W_OLDER = 32, W_OVERWRITE = 64,
       W_STORAGE = 128, W_SET = 256, W_MERGE = 512 /* --update-all, --update-where, --insert-all, --delete-not-matched, --delete-where */ };

/* Parse; returns 0 or the exit status after printing the usage error. --no-fsync, --max-rows-per-file N
 * and --max-rows-per-page N are always accepted. */
int lp__wargs_parse(int argc, char **argv, const char *usage, unsigned allowed, unsigned required, lp__wargs *out);

/* Read JSON Lines from path ("-" = stdin) and build an Arrow stream of the schema's rows. On a bad line
 * prints the error (with the line number) and returns 1. */
int lp__cli_read_jsonl(const char *path, const lp__schema *schema, struct ArrowArrayStream *out);

/* The latest schema of a table (caller resets with lp__wschema_reset). Prints the error and returns 1. */
int lp__cli_table_schema(const char *db_dir, const char *name, lp__schema *out);

/* Write options from the parsed flags. */
void lp__wargs_options(const lp__wargs *a, lp_write_options *o);

/* One write command once its table is at hand: call the engine with the parsed arguments (and `rows`,
 * consumed, when the command reads --jsonl) and put its one-line result into out. */
typedef lp_status (*lp__wcmd_fn)(lp_db *db, const lp__wargs *a, const lp_write_options *o,
                                 struct ArrowArrayStream *rows, char *out, size_t out_cap, lp_error *err);

/* The common shape of add/upsert/delete/restore/compact: parse (the `flags` options are allowed and
 * required), read and check the --jsonl rows against the table's schema when with_rows, open the database,
 * run fn, print its line. Returns the exit status. */
int lp__cli_write_run(int argc, char **argv, const char *usage, unsigned flags, bool with_rows, lp__wcmd_fn fn);
/* The same where only the `required` options of the `allowed` ones must be given. */
int lp__cli_write_run_some(int argc, char **argv, const char *usage, unsigned allowed, unsigned required,
                           bool with_rows, lp__wcmd_fn fn);

int lp__cli_create(int argc, char **argv);
int lp__cli_add(int argc, char **argv);
int lp__cli_delete(int argc, char **argv);
int lp__cli_upsert(int argc, char **argv);
int lp__cli_update(int argc, char **argv);
int lp__cli_merge(int argc, char **argv);
int lp__cli_tag(int argc, char **argv);
int lp__cli_alter(int argc, char **argv);
int lp__cli_compact(int argc, char **argv);
int lp__cli_restore(int argc, char **argv);
int lp__cli_cleanup(int argc, char **argv);
int lp__cli_drop(int argc, char **argv);

#endif
