/* `lancepool delete DB TABLE --where PRED`: delete matching rows; prints "<rows deleted> <version>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  (void)rows;
  uint64_t n = 0, version = 0;
  LP_TRY(lp_db_delete(db, a->pos[1], a->where, o, &n, &version, err));
  snprintf(out, cap, "%" PRIu64 " %" PRIu64, n, version);
  return LP_OK;
}

int lp__cli_delete(int argc, char **argv) { return lp__cli_write_run(argc, argv, DELETE_USAGE, W_WHERE, false, run); }
