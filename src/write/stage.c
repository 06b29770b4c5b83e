/* Tables in a store (s3://): the write operations build their files in a local staging folder, named like
 * the table ("<tmp>/lancepool-stage-XXXXXX/<name>.lance"), with the same code as for a local table; the
 * commit then uploads the files the new version refers to and publishes the manifest with a conditional
 * PUT (commit.c). A registry maps each staging folder to its store, so the write operations keep passing
 * one table_dir string around and only the points that touch committed state (reading versions, the
 * commit, drop, cleanup) ask lp__stage_find() where the table really lives. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "table/table.h"
#include "table/versions.h"
#include "write/write_int.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static lp__stage *registry;

lp__stage *lp__stage_find(const char *table_dir) {
  if (table_dir == NULL) return NULL;
  pthread_mutex_lock(&registry_lock);
  lp__stage *s = registry;
  while (s != NULL && strcmp(s->local, table_dir) != 0) s = s->next;
  pthread_mutex_unlock(&registry_lock);
  return s;
}

static void stage_free(lp__stage *s) {
  if (s == NULL) return;
  for (size_t i = 0; i < s->n_uploaded; i++) free(s->uploaded[i]);
  free(s->uploaded);
  free(s->table);
  free(s->local);
  free(s->root);
  free(s->name);
  free(s);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

lp_status lp__stage_open(lp_db *db, const char *name, char **out_dir, lp_error *err) {
  *out_dir = NULL;
  const char *tmp = getenv("TMPDIR");
  lp__stage *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  size_t n = strlen(tmp && tmp[0] ? tmp : "/tmp") + 32;
  s->root = malloc(n);
  s->table = malloc(strlen(name) + 8);
  if (s->root == NULL || s->table == NULL) {
    stage_free(s);
    return lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  snprintf(s->root, n, "%s/lancepool-stage-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  snprintf(s->table, strlen(name) + 8, "%s.lance", name);
  if (mkdtemp(s->root) == NULL) {
    lp_status rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create a staging folder", s->root);
    stage_free(s);
    return rc;
  }
  s->local = lp__path_join(s->root, s->table);
  if (s->local == NULL || mkdir(s->local, 0700) != 0) {
    lp_status rc = lp_error_set(err, LP_EIO, "%s: cannot create the staging folder of table %s", s->root, name);
    rmdir(s->root);
    stage_free(s);
    return rc;
  }
  s->store = db->store;
  size_t nn = strlen(lp_db_dir(db)) + strlen(s->table) + 2;
  if ((s->name = malloc(nn)) != NULL) snprintf(s->name, nn, "%s/%s", lp_db_dir(db), s->table);
  if ((*out_dir = strdup(s->local)) == NULL) {
    nftw(s->root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    stage_free(s);
    return lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  pthread_mutex_lock(&registry_lock);
  s->next = registry;
  registry = s;
  pthread_mutex_unlock(&registry_lock);
  return LP_OK;
}

void lp__table_dir_free(char *dir) {
  if (dir == NULL) return;
  pthread_mutex_lock(&registry_lock);
  lp__stage **pp = &registry;
  while (*pp != NULL && strcmp((*pp)->local, dir) != 0) pp = &(*pp)->next;
  lp__stage *s = *pp;
  if (s != NULL) *pp = s->next;
  pthread_mutex_unlock(&registry_lock);
  if (s != NULL) {
    nftw(s->root, rm_entry, 8, FTW_DEPTH | FTW_PHYS); /* only staged copies: the store has what was committed */
    stage_free(s);
  }
  free(dir);
}

const char *lp__table_dir_name(const char *table_dir) {
  const lp__stage *s = lp__stage_find(table_dir);
  return s != NULL && s->name != NULL ? s->name : table_dir;
}

lp_status lp__stage_key(const lp__stage *s, const char *sub, char **out, lp_error *err) {
  *out = lp__path_join(s->table, sub);
  return *out ? LP_OK : lp_error_set(err, LP_ENOMEM, "out of memory");
}

static bool was_uploaded(const lp__stage *s, const char *path) {
  for (size_t i = 0; i < s->n_uploaded; i++)
    if (strcmp(s->uploaded[i], path) == 0) return true;
  return false;
}

/* Upload one staged file (a path under s->local) to the same place under the table in the store. */
static lp_status upload_one(lp__stage *s, const char *path, lp_error *err) {
  size_t n = strlen(s->local);
  if (strncmp(path, s->local, n) != 0 || path[n] != '/')
    return lp_error_set(err, LP_EINVAL, "%s: not a file of the staging folder %s", path, s->local);
  if (was_uploaded(s, path)) return LP_OK; /* a retried commit refers to the same data files */
  char **nu = realloc(s->uploaded, (s->n_uploaded + 1) * sizeof *nu);
  if (nu == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  s->uploaded = nu;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char *key = NULL;
  LP_TRY(lp__read_file(path, SIZE_MAX, &bytes, &len, err));
  lp_status rc = lp__stage_key(s, path + n + 1, &key, err);
  if (rc == LP_OK) rc = lp__storage_put(s->store, key, bytes, len, false, err);
  if (rc == LP_OK && (nu[s->n_uploaded] = strdup(path)) != NULL) s->n_uploaded++;
  free(key);
  free(bytes);
  return rc;
}

lp_status lp__stage_upload(lp__stage *s, char *const *paths, size_t n, lp_error *err) {
  for (size_t i = 0; i < n; i++) LP_TRY(upload_one(s, paths[i], err));
  return LP_OK;
}

lp_status lp__stage_versions(const lp__stage *s, uint64_t **out, size_t *out_n, lp_error *err) {
  return lp__versions_list_store(s->store, s->table, out, out_n, err);
}

lp_status lp__stage_latest(const lp__stage *s, uint64_t *out, lp_error *err) {
  uint64_t *v = NULL;
  size_t n = 0;
  *out = 0;
  LP_TRY(lp__stage_versions(s, &v, &n, err));
  *out = v[n - 1];
  free(v);
  return LP_OK;
}

/* ---- removing a table's objects ---- */

typedef struct remove_walk {
  lp__stage *s;
  const char *dir;
  uint64_t n_removed;
} remove_walk;

static lp_status remove_tree(lp__stage *s, const char *dir, uint64_t *n_removed, lp_error *err);

static lp_status remove_child(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes;
  remove_walk *w = ctx;
  char *path = lp__path_join(w->dir, name);
  if (path == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  size_t n = strlen(path);
  lp_status rc;
  if (n > 0 && path[n - 1] == '/') {
    path[n - 1] = '\0';
    rc = remove_tree(w->s, path, &w->n_removed, err);
  } else {
    rc = lp__storage_delete(w->s->store, path, err);
    if (rc == LP_OK) w->n_removed++;
  }
  free(path);
  return rc;
}

static lp_status remove_tree(lp__stage *s, const char *dir, uint64_t *n_removed, lp_error *err) {
  remove_walk w = {s, dir, 0};
  lp_status rc = lp__storage_list(s->store, dir, remove_child, &w, err);
  *n_removed += w.n_removed;
  return rc;
}

lp_status lp__stage_drop(lp__stage *s, lp_error *err) {
  uint64_t n = 0;
  /* versions first, newest first in V2 order: a reader never meets a version whose files are gone */
  char *vdir = NULL;
  LP_TRY(lp__stage_key(s, "_versions", &vdir, err));
  lp_status rc = remove_tree(s, vdir, &n, err);
  free(vdir);
  if (rc == LP_OK) rc = remove_tree(s, s->table, &n, err);
  if (rc == LP_OK && n == 0) rc = lp_error_set(err, LP_ENOTFOUND, "no such table");
  return rc;
}
