/* `lancepool upsert DB TABLE --on KEY --jsonl FILE|-`: replace rows with matching keys, insert the rest;
 * prints "<updated> <inserted> <version>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  uint64_t updated = 0, inserted = 0, version = 0;
  LP_TRY(lp_db_upsert(db, a->pos[1], a->on, rows, o, &updated, &inserted, &version, err));
  snprintf(out, cap, "%" PRIu64 " %" PRIu64 " %" PRIu64, updated, inserted, version);
  return LP_OK;
}

int lp__cli_upsert(int argc, char **argv) { return lp__cli_write_run(argc, argv, UPSERT_USAGE, W_ON | W_JSONL, true, run); }
