/* `lancepool count DB TABLE [--version N]`: the number of live rows. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"


int lp__cli_count(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, COUNT_USAGE, 2, LP_CLI_OPT_VERSION | LP_CLI_OPT_WHERE, &a);
  if (rc != 0) return rc;
  lp_db *db;
  lp_table *t;
  if ((rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, a.tag, &db, &t)) != 0) return rc;
  lp_error err = {0};
  uint64_t n = 0;
  if (lp_table_count_where(t, a.where, &n, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else printf("%" PRIu64 "\n", n);
  lp_table_close(t);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
