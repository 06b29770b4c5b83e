/* `lancepool add DB TABLE --jsonl FILE|-`: append JSON Lines rows as one new version (prints it). Nothing
 * is committed when any row does not fit the schema. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  uint64_t version = 0;
  LP_TRY(lp_db_add(db, a->pos[1], rows, o, &version, err));
  snprintf(out, cap, "%" PRIu64, version);
  return LP_OK;
}

int lp__cli_add(int argc, char **argv) { return lp__cli_write_run(argc, argv, ADD_USAGE, W_JSONL, true, run); }
