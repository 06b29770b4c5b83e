/* `lancepool tag DB TABLE create NAME --version N | delete NAME | list`: LanceDB's tags (named versions).
 * create and delete print nothing; list prints "name<TAB>version" lines in name order. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/write_cli.h"

static int run(lp_db *db, const char *table, const char *action, const char *tag, uint64_t version) {
  lp_error err = {0};
  lp_status rc = LP_OK;
  if (strcmp(action, "create") == 0) {
    rc = lp_db_tag_create(db, table, tag, version, &err);
  } else if (strcmp(action, "delete") == 0) {
    rc = lp_db_tag_delete(db, table, tag, &err);
  } else {
    lp_tag *tags = NULL;
    size_t n = 0;
    rc = lp_db_tags(db, table, &tags, &n, &err);
    for (size_t i = 0; rc == LP_OK && i < n; i++) printf("%s\t%" PRIu64 "\n", tags[i].name, tags[i].version);
    lp_tags_free(tags, n);
  }
  if (rc != LP_OK) return lp__cli_fail("%s", err.message);
  return fflush(stdout) == 0 ? 0 : lp__cli_fail("writing output failed");
}

int lp__cli_tag(int argc, char **argv) {
  const char *pos[4] = {NULL};
  int n_pos = 0;
  uint64_t version = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--version") == 0 || strncmp(a, "--version=", 10) == 0) {
      const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
      char *end = NULL;
      if (v == NULL || v[0] < '0' || v[0] > '9' || (version = strtoull(v, &end, 10)) == 0 || *end != '\0')
        return lp__cli_usage(TAG_USAGE, "--version: expected a positive integer");
    } else if (strncmp(a, "--", 2) == 0) {
      return lp__cli_usage(TAG_USAGE, "unknown option '%s'", a);
    } else if (n_pos == 4) {
      return lp__cli_usage(TAG_USAGE, "unexpected argument '%s'", a);
    } else {
      pos[n_pos++] = a;
    }
  }
  if (n_pos < 3) return lp__cli_usage(TAG_USAGE, "expected DB TABLE and create, delete or list");
  const char *action = pos[2];
  bool named = strcmp(action, "create") == 0 || strcmp(action, "delete") == 0;
  if (!named && strcmp(action, "list") != 0) return lp__cli_usage(TAG_USAGE, "unknown action '%s'", action);
  if (named != (n_pos == 4)) return lp__cli_usage(TAG_USAGE, named ? "expected the tag's NAME" : "list takes no NAME");
  if ((strcmp(action, "create") == 0) != (version != 0))
    return lp__cli_usage(TAG_USAGE, version ? "--version goes with create only" : "create needs --version N");
  lp_db *db = NULL;
  lp_error err = {0};
  if (lp_db_open(pos[0], NULL, &db, &err) != LP_OK) return lp__cli_fail("%s", err.message);
  int rc = run(db, pos[1], action, pos[3], version);
  lp_db_close(db);
  return rc;
}
