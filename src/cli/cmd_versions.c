/* `lancepool versions DB TABLE`: one line per version still on disk: number, TAB, commit time in
 * microseconds since the Unix epoch. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"


int lp__cli_versions(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, VERSIONS_USAGE, 2, 0, &a);
  if (rc != 0) return rc;
  lp_db *db;
  lp_table *t;
  if ((rc = lp__cli_open_table(a.pos[0], a.pos[1], LP_VERSION_LATEST, NULL, &db, &t)) != 0) return rc;
  lp_error err = {0};
  lp_version_info *v = NULL;
  size_t n = 0;
  if (lp_table_versions(t, &v, &n, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  for (size_t i = 0; i < n; i++) printf("%" PRIu64 "\t%" PRId64 "\n", v[i].version, v[i].timestamp_us);
  free(v);
  lp_table_close(t);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
