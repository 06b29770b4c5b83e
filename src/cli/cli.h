/* The lancepool command line: one function per sub-command, each in its own file.
 * Contract: errors go to stderr as one line starting with "lancepool: " and return 1; usage errors 2. */
#ifndef LP_CLI_H
#define LP_CLI_H

#include "lancepool/error.h"

#define LP_CLI_EXIT_ERROR 1
#define LP_CLI_EXIT_USAGE 2

typedef int (*lp_cli_fn)(int argc, char **argv);

/* Print "lancepool: <message>" to stderr; returns LP_CLI_EXIT_ERROR. */
int lp__cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "lancepool: <message>" plus the command's usage line; returns LP_CLI_EXIT_USAGE. */
int lp__cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int lp__cli_version(int argc, char **argv);

#endif
