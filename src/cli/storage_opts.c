/* `--storage-option KEY=VALUE` (repeatable, also `--storage-option=KEY=VALUE`): settings of an s3://
 * database, LanceDB's storageOptions keys. main() takes them out of the arguments before a command parses
 * its own, so every command that opens a database gets them the same way, through lp__cli_db_open(). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_STORAGE_OPTIONS 64
#define FLAG "--storage-option"

static lp_storage_option options[MAX_STORAGE_OPTIONS];
static char *texts[MAX_STORAGE_OPTIONS]; /* "KEY\0VALUE": key and value point into these */
static size_t n_options;

static int add_option(const char *text) {
  const char *eq = strchr(text, '=');
  if (eq == NULL || eq == text)
    return lp__cli_usage(FLAG " KEY=VALUE", "expected KEY=VALUE, found '%s'", text);
  if (n_options == MAX_STORAGE_OPTIONS) return lp__cli_usage(FLAG " KEY=VALUE", "more than %d storage options", MAX_STORAGE_OPTIONS);
  char *copy = strdup(text);
  if (copy == NULL) return lp__cli_fail("out of memory");
  copy[eq - text] = '\0';
  texts[n_options] = copy;
  options[n_options].key = copy;
  options[n_options++].value = copy + (eq - text) + 1;
  return 0;
}

int lp__cli_take_storage_options(int *argc, char **argv) {
  int kept = 0;
  for (int i = 0; i < *argc; i++) {
    const char *a = argv[i];
    int rc = 0;
    if (strcmp(a, FLAG) == 0) {
      if (i + 1 >= *argc) return lp__cli_usage(FLAG " KEY=VALUE", "missing value");
      rc = add_option(argv[++i]);
    } else if (strncmp(a, FLAG "=", sizeof FLAG) == 0) {
      rc = add_option(a + sizeof FLAG);
    } else {
      argv[kept++] = argv[i];
    }
    if (rc != 0) return rc;
  }
  *argc = kept;
  argv[kept] = NULL;
  return 0;
}

const lp_storage_option *lp__cli_storage_options(size_t *out_n) {
  *out_n = n_options;
  return options;
}

lp_status lp__cli_db_open(const char *dir, lp_db **out, lp_error *err) {
  return lp_db_open_with_options(dir, NULL, options, n_options, out, err);
}

void lp__cli_storage_options_free(void) {
  for (size_t i = 0; i < n_options; i++) free(texts[i]);
  n_options = 0;
}
