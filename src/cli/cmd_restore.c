/* `lancepool restore DB TABLE --version N`: commit version N's content as the new latest (prints it). */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"

#define RESTORE_USAGE "lancepool restore DB TABLE --version N [--no-fsync]"

int lp__cli_restore(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, RESTORE_USAGE, W_VERSION, W_VERSION, &a);
  if (rc != 0) return rc;
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp_db_open(a.pos[0], NULL, &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  lp_write_options o;
  lp_write_options_init(&o);
  o.durable = !a.no_fsync;
  uint64_t version = 0;
  if (lp_db_restore(db, a.pos[1], a.version, &o, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else printf("%" PRIu64 "\n", version);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
