/* `lancepool dump DB TABLE [--version N] [--columns a,b] [--limit N] [--offset N] [--where PRED]
 * [--with-row-id]`: the live rows as JSON Lines in natural order (json_out.h gives the value mapping),
 * with LanceDB's `_rowid` last when asked. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/json_out.h"

#define DUMP_BUFFER_BYTES (1u << 20)

/* Drain the stream into out. Returns 0 or the exit status after printing the error. */
static int dump_stream(struct ArrowArrayStream *stream, lp__json_out *out) {
  lp_error err = {0};
  struct ArrowSchema schema = {0};
  lp__json_plan *plan = NULL;
  int rc = 0;
  if (stream->get_schema(stream, &schema) != 0) return lp__cli_fail("%s", stream->get_last_error(stream));
  if (lp__json_plan_create(&schema, &plan, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  while (rc == 0) {
    struct ArrowArray batch = {0};
    if (stream->get_next(stream, &batch) != 0) {
      const char *msg = stream->get_last_error(stream);
      rc = lp__cli_fail("%s", msg ? msg : "scan failed");
      break;
    }
    if (batch.release == NULL) break; /* end of stream */
    if (lp__json_write_rows(out, plan, &batch, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
    batch.release(&batch);
  }
  lp__json_plan_free(plan);
  schema.release(&schema);
  return rc;
}

int lp__cli_dump(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, DUMP_USAGE, 2,
                         LP_CLI_OPT_VERSION | LP_CLI_OPT_COLUMNS | LP_CLI_OPT_LIMIT | LP_CLI_OPT_OFFSET | LP_CLI_OPT_WHERE |
                             LP_CLI_OPT_WITH_ROW_ID,
                         &a);
  if (rc != 0) {
    lp__cli_args_reset(&a);
    return rc;
  }
  lp_db *db;
  lp_table *t;
  if ((rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, a.tag, &db, &t)) != 0) {
    lp__cli_args_reset(&a);
    return rc;
  }
  lp_error err = {0};
  lp_scan_options opts;
  lp_scan_options_init(&opts);
  opts.columns = a.columns;
  opts.n_columns = a.n_columns;
  opts.offset = a.offset;
  opts.limit = a.limit;
  opts.with_row_id = a.with_row_id;
  struct ArrowArrayStream stream = {0};
  lp__json_out out = {0};
  if (lp__json_out_init(&out, stdout, DUMP_BUFFER_BYTES, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else if (lp_table_scan_where(t, &opts, a.where, &stream, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else rc = dump_stream(&stream, &out);
  if (stream.release) stream.release(&stream);
  if (out.buf != NULL && lp__json_out_flush(&out, &err) != LP_OK && rc == 0) rc = lp__cli_fail("%s", err.message);
  lp__json_out_reset(&out);
  lp_table_close(t);
  lp_db_close(db);
  lp__cli_args_reset(&a);
  return rc;
}
