/* `lancepool alter DB TABLE [--rename OLD=NEW]... [--nullable COL]... [--drop COL]... [--no-fsync]`:
 * LanceDB's alterColumns (rename, nullable) and dropColumns in one commit; or
 * `lancepool alter DB TABLE --add 'NAME = EXPR'...`: LanceDB's addColumns with SQL values. Prints the new
 * version. */
#include <ctype.h>
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
  char *add_name[MAX_CHANGES];
  const char *add_value[MAX_CHANGES];
  size_t n_add;
  const char *nullable[MAX_CHANGES], *drop[MAX_CHANGES];
  size_t n_rename, n_nullable, n_drop;
  bool no_fsync;
} alter_args;

static void args_free(alter_args *a) {
  for (size_t i = 0; i < a->n_rename; i++) free(a->from[i]);
  for (size_t i = 0; i < a->n_add; i++) free(a->add_name[i]);
}

/* --add 'NAME = EXPR': the name (blanks around it dropped) and the expression after the first '='. */
static int take_add(alter_args *a, const char *val) {
  const char *eq = strchr(val, '=');
  if (eq == NULL) return lp__cli_usage(ALTER_USAGE, "--add: expected 'NAME = EXPR', found '%s'", val);
  const char *s = val, *e = eq;
  while (s < e && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) e--;
  if (s == e) return lp__cli_usage(ALTER_USAGE, "--add: no column name in '%s'", val);
  a->add_name[a->n_add] = strndup(s, (size_t)(e - s));
  if (a->add_name[a->n_add] == NULL) return lp__cli_fail("out of memory");
  a->add_value[a->n_add++] = eq + 1;
  return 0;
}

/* One option with its value (--name VALUE or --name=VALUE). */
static int take(alter_args *a, const char *name, const char *val) {
  if (val == NULL) return lp__cli_usage(ALTER_USAGE, "--%s needs a value", name);
  if (a->n_rename == MAX_CHANGES || a->n_nullable == MAX_CHANGES || a->n_drop == MAX_CHANGES || a->n_add == MAX_CHANGES)
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
    return take_add(a, val);
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
  if (a->n_rename + a->n_nullable + a->n_drop + a->n_add == 0) return lp__cli_usage(ALTER_USAGE, "nothing to change");
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
                            a.n_nullable, a.drop, a.n_drop, (const char *const *)a.add_name, a.add_value, a.n_add};
    uint64_t version = 0;
    if (lp_db_alter(db, a.pos[1], &opt, &o, &version, &err) != LP_OK) rc = lp__cli_fail("%s", err.message);
    else printf("%" PRIu64 "\n", version);
  }
  lp_db_close(db);
  args_free(&a);
  if (rc == 0 && fflush(stdout) != 0) return lp__cli_fail("writing output failed");
  return rc;
}
