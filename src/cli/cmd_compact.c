/* `lancepool compact DB TABLE`: rewrite small fragments into larger ones; prints
 * "<fragments rewritten> <version>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  (void)rows;
  uint64_t n = 0, version = 0;
  LP_TRY(lp_db_compact(db, a->pos[1], o, &version, &n, err));
  snprintf(out, cap, "%" PRIu64 " %" PRIu64, n, version);
  return LP_OK;
}

int lp__cli_compact(int argc, char **argv) { return lp__cli_write_run(argc, argv, COMPACT_USAGE, 0, false, run); }
