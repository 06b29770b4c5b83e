/* `lancepool cleanup DB TABLE --older-than SECONDS`: remove old versions and the files only they used;
 * prints "<versions removed> <files removed>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


int lp__cli_cleanup(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, CLEANUP_USAGE, W_OLDER, W_OLDER, &a);
  if (rc != 0) return rc;
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp__cli_db_open(a.pos[0], &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  uint64_t nv = 0, nf = 0;
  if (lp_db_cleanup(db, a.pos[1], a.older_than, &nv, &nf, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else printf("%" PRIu64 " %" PRIu64 "\n", nv, nf);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
