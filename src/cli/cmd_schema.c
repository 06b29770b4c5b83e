/* `lancepool schema DB TABLE [--version N]`: one line per top-level column:
 * name, TAB, type text (json_out.h, lp__type_text), TAB, "nullable" or "not null". */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/json_out.h"


static int print_schema(const struct ArrowSchema *s) {
  lp_error err = {0};
  for (int64_t i = 0; i < s->n_children; i++) {
    const struct ArrowSchema *f = s->children[i];
    char *type = NULL;
    if (lp__type_text(f, &type, &err) != LP_OK) return lp__cli_fail("column '%s': %s", f->name, err.message);
    printf("%s\t%s\t%s\n", f->name, type, (f->flags & ARROW_FLAG_NULLABLE) ? "nullable" : "not null");
    free(type);
  }
  return 0;
}

int lp__cli_schema(int argc, char **argv) {
  lp__cli_args a;
  int rc = lp__cli_parse(argc, argv, SCHEMA_USAGE, 2, LP_CLI_OPT_VERSION, &a);
  if (rc != 0) return rc;
  lp_db *db;
  lp_table *t;
  if ((rc = lp__cli_open_table(a.pos[0], a.pos[1], a.version, a.tag, &db, &t)) != 0) return rc;
  lp_error err = {0};
  struct ArrowSchema schema = {0};
  if (lp_table_schema(t, &schema, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  else rc = print_schema(&schema);
  if (schema.release) schema.release(&schema);
  lp_table_close(t);
  lp_db_close(db);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
