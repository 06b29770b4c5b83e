/* `lancepool drop DB TABLE`: remove a table and all its files. */
#include <stdio.h>

#include "cli/write_cli.h"


int lp__cli_drop(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, DROP_USAGE, 0, 0, &a);
  if (rc != 0) return rc;
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp__cli_db_open(a.pos[0], &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  if (lp_db_drop_table(db, a.pos[1], &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  lp_db_close(db);
  return rc;
}
