/* `lancepool upsert DB TABLE --on KEY --jsonl FILE|-`: replace rows with matching keys, insert the rest;
 * prints "<updated> <inserted> <version>". */
#include <inttypes.h>
#include <stdio.h>

#include "cli/write_cli.h"
#include "lance/write_schema.h"

#define UPSERT_USAGE "lancepool upsert DB TABLE --on KEY --jsonl FILE|- [--no-fsync]"

int lp__cli_upsert(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, UPSERT_USAGE, W_ON | W_JSONL, W_ON | W_JSONL, &a);
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
    lp__wargs_options(&a, &o);
    uint64_t updated = 0, inserted = 0, version = 0;
    if (lp_db_upsert(db, a.pos[1], a.on, &stream, &o, &updated, &inserted, &version, &err) != LP_OK)
      rc = lp__cli_fail("%s", err.message);
    else
      printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", updated, inserted, version);
  }
  lp_db_close(db);
  lp__wschema_reset(&s);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
