/* The lancepool command line: one function per sub-command, each in its own file.
 * Contract: errors go to stderr as one line starting with "lancepool: " and return 1; usage errors 2. */
#ifndef LP_CLI_H
#define LP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/usage.h"
#include "lancepool/error.h"
#include "lancepool/lance.h"

#define LP_CLI_EXIT_ERROR 1
#define LP_CLI_EXIT_USAGE 2

typedef int (*lp_cli_fn)(int argc, char **argv);

/* Print "lancepool: <message>" to stderr; returns LP_CLI_EXIT_ERROR. */
int lp__cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "lancepool: <message>" plus the command's usage line; returns LP_CLI_EXIT_USAGE. */
int lp__cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options a command accepts (a bit set for lp__cli_parse). */
enum { LP_CLI_OPT_VERSION = 1, LP_CLI_OPT_COLUMNS = 2, LP_CLI_OPT_LIMIT = 4, LP_CLI_OPT_OFFSET = 8 };
/* Search options (search engineer): --where for dump/count/search; the rest for search only.
 * --postfilter is a flag and takes no value. */
enum {
  LP_CLI_OPT_WHERE = 16,
  LP_CLI_OPT_VECTOR = 32,
  LP_CLI_OPT_COLUMN = 64,
  LP_CLI_OPT_K = 128,
  LP_CLI_OPT_METRIC = 256,
  LP_CLI_OPT_POSTFILTER = 512,
  LP_CLI_OPT_NPROBES = 1024,       /* LanceDB's vector index (search): --nprobes N, --refine-factor R, */
  LP_CLI_OPT_REFINE = 2048,        /* and the flags --bypass-index and --fast-search */
  LP_CLI_OPT_BYPASS_INDEX = 4096,
  LP_CLI_OPT_FAST_SEARCH = 8192,
  /* full-text and hybrid search; --phrase is a flag */
  LP_CLI_OPT_TEXT = 16384,
  LP_CLI_OPT_TEXT_COLUMN = 32768,
  LP_CLI_OPT_OPERATOR = 65536,
  LP_CLI_OPT_PHRASE = 131072,
  LP_CLI_OPT_FUZZINESS = 262144,
  LP_CLI_OPT_RERANK = 524288,
  LP_CLI_OPT_ALPHA = 1048576,
  LP_CLI_OPT_WITH_ROW_ID = 2097152, /* dump and vector search: the flag --with-row-id (LanceDB's withRowId()) */
};

/* A parsed command line: positional arguments, then the options given. */
typedef struct lp__cli_args {
  const char *pos[4];    /* borrowed from argv */
  int n_pos;
  uint64_t version;      /* LP_VERSION_LATEST unless --version */
  const char *tag;       /* --tag NAME (instead of --version), or NULL */
  char *columns_text;    /* owned copy of --columns, split in place */
  const char **columns;  /* owned array pointing into columns_text; NULL = all */
  size_t n_columns;
  uint64_t limit;        /* UINT64_MAX unless --limit */
  uint64_t offset;       /* 0 unless --offset */
  /* search options (borrowed from argv) */
  const char *where;     /* --where, or NULL */
  const char *vector;    /* --vector text, or NULL */
  const char *column;    /* --column, or NULL */
  const char *k;         /* --k text, or NULL */
  const char *metric;    /* --metric, or NULL */
  bool postfilter;       /* --postfilter given */
  const char *nprobes;   /* --nprobes text, or NULL */
  const char *refine;    /* --refine-factor text, or NULL */
  bool bypass_index;     /* --bypass-index given */
  bool fast_search;      /* --fast-search given */
  const char *text;      /* --text, or NULL */
  const char *text_column; /* --text-column, or NULL */
  const char *op;        /* --operator, or NULL */
  bool phrase;           /* --phrase given */
  const char *fuzziness; /* --fuzziness text, or NULL */
  const char *rerank;    /* --rerank, or NULL */
  const char *alpha;     /* --alpha text, or NULL */
  bool with_row_id;      /* --with-row-id given */
} lp__cli_args;

/* Parse argv (argv[0] is the command name): exactly n_pos positional arguments and the options in
 * `allowed`, as "--name value" or "--name=value". Returns 0, or the exit status after printing the
 * error (usage errors 2). Free with lp__cli_args_reset(). */
int lp__cli_parse(int argc, char **argv, const char *usage, int n_pos, unsigned allowed, lp__cli_args *out);
void lp__cli_args_reset(lp__cli_args *a);

/* Open database dir and table name at version (or at the version tag names, when tag is not NULL); on
 * failure print the error and return 1 (closing what
 * was opened). */
int lp__cli_open_table(const char *dir, const char *name, uint64_t version, const char *tag, lp_db **out_db,
                       lp_table **out_table);

/* Storage options (storage_opts.c): take every `--storage-option KEY=VALUE` out of argv (argc updated);
 * 0, or the exit status after a usage error. lp__cli_db_open opens a database with them; the store and the
 * benchmark get them from lp__cli_storage_options. */
int lp__cli_take_storage_options(int *argc, char **argv);
const lp_storage_option *lp__cli_storage_options(size_t *out_n);
lp_status lp__cli_db_open(const char *dir, lp_db **out, lp_error *err);
void lp__cli_storage_options_free(void);

int lp__cli_version(int argc, char **argv);
int lp__cli_bench(int argc, char **argv);
int lp__cli_tables(int argc, char **argv);
int lp__cli_schema(int argc, char **argv);
int lp__cli_count(int argc, char **argv);
int lp__cli_versions(int argc, char **argv);
int lp__cli_indices(int argc, char **argv);
int lp__cli_dump(int argc, char **argv);
int lp__cli_search(int argc, char **argv);
int lp__cli_create_index(int argc, char **argv);

#endif
