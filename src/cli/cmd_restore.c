/* `lancepool restore DB TABLE --version N`: commit version N's content as the new latest (prints it). */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"


static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  (void)rows;
  uint64_t version = 0, from = a->version;
  if (a->tag) LP_TRY(lp_db_tag_version(db, a->pos[1], a->tag, &from, err));
  LP_TRY(lp_db_restore(db, a->pos[1], from, o, &version, err));
  snprintf(out, cap, "%" PRIu64, version);
  return LP_OK;
}

int lp__cli_restore(int argc, char **argv) { return lp__cli_write_run(argc, argv, RESTORE_USAGE, W_VERSION, false, run); }
