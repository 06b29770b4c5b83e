/* Creating, appending to, overwriting, restoring and dropping tables (the public "Writing" API of
 * lance.h). Data files are written first, then one commit (commit.h) publishes them. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "write/commit.h"
#include "format/datafile_write.h"
#include "table/session.h"
#include "table/table.h"
#include "table/versions.h"
#include "format/deletion_write.h"
#include "write/write_int.h"
#include "format/write_schema.h"

#define DEFAULT_ROWS_PER_FILE 1048576u
#define DEFAULT_ROWS_PER_PAGE 65536u

void lp_write_options_init(lp_write_options *opts) {
  opts->durable = true;
  opts->max_rows_per_file = DEFAULT_ROWS_PER_FILE;
  opts->max_rows_per_page = DEFAULT_ROWS_PER_PAGE;
  opts->max_commit_attempts = 100;
  opts->data_storage_version = NULL;
}

void lp__wopts_resolve(const lp_write_options *in, lp_write_options *out) {
  lp_write_options_init(out);
  if (in) *out = *in;
  if (out->max_rows_per_file == 0) out->max_rows_per_file = DEFAULT_ROWS_PER_FILE;
  if (out->max_rows_per_page == 0) out->max_rows_per_page = DEFAULT_ROWS_PER_PAGE;
}

lp_status lp__table_dir(lp_db *db, const char *name, char **out, lp_error *err) {
  *out = NULL;
  if (db == NULL || name == NULL || name[0] == 0)
    return lp_error_set(err, LP_EINVAL, "table name must not be empty");
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
      return lp_error_set(err, LP_EINVAL, "table name \"%s\": only letters, digits, '_', '-' and '.' are allowed", name);
  if (lp__db_is_store(db)) return lp__stage_open(db, name, out, err); /* written through a staging folder */
  size_t n = strlen(lp_db_dir(db)) + strlen(name) + 16;
  *out = malloc(n);
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  snprintf(*out, n, "%s/%s.lance", lp_db_dir(db), name);
  return LP_OK;
}

/* ---- written data files --------------------------------------------------------------------------- */

void lp__written_reset(lp__written *w) {
  for (size_t i = 0; i < w->n; i++) lp__dfw_result_reset(&w->files[i]);
  free(w->files);
  memset(w, 0, sizeof *w);
}

void lp__written_unlink(const char *table_dir, lp__written *w) {
  for (size_t i = 0; i < w->n; i++) {
    char p[4200];
    snprintf(p, sizeof p, "%s/data/%s", table_dir, w->files[i].name);
    unlink(p);
  }
}

static lp_status written_push(lp__written *w, lp__dfw_result *r, lp_error *err) {
  lp__dfw_result *nf = realloc(w->files, (w->n + 1) * sizeof *nf);
  if (nf == NULL) {
    lp__dfw_result_reset(r);
    return lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  w->files = nf;
  w->files[w->n++] = *r;
  memset(r, 0, sizeof *r);
  return LP_OK;
}

lp_status lp__plan_add_files(lp__plan *plan, const char *table_dir, const lp__written *w, uint64_t first_id,
                             lp__ptrvec *op_list, lp_error *err) {
  for (size_t i = 0; i < w->n; i++) {
    const lp__dfw_result *r = &w->files[i];
    char path[4400];
    snprintf(path, sizeof path, "%s/data/%s", table_dir, r->name);
    Lance__Table__DataFragment *in_manifest = lp__fragment_new(plan->arena, first_id + i, r);
    /* transactions carry new fragments with id 0 */
    Lance__Table__DataFragment *in_txn = lp__fragment_new(plan->arena, 0, r);
    if (in_manifest == NULL || in_txn == NULL) return lp_error_set(err, LP_ENOMEM, "commit: out of memory");
    lp__ptrvec_push(plan->arena, &plan->fragments, in_manifest);
    lp__ptrvec_push(plan->arena, op_list, in_txn);
    LP_TRY(lp__plan_sync(plan, path, err));
  }
  return lp__plan_status(plan, "commit", err);
}

/* The data storage versions lancepool writes, as the manifest names them (2.3 and legacy are not). */
static const struct {
  const char *name;
  lp__file_version version;
} STORAGE_VERSIONS[] = {{"2.1", LP__FILE_V2_1}, {"2.0", LP__FILE_V2_0}, {"2.2", LP__FILE_V2_2}};

lp_status lp__storage_version_parse(const char *name, lp__file_version *out, lp_error *err) {
  for (size_t i = 0; name && i < sizeof STORAGE_VERSIONS / sizeof *STORAGE_VERSIONS; i++)
    if (strcmp(name, STORAGE_VERSIONS[i].name) == 0) {
      *out = STORAGE_VERSIONS[i].version;
      return LP_OK;
    }
  return lp_error_set(err, LP_EUNSUPPORTED, "data storage version %s: lancepool writes data files of versions 2.0, 2.1 and 2.2 only",
                      name ? name : "(none)");
}

/* The manifest's data_format, else (older manifests have none) the version of its data files, as LanceDB
 * infers it; an empty table without one gets 2.1. */
static const char *table_storage_version(const lp__manifest *m) {
  if (m->data_format[0]) return m->data_format;
  for (size_t i = 0; i < m->n_fragments; i++)
    if (m->fragments[i].n_files > 0) {
      static const char *const BY_MINOR[] = {"2.0", "2.1", "2.2", "2.3"};
      uint32_t minor = m->fragments[i].files[0].minor;
      return minor < 4 ? BY_MINOR[minor] : "a newer one";
    }
  return "2.1";
}

lp_status lp__table_file_version(const lp__base *base, const char *table, lp__file_version *out, lp_error *err) {
  const char *name = table_storage_version(base->m);
  if (lp__storage_version_parse(name, out, NULL) == LP_OK) return LP_OK;
  return lp_error_set(err, LP_EUNSUPPORTED,
                      "table %s uses data storage version %s; lancepool writes data files of versions 2.0, 2.1 and 2.2 only, and "
                      "LanceDB refuses tables whose data files mix versions",
                      table, name);
}

lp_status lp__check_file_version(const lp__base *base, lp__file_version written, lp_error *err) {
  const char *now = table_storage_version(base->m);
  if (strcmp(now, lp__file_version_name(written)) == 0) return LP_OK;
  return lp_error_set(err, LP_ECONFLICT, "the table's data storage version changed to %s while files of %s were written",
                      now, lp__file_version_name(written));
}

lp_status lp__write_batches(const char *table_dir, const lp__schema *schema, const lp_write_options *o,
                            lp__file_version version, struct ArrowArray *batches, size_t n_batches, lp__written *out,
                            lp_error *err) {
  char data_dir[4200];
  snprintf(data_dir, sizeof data_dir, "%s/data", table_dir);
  lp__dfw_options dopts = {o->max_rows_per_page, false, version}; /* the commit fsyncs them (lp__plan_sync) */
  lp__dfw *w = NULL;
  lp_status rc = LP_OK;
  for (size_t b = 0; b < n_batches && rc == LP_OK; b++) {
    const struct ArrowArray *batch = &batches[b];
    if ((size_t)batch->n_children != schema->n_fields) {
      rc = lp_error_set(err, LP_EINVAL, "batch %zu: expected %zu columns, found %lld", b, schema->n_fields,
                        (long long)batch->n_children);
      break;
    }
    for (size_t c = 0; c < schema->n_fields && rc == LP_OK; c++)
      if (batch->children[c]->length < batch->offset + batch->length)
        rc = lp_error_set(err, LP_EINVAL, "batch %zu: column \"%s\" has %lld rows, expected %lld", b,
                          schema->fields[c].name, (long long)batch->children[c]->length,
                          (long long)(batch->offset + batch->length));
    int64_t r = 0;
    while (rc == LP_OK && r < batch->length) {
      if (w == NULL) rc = lp__dfw_open(data_dir, schema, &dopts, &w, err);
      if (rc != LP_OK) break;
      int64_t room = (int64_t)o->max_rows_per_file - (int64_t)lp__dfw_rows(w);
      int64_t n = batch->length - r < room ? batch->length - r : room;
      rc = lp__dfw_write(w, batch, r, n, err);
      r += n;
      if (rc == LP_OK && lp__dfw_rows(w) >= o->max_rows_per_file) {
        lp__dfw_result res;
        rc = lp__dfw_finish(w, &res, err);
        w = NULL;
        if (rc == LP_OK) rc = written_push(out, &res, err);
      }
    }
  }
  if (rc == LP_OK && w != NULL && lp__dfw_rows(w) > 0) {
    lp__dfw_result res;
    rc = lp__dfw_finish(w, &res, err);
    w = NULL;
    if (rc == LP_OK) rc = written_push(out, &res, err);
  }
  lp__dfw_abort(w);
  if (rc != LP_OK) {
    lp__written_unlink(table_dir, out);
    lp__written_reset(out);
  }
  return rc;
}

/* Drain a stream into an array of batches (validated against `schema`, which may be NULL to take the
 * stream's; then *out_schema receives it). */
lp_status lp__stream_collect(struct ArrowArrayStream *s, const lp__schema *expect, lp__schema *out_schema,
                             struct ArrowArray **out, size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  struct ArrowSchema as;
  memset(&as, 0, sizeof as);
  if (s->get_schema(s, &as) != 0) {
    const char *m = s->get_last_error ? s->get_last_error(s) : NULL;
    return lp_error_set(err, LP_EINVAL, "input stream: get_schema failed: %s", m ? m : "no detail");
  }
  lp_status rc = expect ? lp__wschema_check_arrow(expect, &as, err) : lp__wschema_from_arrow(&as, out_schema, err);
  as.release(&as);
  if (rc != LP_OK) return rc;
  size_t cap = 0;
  for (;;) {
    struct ArrowArray a;
    memset(&a, 0, sizeof a);
    if (s->get_next(s, &a) != 0) {
      const char *m = s->get_last_error ? s->get_last_error(s) : NULL;
      rc = lp_error_set(err, LP_EINVAL, "input stream: get_next failed: %s", m ? m : "no detail");
      break;
    }
    if (a.release == NULL) break;
    if (*out_n == cap) {
      cap = cap ? cap * 2 : 8;
      struct ArrowArray *na = realloc(*out, cap * sizeof *na);
      if (na == NULL) {
        a.release(&a);
        rc = lp_error_set(err, LP_ENOMEM, "out of memory");
        break;
      }
      *out = na;
    }
    (*out)[(*out_n)++] = a;
  }
  if (rc != LP_OK) {
    lp__batches_free(*out, *out_n);
    *out = NULL;
    *out_n = 0;
    if (!expect) lp__wschema_reset(out_schema);
  }
  return rc;
}

void lp__batches_free(struct ArrowArray *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i].release) b[i].release(&b[i]);
  free(b);
}

/* ---- plans ---------------------------------------------------------------------------------------- */

uint64_t lp__next_fragment_id(const lp__base *base, bool *has_max, uint64_t *max_id) {
  *has_max = false;
  *max_id = 0;
  if (base->version == 0) return 0;
  if (base->pb->opt_max_fragment_id_case == LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID_MAX_FRAGMENT_ID) {
    *has_max = true;
    *max_id = base->pb->max_fragment_id;
  }
  for (size_t i = 0; i < base->m->n_fragments; i++)
    if (base->m->fragments[i].id > *max_id || !*has_max) {
      if (!*has_max || base->m->fragments[i].id > *max_id) *max_id = base->m->fragments[i].id;
      *has_max = true;
    }
  return *has_max ? *max_id + 1 : 0;
}

void lp__paths_forget(char ***paths, size_t *n, bool unlink_them) {
  for (size_t i = 0; i < *n; i++) {
    if (unlink_them) unlink((*paths)[i]);
    free((*paths)[i]);
  }
  free(*paths);
  *paths = NULL;
  *n = 0;
}

uint32_t *lp__rows_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t *out_n) {
  uint32_t *m = malloc((na + nb + 1) * sizeof *m);
  if (m == NULL) return NULL;
  size_t i = 0, j = 0, k = 0;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && a[i] < b[j]))
      m[k++] = a[i++];
    else if (i >= na || b[j] < a[i])
      m[k++] = b[j++];
    else
      m[k++] = a[i++], j++;
  }
  *out_n = k;
  return m;
}

lp_status lp__plan_deletion(lp__plan *plan, const char *table_dir, const lp__base *base, size_t frag_index,
                            uint64_t fragment_id, bool old_is_bitmap, const uint32_t *rows, size_t n, bool durable,
                            lp__ptrvec *op_list, char ***written, size_t *n_written, lp__deletion_ref *out,
                            lp_error *err) {
  lp__deletion_kind kind = lp__deletion_kind_for(n, old_is_bitmap);
  uint64_t id;
  char *path = NULL;
  LP_TRY(lp__deletion_write(table_dir, fragment_id, base->version, rows, n, kind, durable, &id, &path, err));
  char **nw = realloc(*written, (*n_written + 1) * sizeof *nw);
  if (nw == NULL) {
    unlink(path);
    free(path);
    return lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  *written = nw;
  nw[(*n_written)++] = path;
  *out = (lp__deletion_ref){(int)kind, base->version, id, n};
  Lance__Table__DataFragment *f = lp__fragment_with_deletion(plan->arena, base->pb->fragments[frag_index], out);
  if (f == NULL) return lp_error_set(err, LP_ENOMEM, "commit: out of memory");
  lp__ptrvec_push(plan->arena, &plan->fragments, f);
  lp__ptrvec_push(plan->arena, op_list, f); /* the same complete message goes into the transaction */
  return lp__plan_sync(plan, path, err);
}

bool lp__base_has_deletions(const lp__base *base) {
  for (size_t i = 0; base->m && i < base->m->n_fragments; i++)
    if (base->m->fragments[i].has_deletion) return true;
  return false;
}

typedef struct write_ctx {
  const lp__schema *schema;   /* overwrite/create: the new schema; append: NULL */
  const lp__written *files;
  const lp__schema *append_schema; /* append: the schema the files were written for */
  const char *dir;                 /* the table directory */
  const char *data_format;         /* overwrite/create: the table's new data storage version */
  lp__file_version version;        /* append: the version the files were written in */
} write_ctx;

static lp_status prepare_append(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  write_ctx *c = vctx;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version to append to");
  /* the files were written for the schema read earlier: it must still be the table's */
  uint8_t *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  lp_status rc = lp__wschema_pack(c->append_schema, &a, &na, err);
  if (rc == LP_OK) rc = lp__wschema_pack(&base->m->schema, &b, &nb, err);
  bool same = rc == LP_OK && na == nb && memcmp(a, b, na) == 0;
  free(a);
  free(b);
  if (rc != LP_OK) return rc;
  if (!same) return lp_error_set(err, LP_ECONFLICT, "the table's schema changed while appending");
  LP_TRY(lp__check_file_version(base, c->version, err));
  bool has_max;
  uint64_t max_id, next = lp__next_fragment_id(base, &has_max, &max_id);
  Lance__Table__Transaction__Append *op = lp__arena_msg(plan->arena, &lance__table__transaction__append__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "append: out of memory");
  for (size_t i = 0; i < base->pb->n_fragments; i++) lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
  lp__ptrvec added = {0};
  LP_TRY(lp__plan_add_files(plan, c->dir, c->files, next, &added, err));
  op->n_fragments = added.n;
  op->fragments = (Lance__Table__DataFragment **)added.v;
  plan->op_msg = &op->base;
  plan->has_max_fragment_id = has_max || c->files->n > 0;
  plan->max_fragment_id = c->files->n ? next + c->files->n - 1 : max_id;
  plan->has_deletions = lp__base_has_deletions(base);
  plan->keep_index = true;
  plan->op = LP__OP_APPEND;
  return lp__plan_status(plan, "append", err);
}

static lp_status prepare_overwrite(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  write_ctx *c = vctx;
  bool has_max = false;
  uint64_t max_id = 0;
  if (base->version) (void)lp__next_fragment_id(base, &has_max, &max_id);
  Lance__Table__Transaction__Overwrite *op = lp__arena_msg(plan->arena, &lance__table__transaction__overwrite__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "overwrite: out of memory");
  lp__ptrvec added = {0};
  LP_TRY(lp__plan_add_files(plan, c->dir, c->files, 0, &added, err));
  op->n_fragments = added.n;
  op->fragments = (Lance__Table__DataFragment **)added.v;
  LP_TRY(lp__wschema_to_pb(c->schema, plan->arena, &op->schema, &op->n_schema, err));
  plan->op_msg = &op->base;
  if (c->files->n) {
    uint64_t last = c->files->n - 1;
    plan->max_fragment_id = has_max && max_id > last ? max_id : last;
    plan->has_max_fragment_id = true;
  } else {
    plan->has_max_fragment_id = has_max;
    plan->max_fragment_id = max_id;
  }
  plan->schema = c->schema;
  plan->data_format = c->data_format;
  plan->keep_index = false;
  plan->op = LP__OP_OVERWRITE;
  return lp__plan_status(plan, "overwrite", err);
}

/* ---- public API ----------------------------------------------------------------------------------- */

/* The data storage version of a created or overwritten table: the one asked for, else on overwrite the
 * table's own (as LanceDB keeps it), else 2.1. */
static lp_status new_table_version(lp_db *db, const char *name, const char *dir, bool overwrite, const char *asked,
                                   lp__file_version *out, lp_error *err) {
  *out = LP__FILE_V2_1;
  if (asked != NULL) return lp__storage_version_parse(asked, out, err);
  if (!overwrite) return LP_OK;
  lp__base base;
  lp_status rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_ENOTFOUND) return LP_OK; /* nothing to overwrite yet */
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, out, err);
  lp__base_reset(&base);
  return rc;
}

lp_status lp_db_create_table(lp_db *db, const char *name, const struct ArrowSchema *schema,
                             struct ArrowArrayStream *data, bool overwrite, const lp_write_options *opts,
                             uint64_t *out_version, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  lp__schema s;
  memset(&s, 0, sizeof s);
  struct ArrowArray *batches = NULL;
  size_t n_batches = 0;
  lp__written files = {0};
  lp_status rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK && schema == NULL && data == NULL) rc = lp_error_set(err, LP_EINVAL, "create %s: a schema or data is needed", name);
  if (rc == LP_OK && schema) rc = lp__wschema_from_arrow(schema, &s, err);
  if (rc == LP_OK && data) rc = lp__stream_collect(data, schema ? &s : NULL, &s, &batches, &n_batches, err);
  if (rc == LP_OK && !overwrite) {
    struct stat st;
    char vdir[4200];
    snprintf(vdir, sizeof vdir, "%s/_versions", dir);
    uint64_t *v = NULL;
    size_t nv = 0;
    const lp__stage *stage = lp__stage_find(dir);
    if (stage ? lp__stage_versions(stage, &v, &nv, NULL) == LP_OK && nv > 0
              : stat(vdir, &st) == 0 && lp__versions_list(dir, &v, &nv, NULL) == LP_OK && nv > 0)
      rc = lp_error_set(err, LP_EEXIST, "table %s already exists", name);
    free(v);
  }
  lp__file_version version = LP__FILE_V2_1;
  if (rc == LP_OK) rc = new_table_version(db, name, dir, overwrite, o.data_storage_version, &version, err);
  if (rc == LP_OK && mkdir(dir, 0755) != 0 && errno != EEXIST)
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create the table directory", dir);
  if (rc == LP_OK) rc = lp__write_batches(dir, &s, &o, version, batches, n_batches, &files, err);
  if (rc == LP_OK) {
    write_ctx c = {&s, &files, NULL, dir, lp__file_version_name(version), version};
    lp__commit_opts co = {o.durable, !overwrite, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_overwrite, &c, out_version, err);
    if (rc != LP_OK) lp__written_unlink(dir, &files);
    if (rc == LP_OK && !lp__db_is_store(db)) rc = lp__fsync_dir(lp_db_dir(db), o.durable, err);
  }
  if (rc != LP_OK && rc != LP_EEXIST) lp_error_wrap(err, "create %s: ", name ? name : "");
  lp__written_reset(&files);
  lp__batches_free(batches, n_batches);
  if (data && data->release) data->release(data);
  lp__wschema_reset(&s);
  lp__table_dir_free(dir);
  return rc;
}

lp_status lp_db_add(lp_db *db, const char *name, struct ArrowArrayStream *data, const lp_write_options *opts,
                    uint64_t *out_version, lp_error *err) {
  return lp__db_add_written(db, name, data, opts, out_version, NULL, err);
}

lp_status lp__db_add_written(lp_db *db, const char *name, struct ArrowArrayStream *data,
                             const lp_write_options *opts, uint64_t *out_version, lp__written *out_files,
                             lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  lp__base base;
  memset(&base, 0, sizeof base);
  struct ArrowArray *batches = NULL;
  size_t n_batches = 0;
  lp__written files = {0};
  lp__file_version version = LP__FILE_V2_1;
  lp_status rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK && data == NULL) rc = lp_error_set(err, LP_EINVAL, "add: no data");
  if (rc == LP_OK) rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, &version, err);
  if (rc == LP_OK) rc = lp__stream_collect(data, &base.m->schema, NULL, &batches, &n_batches, err);
  if (rc == LP_OK) rc = lp__write_batches(dir, &base.m->schema, &o, version, batches, n_batches, &files, err);
  if (rc == LP_OK && files.n == 0) {
    *out_version = base.version; /* nothing to add */
  } else if (rc == LP_OK) {
    lp__schema *schema = &base.m->schema;
    lp__manifest *keep = lp__manifest_ref(base.m); /* the schema outlives the base, which moves below */
    write_ctx c = {NULL, &files, schema, dir, NULL, version};
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), &base};
    rc = lp__commit(dir, &co, prepare_append, &c, out_version, err);
    lp__manifest_unref(keep);
    if (rc != LP_OK) lp__written_unlink(dir, &files);
  }
  if (rc != LP_OK) lp_error_wrap(err, "add to %s: ", name ? name : "");
  if (rc == LP_OK && out_files != NULL) {
    *out_files = files; /* moved */
    memset(&files, 0, sizeof files);
  }
  lp__written_reset(&files);
  lp__batches_free(batches, n_batches);
  if (data && data->release) data->release(data);
  lp__base_reset(&base);
  lp__table_dir_free(dir);
  return rc;
}

typedef struct restore_ctx {
  lp__base old;
} restore_ctx;

static lp_status prepare_restore(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  restore_ctx *c = vctx;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  Lance__Table__Transaction__Restore *op = lp__arena_msg(plan->arena, &lance__table__transaction__restore__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "restore: out of memory");
  op->version = c->old.version;
  plan->op_msg = &op->base;
  for (size_t i = 0; i < c->old.pb->n_fragments; i++)
    lp__ptrvec_push(plan->arena, &plan->fragments, c->old.pb->fragments[i]);
  bool h1, h2;
  uint64_t m1, m2;
  (void)lp__next_fragment_id(base, &h1, &m1);
  (void)lp__next_fragment_id(&c->old, &h2, &m2);
  plan->has_max_fragment_id = h1 || h2;
  plan->max_fragment_id = m1 > m2 ? m1 : m2;
  plan->has_deletions = lp__base_has_deletions(&c->old);
  plan->content = &c->old;
  plan->keep_index = true;
  plan->op = LP__OP_RESTORE;
  return lp__plan_status(plan, "restore", err);
}

lp_status lp_db_restore(lp_db *db, const char *name, uint64_t version, const lp_write_options *opts,
                        uint64_t *out_version, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  restore_ctx c;
  memset(&c, 0, sizeof c);
  lp_status rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK) rc = lp__base_load(dir, version, &c.old, err);
  if (rc == LP_OK) {
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_restore, &c, out_version, err);
  }
  if (rc != LP_OK) lp_error_wrap(err, "restore %s to version %" PRIu64 ": ", name ? name : "", version);
  lp__base_reset(&c.old);
  lp__table_dir_free(dir);
  return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

lp_status lp_db_drop_table(lp_db *db, const char *name, lp_error *err) {
  char *dir = NULL;
  LP_TRY(lp__table_dir(db, name, &dir, err));
  struct stat st;
  lp_status rc = LP_OK;
  lp__stage *stage = lp__stage_find(dir);
  if (stage != NULL) {
    rc = lp__stage_drop(stage, err);
    if (rc != LP_OK) lp_error_wrap(err, "drop %s: ", name);
  } else if (stat(dir, &st) != 0)
    rc = lp_error_set(err, LP_ENOTFOUND, "drop %s: no such table", name);
  else if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    rc = lp_error_set_errno(err, LP_EIO, errno, "drop %s: cannot remove %s", name, dir);
  lp__table_dir_free(dir);
  return rc;
}
