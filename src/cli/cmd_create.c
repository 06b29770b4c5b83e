/* `lancepool create DB TABLE --schema SPEC [--jsonl FILE] [--overwrite] [--data-storage-version V]`: create a
 * table (prints its version), and the database directory with its parents when they are missing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/write_cli.h"
#include "format/write_schema.h"
#include "io/io.h"

int lp__cli_create(int argc, char **argv) {
  lp__wargs a;
  int rc = lp__wargs_parse(argc, argv, CREATE_USAGE, W_SCHEMA | W_JSONL | W_OVERWRITE | W_STORAGE, W_SCHEMA, &a);
  if (rc != 0) return rc;
  lp_error err = {0};
  lp__schema s;
  if (lp__wschema_parse_spec(a.schema, &s, &err) != LP_OK) return lp__cli_usage(CREATE_USAGE, "%s", err.message);
  struct ArrowSchema as;
  if (lp__wschema_to_arrow(&s, &as, &err) != LP_OK) {
    lp__wschema_reset(&s);
    return lp__cli_fail("%s", err.message);
  }
  struct ArrowArrayStream stream, *data = NULL;
  if (a.jsonl) {
    rc = lp__cli_read_jsonl(a.jsonl, &s, &stream);
    data = &stream;
  }
  lp_db *db = NULL;
  /* Like LanceDB's connect + createTable, creating a table creates the database directory too (a bucket
   * has no directories: nothing to make there). */
  bool in_store = strncmp(a.pos[0], "s3://", 5) == 0;
  if (rc == 0 && !in_store && lp__mkdir_p(a.pos[0], &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  if (rc == 0 && lp__cli_db_open(a.pos[0], &db, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  if (rc == 0) {
    lp_write_options o;
    lp__wargs_options(&a, &o);
    uint64_t version = 0;
    lp_status st = lp_db_create_table(db, a.pos[1], &as, data, a.overwrite, &o, &version, &err);
    data = NULL; /* consumed */
    if (st != LP_OK) rc = lp__cli_fail("%s", err.message);
    else printf("%" PRIu64 "\n", version);
  }
  if (data && data->release) data->release(data);
  lp_db_close(db);
  as.release(&as);
  lp__wschema_reset(&s);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
