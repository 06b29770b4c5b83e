/* LanceDB's tags, read side: _refs/tags/<name>.json holds {"branch": null, "version": N, "createdAt": ...,
 * "updatedAt": ..., "manifestSize": BYTES, "metadata": {}} as LanceDB 0.31.0 writes it (older releases wrote
 * only version and manifestSize). A tag whose branch is set names a version of that branch, which lancepool
 * does not read (it reads the main line only). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "table/tags.h"

lp_status lp__tag_name_check(const char *tag, lp_error *err) {
  if (tag == NULL || tag[0] == '\0') return lp_error_set(err, LP_EINVAL, "a tag needs a name");
  size_t n = strlen(tag);
  bool ok = n <= 200 && tag[0] != '.' && tag[0] != '-' && strstr(tag, "..") == NULL &&
            !(n >= 5 && strcmp(tag + n - 5, ".lock") == 0);
  for (size_t i = 0; ok && i < n; i++) {
    char c = tag[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  }
  if (!ok)
    return lp_error_set(err, LP_EINVAL, "tag name \"%.200s\" is not valid ([A-Za-z0-9_.-]+, not starting with '.' or "
                        "'-', without \"..\", not ending in \".lock\")", tag);
  return LP_OK;
}

lp_status lp__table_place_open(lp_db *db, const char *table, lp__table_place *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (db == NULL) return lp_error_set(err, LP_EINVAL, "no database");
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err)); /* checks the name and that the table exists */
  lp_status rc = LP_OK;
  if (db->store) {
    out->st = db->store;
    snprintf(out->prefix, sizeof out->prefix, "%s/", t->dir);
  } else {
    rc = lp__storage_open(t->dir, NULL, &out->st, err);
    out->owned = rc == LP_OK;
  }
  lp_table_close(t);
  return rc;
}

void lp__table_place_close(lp__table_place *p) {
  if (p->owned) lp__storage_close(p->st);
  memset(p, 0, sizeof *p);
}

void lp__tag_path(const lp__table_place *p, const char *tag, char out[4400]) {
  snprintf(out, 4400, "%s_refs/tags/%s.json", p->prefix, tag);
}

lp_status lp__tag_parse(const uint8_t *bytes, size_t len, const char *tag, uint64_t *out, lp_error *err) {
  json_error_t je;
  json_t *j = json_loadb((const char *)bytes, len, 0, &je);
  if (j == NULL) return lp_error_set(err, LP_ECORRUPT, "tag \"%s\": not JSON: %s", tag, je.text);
  json_t *v = json_object_get(j, "version"), *branch = json_object_get(j, "branch");
  lp_status rc = LP_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    rc = lp_error_set(err, LP_ECORRUPT, "tag \"%s\": no version number", tag);
  else if (branch != NULL && !json_is_null(branch))
    rc = lp_error_set(err, LP_EUNSUPPORTED, "tag \"%s\" names version %" PRId64 " of branch \"%s\"; lancepool reads "
                      "the main line only", tag, (int64_t)json_integer_value(v),
                      json_is_string(branch) ? json_string_value(branch) : "?");
  else
    *out = (uint64_t)json_integer_value(v);
  json_decref(j);
  return rc;
}

static lp_status read_tag(const lp__table_place *p, const char *tag, uint64_t *out, lp_error *err) {
  char path[4400];
  lp__tag_path(p, tag, path);
  uint8_t *bytes = NULL;
  size_t len = 0;
  lp_status rc = lp__storage_read(p->st, path, 0, -1, &bytes, &len, err);
  if (rc == LP_ENOTFOUND) return lp_error_set(err, LP_ENOTFOUND, "no tag \"%s\"", tag);
  if (rc == LP_OK) rc = lp__tag_parse(bytes, len, tag, out, err);
  free(bytes);
  return rc;
}

lp_status lp_db_tag_version(lp_db *db, const char *table, const char *tag, uint64_t *out_version, lp_error *err) {
  if (out_version == NULL) return lp_error_set(err, LP_EINVAL, "tag: no out_version");
  *out_version = 0;
  LP_TRY(lp__tag_name_check(tag, err));
  lp__table_place p;
  LP_TRY(lp__table_place_open(db, table, &p, err));
  lp_status rc = read_tag(&p, tag, out_version, err);
  lp__table_place_close(&p);
  return rc;
}

typedef struct tag_list {
  lp_tag *v;
  size_t n, cap;
} tag_list;

static lp_status add_name(void *ctx, const char *name, uint64_t size, lp_error *err) {
  (void)size;
  tag_list *l = ctx;
  size_t n = strlen(name);
  if (n <= 5 || strcmp(name + n - 5, ".json") != 0) return LP_OK;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    lp_tag *nv = realloc(l->v, cap * sizeof *nv);
    if (nv == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
    l->v = nv;
    l->cap = cap;
  }
  l->v[l->n].name = strndup(name, n - 5);
  l->v[l->n].version = 0;
  if (l->v[l->n].name == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  l->n++;
  return LP_OK;
}

void lp_tags_free(lp_tag *tags, size_t n) {
  for (size_t i = 0; tags && i < n; i++) free(tags[i].name);
  free(tags);
}

lp_status lp_db_tags(lp_db *db, const char *table, lp_tag **out, size_t *out_n, lp_error *err) {
  if (out == NULL || out_n == NULL) return lp_error_set(err, LP_EINVAL, "tags: no out");
  *out = NULL;
  *out_n = 0;
  lp__table_place p;
  LP_TRY(lp__table_place_open(db, table, &p, err));
  char dir[4400];
  snprintf(dir, sizeof dir, "%s_refs/tags", p.prefix);
  tag_list l = {0};
  lp_status rc = lp__storage_list(p.st, dir, add_name, &l, err); /* in name order */
  if (rc == LP_ENOTFOUND) rc = LP_OK;                             /* no tag was ever made */
  for (size_t i = 0; rc == LP_OK && i < l.n; i++) {
    lp_error one = {0};
    rc = read_tag(&p, l.v[i].name, &l.v[i].version, &one);
    if (rc == LP_EUNSUPPORTED) { /* a tag of a branch: not on the main line this lists */
      free(l.v[i].name);
      l.v[i].name = NULL;
      rc = LP_OK;
    } else if (rc != LP_OK) {
      lp_error_set(err, rc, "%s", one.message);
    }
  }
  size_t kept = 0;
  for (size_t i = 0; rc == LP_OK && i < l.n; i++)
    if (l.v[i].name) l.v[kept++] = l.v[i];
  if (rc == LP_OK) l.n = kept;
  lp__table_place_close(&p);
  if (rc != LP_OK) {
    lp_tags_free(l.v, l.n);
    return rc;
  }
  *out = l.v;
  *out_n = l.n;
  return LP_OK;
}
