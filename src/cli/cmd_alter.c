/* `lancepool alter DB TABLE [--rename OLD=NEW]... [--nullable COL]... [--drop COL]... [--no-fsync]`:
 * LanceDB's alterColumns (rename, nullable) and dropColumns in one commit; prints the new version. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/write_cli.h"

#define MAX_CHANGES 256

typedef struct alter_args {
  const char *pos[2];
  int n_pos;
  char *from[MAX_CHANGES], *to[MAX_CHANGES];
  const char *nullable[MAX_CHANGES], *drop[MAX_CHANGES];
  size_t n_rename, n_nullable, n_drop;
  bool no_fsync;
} alter_args;

static void args_free(alter_args *a) {
  for (size_t i = 0; i < a->n_rename; i++) free(a->from[i]);
}

/* One option with its value (--name VALUE or --name=VALUE). */
static int take(alter_args *a, const char *name, const char *val) {
  if (val == NULL) return lp__cli_usage(ALTER_USAGE, "--%s needs a value", name);
  if (a->n_rename == MAX_CHANGES || a->n_nullable == MAX_CHANGES || a->n_drop == MAX_CHANGES)
    return lp__cli_usage(ALTER_USAGE, "more than %d changes of one kind", MAX_CHANGES);
  if (strcmp(name, "rename") == 0) {
    const char *eq = strchr(val, '=');
    if (eq == NULL || eq == val || eq[1] == '\0') return lp__cli_usage(ALTER_USAGE, "--rename: expected OLD=NEW, found '%s'", val);
    a->from[a->n_rename] = strndup(val, (size_t)(eq - val));
    if (a->from[a->n_rename] == NULL) return lp__cli_fail("out of memory");
    a->to[a->n_rename++] = (char *)eq + 1;
  } else if (strcmp(name, "nullable") == 0) {
    a->nullable[a->n_nullable++] = val;
  } else if (strcmp(name, "drop") == 0) {
    a->drop[a->n_drop++] = val;
  } else if (strcmp(name, "add") == 0) {
    return lp__cli_usage(ALTER_USAGE, "--add is not implemented yet");
  } else {
    return lp__cli_usage(ALTER_USAGE, "unknown option '--%s'", name);
  }
  return 0;
}

static int parse(int argc, char **argv, alter_args *a) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0) {
      if (a->n_pos == 2) return lp__cli_usage(ALTER_USAGE, "unexpected argument '%s'", arg);
      a->pos[a->n_pos++] = arg;
      continue;
    }
    if (strcmp(arg, "--no-fsync") == 0) {
      a->no_fsync = true;
      continue;
    }
    char name[32];
    const char *eq = strchr(arg, '=');
    size_t nl = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (nl >= sizeof name) return lp__cli_usage(ALTER_USAGE, "unknown option '%s'", arg);
    memcpy(name, arg + 2, nl);
    name[nl] = '\0';
    int rc = take(a, name, eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL));
    if (rc != 0) return rc;
  }
  if (a->n_pos != 2) return lp__cli_usage(ALTER_USAGE, "expected DB and TABLE");
  if (a->n_rename + a->n_nullable + a->n_drop == 0) return lp__cli_usage(ALTER_USAGE, "nothing to change");
  return 0;
}

int lp__cli_alter(int argc, char **argv) {
  alter_args a;
  memset(&a, 0, sizeof a);
  int rc = parse(argc, argv, &a);
  lp_db *db = NULL;
  lp_error err = {0};
  if (rc == 0 && lp_db_open(a.pos[0], NULL, &db, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
  if (rc == 0) {
    lp_write_options o;
    lp_write_options_init(&o);
    o.durable = !a.no_fsync;
    lp_alter_options opt = {(const char *const *)a.from, (const char *const *)a.to, a.n_rename, a.nullable,
                            a.n_nullable, a.drop, a.n_drop};
    uint64_t version = 0;
    if (lp_db_alter(db, a.pos[1], &opt, &o, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
    else printf("%" PRIu64 "\n", version);
  }
  lp_db_close(db);
  args_free(&a);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
