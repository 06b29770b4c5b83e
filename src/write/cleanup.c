/* Cleanup of old versions: manifests committed before the cut-off (never the latest) are removed, then
 * every file of data/, _deletions/, _transactions/ and _indices/<uuid>/ that no remaining version uses and
 * that either a removed version used or is itself older than the cut-off (a failed commit's leftover). An
 * index directory is used by a version whose index section lists its uuid; its files go with it (the
 * emptied directory stays, as LanceDB leaves it). Files of commits
 * still in progress are younger than any cut-off of a few seconds or more, so they are never touched;
 * with a cut-off of 0 seconds a concurrent writer's uncommitted files could be removed (as in LanceDB).
 * Tagged versions (LanceDB's tags, also those lancepool made) are kept whatever their age, and so are the
 * files of LanceDB's branches (tree/<branch>/), whose manifests name the main line's files they forked from;
 * the branches themselves are left alone. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "table/indices.h"
#include "table/versions.h"
#include "write/write_int.h"

typedef struct str_set {
  char **s;
  size_t n, cap;
} str_set;

static bool set_add(str_set *set, const char *dir, const char *name) {
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    char **ns = realloc(set->s, cap * sizeof *ns);
    if (ns == NULL) return false;
    set->s = ns;
    set->cap = cap;
  }
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p == NULL) return false;
  snprintf(p, n, "%s/%s", dir, name);
  set->s[set->n++] = p;
  return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool set_has(const str_set *set, const char *key) {
  return set->n > 0 && bsearch(&key, set->s, set->n, sizeof *set->s, cmp_str) != NULL;
}

static void set_free(str_set *set) {
  for (size_t i = 0; i < set->n; i++) free(set->s[i]);
  free(set->s);
}

/* Every index directory a version uses ("_indices/<uuid>"). A section that does not decode stops the cleanup:
 * nothing may be removed on a guess. */
static lp_status add_version_indices(const lp__base *b, str_set *set, lp_error *err) {
  if (b->index == NULL) return LP_OK;
  lp__index_list idx;
  LP_TRY(lp__index_section_decode(b->index, b->index_len, "manifest", &idx, err));
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < idx.n; i++)
    if (!set_add(set, "_indices", idx.v[i].uuid)) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
  lp__index_list_reset(&idx);
  return rc;
}

/* Every file a version uses, relative to the table directory. */
static bool add_version_files(const lp__base *b, str_set *set) {
  const lp__manifest *m = b->m;
  for (size_t i = 0; i < m->n_fragments; i++) {
    const lp__fragment *f = &m->fragments[i];
    for (size_t j = 0; j < f->n_files; j++)
      if (!set_add(set, "data", f->files[j].path)) return false;
    if (f->has_deletion) {
      char name[128];
      snprintf(name, sizeof name, "%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", f->id, f->deletion_read_version, f->deletion_id,
               f->deletion_kind == LP__DELETION_ARROW ? "arrow" : "bin");
      if (!set_add(set, "_deletions", name)) return false;
    }
  }
  const char *txn = b->pb->transaction_file;
  if (txn && txn[0] && !set_add(set, "_transactions", txn)) return false;
  return true;
}

/* The data and deletion files the fragments of a manifest message name (those of the main line have these
 * names; a branch's own files, in its folder, are not swept). */
static bool add_raw_files(const Lance__Table__Manifest *pm, str_set *set) {
  for (size_t i = 0; i < pm->n_fragments; i++) {
    const Lance__Table__DataFragment *f = pm->fragments[i];
    for (size_t j = 0; j < f->n_files; j++)
      if (f->files[j]->path && !set_add(set, "data", f->files[j]->path)) return false;
    const Lance__Table__DeletionFile *d = f->deletion_file;
    if (d == NULL) continue;
    char name[128];
    snprintf(name, sizeof name, "%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", f->id, d->read_version, d->id,
             d->file_type == LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP ? "bin" : "arrow");
    if (!set_add(set, "_deletions", name)) return false;
  }
  return true;
}

/* Every file the branches LanceDB made (tree/<branch>/) use: a branch forks from a main-line version and its
 * manifests go on naming that version's data and deletion files, which must therefore stay. A manifest that
 * does not load stops the cleanup: nothing may be removed on a guess. */
static lp_status keep_branch_files(const char *table_dir, str_set *keep, lp_error *err) {
  char tree[4200];
  snprintf(tree, sizeof tree, "%s/tree", table_dir);
  DIR *d = opendir(tree);
  if (d == NULL) return errno == ENOENT ? LP_OK : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot list", tree);
  struct dirent *de;
  lp_status rc = LP_OK;
  while (rc == LP_OK && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char branch[4500];
    snprintf(branch, sizeof branch, "%s/%s", tree, de->d_name);
    uint64_t *versions = NULL;
    size_t nv = 0;
    rc = lp__versions_list(branch, &versions, &nv, err);
    for (size_t i = 0; rc == LP_OK && i < nv; i++) {
      lp__base b;
      rc = lp__base_load_raw(branch, versions[i], &b, err);
      if (rc != LP_OK) break;
      if (!add_raw_files(b.pb, keep)) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
      if (rc == LP_OK) rc = add_version_indices(&b, keep, err);
      lp__base_reset(&b);
    }
    if (rc == LP_ENOTFOUND) rc = LP_OK; /* not a branch folder */
    free(versions);
  }
  closedir(d);
  return rc;
}

/* Remove the regular files of table_dir/sub that no remaining version uses and that a removed version used
 * or that are older than orphan_cutoff. A file is known to the sets as "sub/<name>", or, when owner is
 * given, as owner (the files of an index directory come and go together). */
static lp_status sweep(const char *table_dir, const char *sub, const char *owner, const str_set *keep,
                       const str_set *removed, time_t orphan_cutoff, uint64_t *n_files, lp_error *err) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s", table_dir, sub);
  DIR *d = opendir(dir);
  if (d == NULL) return errno == ENOENT ? LP_OK : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot list", dir);
  struct dirent *de;
  lp_status rc = LP_OK;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char rel[4400], path[8600];
    snprintf(rel, sizeof rel, "%s/%s", sub, de->d_name);
    if (owner) snprintf(rel, sizeof rel, "%s", owner);
    if (set_has(keep, rel)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (!set_has(removed, rel) && st.st_mtime >= orphan_cutoff) continue; /* maybe a commit in progress */
    if (unlink(path) != 0) {
      rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot remove", path);
      break;
    }
    (*n_files)++;
  }
  closedir(d);
  return rc;
}

/* The index directories under _indices/: the files of one that no remaining version lists go when a removed
 * version listed it, or when the file is older than the orphan cut-off (an index built but never
 * committed). */
static lp_status sweep_indices(const char *table_dir, const str_set *keep, const str_set *removed,
                               time_t orphan_cutoff, uint64_t *n_files, lp_error *err) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/_indices", table_dir);
  DIR *d = opendir(dir);
  if (d == NULL) return errno == ENOENT ? LP_OK : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot list", dir);
  struct dirent *de;
  lp_status rc = LP_OK;
  while (rc == LP_OK && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char rel[4400];
    snprintf(rel, sizeof rel, "_indices/%s", de->d_name);
    if (set_has(keep, rel)) continue;
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    rc = sweep(table_dir, rel, rel, keep, removed, orphan_cutoff, n_files, err);
  }
  closedir(d);
  return rc;
}

/* ---- a table in a store: the same rules, through listings and deletes. A listing carries no
 * modification times, so files no version ever referred to (a failed commit's leftovers) are kept there;
 * only the files of removed versions go. ---- */

typedef struct store_sweep {
  lp__stage *stage;
  const char *sub;     /* the listed folder, relative to the table */
  const char *owner;   /* see sweep() */
  const str_set *keep, *removed;
  uint64_t *n_files;
} store_sweep;

static lp_status sweep_store_child(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes;
  store_sweep *w = ctx;
  size_t n = strlen(name);
  if (n == 0 || name[n - 1] == '/') return LP_OK; /* a sub-folder: none in these folders */
  char rel[4400], sub[4400];
  snprintf(rel, sizeof rel, "%s/%s", w->sub, name);
  memcpy(sub, rel, sizeof sub);
  if (w->owner) snprintf(rel, sizeof rel, "%s", w->owner);
  if (set_has(w->keep, rel) || !set_has(w->removed, rel)) return LP_OK;
  char *key = NULL;
  LP_TRY(lp__stage_key(w->stage, sub, &key, err));
  lp_status rc = lp__storage_delete(w->stage->store, key, err);
  free(key);
  if (rc == LP_OK) (*w->n_files)++;
  return rc;
}

static lp_status sweep_store(lp__stage *stage, const char *sub, const char *owner, const str_set *keep,
                             const str_set *removed, uint64_t *n_files, lp_error *err) {
  store_sweep w = {stage, sub, owner, keep, removed, n_files};
  char *dir = NULL;
  LP_TRY(lp__stage_key(stage, sub, &dir, err));
  lp_status rc = lp__storage_list(stage->store, dir, sweep_store_child, &w, err);
  free(dir);
  return rc;
}

static lp_status sweep_store_index_dir(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)size_bytes;
  store_sweep *w = ctx;
  size_t n = strlen(name);
  if (n < 2 || name[n - 1] != '/') return LP_OK;
  char rel[4400];
  snprintf(rel, sizeof rel, "_indices/%.*s", (int)(n - 1), name);
  if (set_has(w->keep, rel)) return LP_OK;
  return sweep_store(w->stage, rel, rel, w->keep, w->removed, w->n_files, err);
}

static lp_status sweep_store_all(lp__stage *stage, const str_set *keep, const str_set *removed, uint64_t *n_files,
                                 lp_error *err) {
  static const char *subs[] = {"data", "_deletions", "_transactions"};
  for (size_t i = 0; i < 3; i++) LP_TRY(sweep_store(stage, subs[i], NULL, keep, removed, n_files, err));
  store_sweep w = {stage, "_indices", NULL, keep, removed, n_files};
  char *dir = NULL;
  LP_TRY(lp__stage_key(stage, "_indices", &dir, err));
  lp_status rc = lp__storage_list(stage->store, dir, sweep_store_index_dir, &w, err);
  free(dir);
  return rc;
}

/* Remove the manifest of `version` (named by the scheme the table uses). */
static lp_status remove_manifest(const char *dir, lp__stage *stage, uint64_t version, bool v1, lp_error *err) {
  if (stage != NULL) {
    char name[32], sub[64], *key = NULL;
    lp__version_manifest_name(version, !v1, name);
    snprintf(sub, sizeof sub, "_versions/%s", name);
    LP_TRY(lp__stage_key(stage, sub, &key, err));
    lp_status rc = lp__storage_delete(stage->store, key, err);
    free(key);
    return rc;
  }
  char *path = NULL;
  if (lp__version_manifest_path(dir, version, &path, NULL) != LP_OK) return LP_ENOTFOUND;
  lp_status rc = LP_OK;
  if (unlink(path) != 0) rc = errno == ENOENT ? LP_ENOTFOUND : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot remove", path);
  free(path);
  return rc;
}

lp_status lp_db_cleanup(lp_db *db, const char *name, uint64_t older_than_seconds, uint64_t *out_versions,
                        uint64_t *out_files, lp_error *err) {
  return lp__db_cleanup(db, name, older_than_seconds, 0, out_versions, out_files, err);
}

lp_status lp__db_cleanup(lp_db *db, const char *name, uint64_t older_than_seconds, time_t orphans_before,
                         uint64_t *out_versions, uint64_t *out_files, lp_error *err) {
  char *dir = NULL;
  LP_TRY(lp__table_dir(db, name, &dir, err));
  uint64_t *versions = NULL;
  size_t nv = 0;
  str_set keep = {0}, removed = {0};
  uint64_t n_versions = 0, n_files = 0;
  time_t now = time(NULL);
  time_t cutoff = older_than_seconds > (uint64_t)now ? 0 : now - (time_t)older_than_seconds;
  int64_t cutoff_us = (int64_t)cutoff * 1000000;
  time_t orphan_cutoff = orphans_before > 0 && orphans_before < cutoff ? orphans_before : cutoff;
  lp__stage *stage = lp__stage_find(dir);
  bool v1 = false;
  lp_tag *tags = NULL;
  size_t n_tags = 0;
  lp_status rc = lp_db_tags(db, name, &tags, &n_tags, err); /* tagged versions stay, as in LanceDB */
  if (rc == LP_OK)
    rc = stage ? lp__stage_versions(stage, &versions, &nv, err) : lp__versions_list(dir, &versions, &nv, err);
  uint64_t *drop = rc == LP_OK ? calloc(nv + 1, sizeof *drop) : NULL;
  size_t n_drop = 0;
  if (rc == LP_OK && drop == NULL) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
  for (size_t i = 0; rc == LP_OK && i < nv; i++) {
    lp__base b;
    rc = lp__base_load(dir, versions[i], &b, err);
    if (rc != LP_OK) break;
    bool keep_it = i + 1 == nv || b.m->timestamp_us >= cutoff_us;
    for (size_t k = 0; k < n_tags; k++) keep_it |= tags[k].version == versions[i];
    if (!add_version_files(&b, keep_it ? &keep : &removed)) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
    if (rc == LP_OK) rc = add_version_indices(&b, keep_it ? &keep : &removed, err);
    if (!keep_it) drop[n_drop++] = versions[i];
    v1 = b.v1_name;
    lp__base_reset(&b);
  }
  if (rc == LP_OK) rc = keep_branch_files(dir, &keep, err);
  if (rc == LP_OK) {
    if (keep.n) qsort(keep.s, keep.n, sizeof *keep.s, cmp_str);
    if (removed.n) qsort(removed.s, removed.n, sizeof *removed.s, cmp_str);
  }
  /* manifests first: no remaining version may point at a removed file */
  for (size_t i = 0; rc == LP_OK && i < n_drop; i++) {
    rc = remove_manifest(dir, stage, drop[i], v1, err);
    if (rc == LP_OK) n_versions++;
    if (rc == LP_ENOTFOUND) rc = LP_OK; /* removed meanwhile by another cleanup */
  }
  static const char *subs[] = {"data", "_deletions", "_transactions"};
  if (stage != NULL && rc == LP_OK) rc = sweep_store_all(stage, &keep, &removed, &n_files, err);
  for (size_t i = 0; stage == NULL && rc == LP_OK && i < 3; i++)
    rc = sweep(dir, subs[i], NULL, &keep, &removed, orphan_cutoff, &n_files, err);
  if (stage == NULL && rc == LP_OK) rc = sweep_indices(dir, &keep, &removed, orphan_cutoff, &n_files, err);
  if (rc != LP_OK) lp_error_wrap(err, "cleanup %s: ", name);
  if (out_versions) *out_versions = n_versions;
  if (out_files) *out_files = n_files;
  set_free(&keep);
  set_free(&removed);
  lp_tags_free(tags, n_tags);
  free(drop);
  free(versions);
  lp__table_dir_free(dir);
  return rc;
}
