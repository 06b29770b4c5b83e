/* `lancepool indices DB TABLE [--version N]`: LanceDB's indexes on the table, one line each:
 * name TAB type TAB columns TAB indexed_rows TAB unindexed_rows (the figures of LanceDB's listIndices and
 * indexStats), sorted by name. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

int lp__cli_indices(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, INDICES_USAGE, 2, LP_CLI_OPT_VERSION, &a);
  if (rc != 0) return rc;
  lp_db *db;
  lp_table *t;
  if ((rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, a.tag, &db, &t)) != 0) return rc;
  lp_error err = {0};
  lp_index_info *v = NULL;
  size_t n = 0;
  if (lp_table_indices(t, &v, &n, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  for (size_t i = 0; i < n; i++)
    printf("%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\n", v[i].name, v[i].type, v[i].columns, v[i].indexed_rows,
           v[i].unindexed_rows);
  lp_index_info_free(v, n);
  lp_table_close(t);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
