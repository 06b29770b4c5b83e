/* Connections: a database directory, an optional shared session, and the tables opened through it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "table/table.h"

lp_status lp_db_open(const char *dir, lp_session *session, lp_db **out, lp_error *err) {
  if (dir == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "lp_db_open: dir and out must not be NULL");
  *out = NULL;
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

/* Table names are directory entries "<name>.lance" (name non-empty), as LanceDB lists them. */
lp_status lp_db_table_names(lp_db *db, char ***out_names, size_t *out_n, lp_error *err) {
  *out_names = NULL;
  *out_n = 0;
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
