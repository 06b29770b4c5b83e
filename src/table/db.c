/* Connections: a database directory, an optional shared session, and the tables opened through it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "table/table.h"

/* A database in object storage: its settings are the given storage options, then the AWS_* variables
 * LanceDB also reads for what they leave unset. */
static lp_status open_store(const char *uri, lp_session *session, const lp_storage_option *options,
                            size_t n_options, lp_db **out, lp_error *err) {
  lp__s3_options o;
  lp__s3_options_init(&o);
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < n_options; i++) {
    if (options[i].key == NULL || options[i].value == NULL)
      rc = lp_error_set(err, LP_EINVAL, "storage option %zu: key and value must not be NULL", i);
    else
      rc = lp__s3_options_set(&o, options[i].key, options[i].value, err);
  }
  if (rc == LP_OK) rc = lp__s3_options_from_env(&o, err);
  lp__storage *store = NULL;
  if (rc == LP_OK) rc = lp__storage_open(uri, &o, &store, err);
  lp__s3_options_reset(&o);
  if (rc != LP_OK) {
    lp_error_wrap(err, "database %s: ", uri);
    return rc;
  }
  lp_db *db = calloc(1, sizeof *db);
  if (db == NULL || (db->dir = strdup(uri)) == NULL) {
    free(db);
    lp__storage_close(store);
    return lp_error_set(err, LP_ENOMEM, "database %s: out of memory", uri);
  }
  db->store = store;
  db->session = lp_session_ref(session);
  *out = db;
  return LP_OK;
}

bool lp__db_is_store(const lp_db *db) { return db->store != NULL; }

lp_status lp_db_open(const char *dir, lp_session *session, lp_db **out, lp_error *err) {
  return lp_db_open_with_options(dir, session, NULL, 0, out, err);
}

lp_status lp_db_open_with_options(const char *dir, lp_session *session, const lp_storage_option *options,
                                  size_t n_options, lp_db **out, lp_error *err) {
  if (dir == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "lp_db_open: dir and out must not be NULL");
  *out = NULL;
  if (n_options > 0 && options == NULL) return lp_error_set(err, LP_EINVAL, "lp_db_open: %zu options but none given", n_options);
  if (strncmp(dir, "s3://", 5) == 0) return open_store(dir, session, options, n_options, out, err);
  if (n_options > 0)
    return lp_error_set(err, LP_EINVAL, "database %s: storage option \"%s\" given for a local folder, which takes none", dir,
                        options[0].key ? options[0].key : "(null)");
  struct stat st;
  if (stat(dir, &st) != 0) {
    int e = errno;
    return lp_error_set_errno(err, e == ENOENT ? LP_ENOTFOUND : LP_EIO, e, "database %s", dir);
  }
  if (!S_ISDIR(st.st_mode)) return lp_error_set(err, LP_EINVAL, "database %s: not a directory", dir);
  lp_db *db = calloc(1, sizeof *db);
  if (db == NULL || (db->dir = strdup(dir)) == NULL) {
    free(db);
    return lp_error_set(err, LP_ENOMEM, "database %s: out of memory", dir);
  }
  db->session = lp_session_ref(session);
  *out = db;
  return LP_OK;
}

void lp_db_close(lp_db *db) {
  if (db == NULL) return;
  while (db->tables) lp_table_close(db->tables);
  lp_session_unref(db->session);
  lp__storage_close(db->store);
  free(db->dir);
  free(db);
}

const char *lp_db_dir(const lp_db *db) {
  return db->dir;
}

void lp_strings_free(char **strings, size_t n) {
  if (strings == NULL) return;
  for (size_t i = 0; i < n; i++) free(strings[i]);
  free(strings);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct name_list {
  char **names;
  size_t n, cap;
} name_list;

/* A child "<name>.lance/" of the store's root is a table, as a "<name>.lance" folder is locally. */
static lp_status add_store_table(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes;
  name_list *l = ctx;
  size_t len = strlen(name);
  if (len <= 7 || strcmp(name + len - 7, ".lance/") != 0) return LP_OK;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    char **nn = realloc(l->names, cap * sizeof *nn);
    if (nn == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
    l->names = nn;
    l->cap = cap;
  }
  if ((l->names[l->n] = strndup(name, len - 7)) == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  l->n++;
  return LP_OK;
}

static lp_status store_table_names(lp_db *db, char ***out_names, size_t *out_n, lp_error *err) {
  name_list l = {0};
  lp_status rc = lp__storage_list(db->store, "", add_store_table, &l, err);   /* sorted by the store */
  if (rc != LP_OK) {
    lp_strings_free(l.names, l.n);
    lp_error_wrap(err, "database %s: ", db->dir);
    return rc;
  }
  *out_names = l.names;
  *out_n = l.n;
  return LP_OK;
}

/* Table names are directory entries "<name>.lance" (name non-empty), as LanceDB lists them. */
lp_status lp_db_table_names(lp_db *db, char ***out_names, size_t *out_n, lp_error *err) {
  *out_names = NULL;
  *out_n = 0;
  if (db->store) return store_table_names(db, out_names, out_n, err);
  DIR *d = opendir(db->dir);
  if (d == NULL) return lp_error_set_errno(err, LP_EIO, errno, "database %s: cannot list", db->dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  lp_status rc = LP_OK;
  while ((de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name);
    if (len <= 6 || strcmp(de->d_name + len - 6, ".lance") != 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof *names);
      if (nn == NULL) {
        rc = LP_ENOMEM;
        break;
      }
      names = nn;
    }
    names[n] = strndup(de->d_name, len - 6);
    if (names[n] == NULL) {
      rc = LP_ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (rc != LP_OK) {
    lp_strings_free(names, n);
    return lp_error_set(err, rc, "database %s: out of memory", db->dir);
  }
  if (n > 1) qsort(names, n, sizeof *names, cmp_str);
  *out_names = names;
  *out_n = n;
  return LP_OK;
}
