/* `lancepool delete DB TABLE --where PRED`: delete matching rows; prints "<rows deleted> <version>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"

#define DELETE_USAGE "lancepool delete DB TABLE --where PREDICATE [--no-fsync]"

int lp__cli_delete(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, DELETE_USAGE, W_WHERE, W_WHERE, &a);
  if (rc != 0) return rc;
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp_db_open(a.pos[0], NULL, &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  lp_write_options o;
  lp__wargs_options(&a, &o);
  uint64_t n = 0, version = 0;
  if (lp_db_delete(db, a.pos[1], a.where, &o, &n, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else printf("%" PRIu64 " %" PRIu64 "\n", n, version);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
