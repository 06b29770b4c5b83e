/* `lancepool tables DB`: the table names, one per line, sorted bytewise. */
#include <stdio.h>

#include "cli/cli.h"


int lp__cli_tables(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, TABLES_USAGE, 1, 0, &a);
  if (rc != 0) return rc;
  lp_error err = {0};
  lp_db *db = NULL;
  char **names = NULL;
  size_t n = 0;
  if (lp__cli_db_open(a.pos[0], &db, &err) != LP_OK || lp_db_table_names(db, &names, &n, &err) != LP_OK) {
    lp_db_close(db);
    return lp__cli_fail("%s", err.message);
  }
  for (size_t i = 0; i < n; i++) puts(names[i]);
  lp_strings_free(names, n);
  lp_db_close(db);
  if (fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return 0;
}
