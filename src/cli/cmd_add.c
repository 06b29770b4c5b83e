/* `lancepool add DB TABLE --jsonl FILE|-`: append JSON Lines rows as one new version (prints it). Nothing
 * is committed when any row does not fit the schema. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"
#include "lance/write_schema.h"

#define ADD_USAGE "lancepool add DB TABLE --jsonl FILE|- [--no-fsync]"

int lp__cli_add(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, ADD_USAGE, W_JSONL, W_JSONL, &a);
  if (rc != 0) return rc;
  lp__schema s;
  if ((rc = lp__cli_table_schema(a.pos[0], a.pos[1], &s)) != 0) return rc;
  struct ArrowArrayStream stream;
  rc = lp__cli_read_jsonl(a.jsonl, &s, &stream);
  lp_db *db = NULL;
  lp_error err = {0};
  if (rc == 0 && lp_db_open(a.pos[0], NULL, &db, &err) != LP_OK) {
    stream.release(&stream);
    rc = lp__cli_fail("%s", err.message);
  }
  if (rc == 0) {
    lp_write_options o;
    lp_write_options_init(&o);
    o.durable = !a.no_fsync;
    uint64_t version = 0;
    if (lp_db_add(db, a.pos[1], &stream, &o, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
    else printf("%" PRIu64 "\n", version);
  }
  lp_db_close(db);
  lp__wschema_reset(&s);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
