/* `lancepool merge DB TABLE --on KEY[,KEY...] --jsonl FILE|- [--update-all [--update-where PRED]]
 * [--insert-all] [--delete-not-matched [--delete-where PRED]]`: LanceDB's mergeInsert; prints
 * "<updated> <inserted> <deleted> <version>". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/write_cli.h"

#define MAX_KEYS 16

static lp_status run(lp_db *db, const lp__wargs *a, const lp_write_options *o, struct ArrowArrayStream *rows,
                     char *out, size_t cap, lp_error *err) {
  char *keys = strdup(a->on);
  if (keys == NULL) {
    if (rows->release) rows->release(rows);
    return lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  const char *on[MAX_KEYS + 1];
  size_t n_on = 0;
  for (char *save = NULL, *k = strtok_r(keys, ",", &save); k != NULL && n_on <= MAX_KEYS; k = strtok_r(NULL, ",", &save))
    on[n_on++] = k;
  lp_merge_options m = {on, n_on, a->update_all, a->update_where, a->insert_all, a->delete_not_matched, a->delete_where};
  uint64_t u = 0, i = 0, d = 0, version = 0;
  lp_status rc = lp_db_merge(db, a->pos[1], &m, rows, o, &u, &i, &d, &version, err);
  free(keys);
  if (rc == LP_OK) snprintf(out, cap, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, u, i, d, version);
  return rc;
}

int lp__cli_merge(int argc, char **argv) {
  lp__wargs a;
  int st = lp__wargs_parse(argc, argv, MERGE_USAGE, W_ON | W_JSONL | W_MERGE, W_ON | W_JSONL, &a);
  if (st != 0) return st;
  if (!a.update_all && !a.insert_all && !a.delete_not_matched)
    return lp__cli_usage(MERGE_USAGE, "give at least one of --update-all, --insert-all, --delete-not-matched");
  if (a.update_where && !a.update_all) return lp__cli_usage(MERGE_USAGE, "--update-where needs --update-all");
  if (a.delete_where && !a.delete_not_matched) return lp__cli_usage(MERGE_USAGE, "--delete-where needs --delete-not-matched");
  return lp__cli_write_run_some(argc, argv, MERGE_USAGE, W_ON | W_JSONL | W_MERGE, W_ON | W_JSONL, true, run);
}
