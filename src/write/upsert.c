/* Upsert (merge insert by a key column): every input row whose key matches a live row of the table
 * replaces it (the old row is deleted, the new one written), the other input rows are inserted; one Update
 * commit holds the deletion files and the new fragments. The new data files are written once; the
 * matching is redone against the newest version after a lost commit race, so concurrent changes are
 * never lost. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "format/deletion_write.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"
#include "format/write_schema.h"

/* ---- the operation -------------------------------------------------------------------------------- */

typedef struct ups_ctx {
  lp_db *db;
  const char *name, *dir;
  bool durable;
  size_t key_col;
  lp__type key_type;
  lp__key_set keys;
  const lp__written *files;
  lp__file_version version; /* of the new data files: the table's */
  uint64_t n_input, n_updated;
  char **written;
  size_t n_written;
} ups_ctx;

static void forget_written(ups_ctx *c, bool unlink_them) {
  lp__paths_forget(&c->written, &c->n_written, unlink_them);
}

/* Offsets of live rows of fragment f whose key is in the set (marking those keys matched). */
static lp_status fragment_matches(ups_ctx *c, lp_table *t, const lp__fragment *f, uint32_t **out, size_t *out_n,
                                  lp_error *err) {
  *out = NULL;
  *out_n = 0;
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, f, &r, err));
  struct ArrowSchema fs;
  lp_status rc = lp__field_to_arrow(&t->m->schema.fields[c->key_col], &fs, err);
  struct ArrowArray a;
  memset(&a, 0, sizeof a);
  if (rc == LP_OK) rc = lp__frag_read_field(t, &r, &t->m->schema.fields[c->key_col], &fs, 0, NULL, f->physical_rows, &a, err);
  if (rc == LP_OK) fs.release(&fs);
  const uint32_t *del = r.deleted ? r.deleted->rows : NULL;
  size_t n_del = r.deleted ? r.deleted->n_rows : 0, di = 0, cap = 0;
  for (uint64_t row = 0; rc == LP_OK && row < f->physical_rows; row++) {
    while (di < n_del && del[di] < row) di++;
    if (di < n_del && del[di] == row) continue;
    const uint8_t *p;
    size_t n;
    if (!lp__key_bytes(&a, c->key_type, (int64_t)row, &p, &n)) continue;
    uint64_t h = lp__key_hash(p, n);
    size_t slot = lp__key_set_find(&c->keys, p, n, h);
    if (!c->keys.hash[slot]) continue;
    c->keys.matched[slot] = 1;
    if (*out_n == cap) {
      cap = cap ? cap * 2 : 64;
      uint32_t *nr = realloc(*out, cap * sizeof *nr);
      if (nr == NULL) {
        rc = lp_error_set(err, LP_ENOMEM, "upsert: out of memory");
        break;
      }
      *out = nr;
    }
    (*out)[(*out_n)++] = (uint32_t)row;
  }
  lp__arrow_release(&a);
  lp__frag_reader_close(&r);
  if (rc != LP_OK) {
    free(*out);
    *out = NULL;
    *out_n = 0;
  }
  return rc;
}

static lp_status prepare_upsert(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  ups_ctx *c = vctx;
  forget_written(c, true);
  memset(c->keys.matched, 0, c->keys.cap);
  c->n_updated = 0;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__check_file_version(base, c->version, err));
  lp_table *t = NULL;
  LP_TRY(lp_table_open(c->db, c->name, base->version, &t, err));
  Lance__Table__Transaction__Update *op = lp__arena_msg(plan->arena, &lance__table__transaction__update__descriptor);
  uint64_t *removed = lp__arena_alloc(plan->arena, (t->m->n_fragments + 1) * sizeof *removed);
  size_t n_removed = 0;
  lp__ptrvec updated = {0}, added = {0};
  bool any_deletion = false;
  lp_status rc = op && removed ? LP_OK : lp_error_set(err, LP_ENOMEM, "upsert: out of memory");
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
    const lp__fragment *f = &t->m->fragments[i];
    uint32_t *match = NULL;
    size_t n_match = 0;
    rc = fragment_matches(c, t, f, &match, &n_match, err);
    if (rc == LP_OK && n_match == 0) {
      lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
      any_deletion |= f->has_deletion;
    } else if (rc == LP_OK) {
      lp__deletion_vec *old = NULL;
      if (f->has_deletion) {
        lp__frag_reader r;
        rc = lp__frag_reader_open(t, f, &r, err);
        if (rc == LP_OK) {
          old = lp__deletion_vec_ref(r.deleted);
          lp__frag_reader_close(&r);
        }
      }
      size_t n_union = 0;
      uint32_t *all = rc == LP_OK ? lp__rows_union(old ? old->rows : NULL, old ? old->n_rows : 0, match, n_match, &n_union) : NULL;
      if (rc == LP_OK && all == NULL) rc = lp_error_set(err, LP_ENOMEM, "upsert: out of memory");
      lp__deletion_vec_unref(old);
      if (rc == LP_OK && n_union >= f->physical_rows) {
        removed[n_removed++] = f->id;
      } else if (rc == LP_OK) {
        lp__deletion_ref d;
        rc = lp__plan_deletion(plan, c->dir, base, i, f->id, f->has_deletion && f->deletion_kind == LP__DELETION_BITMAP,
                               all, n_union, c->durable, &updated, &c->written, &c->n_written, &d, err);
        if (rc == LP_OK) any_deletion = true;
      }
      free(all);
    }
    free(match);
  }
  for (size_t s = 0; s < c->keys.cap; s++) c->n_updated += c->keys.matched[s];
  if (rc == LP_OK) {
    bool has_max;
    uint64_t max_id, next = lp__next_fragment_id(base, &has_max, &max_id);
    rc = lp__plan_add_files(plan, c->dir, c->files, next, &added, err);
    op->n_removed_fragment_ids = n_removed;
    op->removed_fragment_ids = removed;
    op->n_updated_fragments = updated.n;
    op->updated_fragments = (Lance__Table__DataFragment **)updated.v;
    op->n_new_fragments = added.n;
    op->new_fragments = (Lance__Table__DataFragment **)added.v;
    plan->op_msg = &op->base;
    plan->has_max_fragment_id = has_max || c->files->n > 0;
    plan->max_fragment_id = c->files->n ? next + c->files->n - 1 : max_id;
    plan->has_deletions = any_deletion;
    plan->keep_index = true;
    plan->op = LP__OP_UPDATE;
    if (rc == LP_OK) rc = lp__plan_status(plan, "upsert", err);
  }
  lp_table_close(t);
  return rc;
}

lp_status lp_db_upsert(lp_db *db, const char *name, const char *key, struct ArrowArrayStream *data,
                       const lp_write_options *opts, uint64_t *out_updated, uint64_t *out_inserted,
                       uint64_t *out_version, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  lp__base base;
  memset(&base, 0, sizeof base);
  struct ArrowArray *batches = NULL;
  size_t n_batches = 0;
  lp__written files = {0};
  ups_ctx c;
  memset(&c, 0, sizeof c);
  lp_status rc = lp__table_dir(db, name, &dir, err);
  if (rc == LP_OK && (data == NULL || key == NULL)) rc = lp_error_set(err, LP_EINVAL, "upsert: data and key are needed");
  if (rc == LP_OK) rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, &c.version, err);
  if (rc == LP_OK) rc = lp__stream_collect(data, &base.m->schema, NULL, &batches, &n_batches, err);
  if (rc == LP_OK) {
    const lp__field *kf = lp__schema_find(&base.m->schema, key);
    rc = lp__key_column_check(kf, key, err);
    if (rc == LP_OK) {
      c.key_col = (size_t)(kf - base.m->schema.fields);
      c.key_type = kf->type;
    }
  }
  for (size_t b = 0; b < n_batches; b++) c.n_input += (uint64_t)batches[b].length;
  if (rc == LP_OK && !lp__key_set_init(&c.keys, c.n_input)) rc = lp_error_set(err, LP_ENOMEM, "upsert: out of memory");
  for (size_t b = 0; rc == LP_OK && b < n_batches; b++) {
    const struct ArrowArray *col = batches[b].children[c.key_col];
    for (int64_t j = 0; rc == LP_OK && j < batches[b].length; j++) {
      const uint8_t *p;
      size_t n;
      if (!lp__key_bytes(col, c.key_type, batches[b].offset + j, &p, &n)) {
        rc = lp_error_set(err, LP_EINVAL, "row %" PRId64 " of batch %zu has a null key", j, b);
        break;
      }
      uint64_t h = lp__key_hash(p, n);
      size_t slot = lp__key_set_find(&c.keys, p, n, h);
      if (c.keys.hash[slot]) {
        rc = lp_error_set(err, LP_EINVAL, "key \"%s\" appears twice in the input (row %" PRId64 " of batch %zu)", key, j, b);
        break;
      }
      c.keys.hash[slot] = h;
      c.keys.ptr[slot] = p;
      c.keys.len[slot] = (uint32_t)n;
    }
  }
  if (rc == LP_OK) rc = lp__write_batches(dir, &base.m->schema, &o, c.version, batches, n_batches, &files, err);
  if (rc == LP_OK && files.n == 0) {
    *out_version = base.version;
  } else if (rc == LP_OK) {
    c.db = db;
    c.name = name;
    c.dir = dir;
    c.durable = o.durable;
    c.files = &files;
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_upsert, &c, out_version, err);
    forget_written(&c, rc != LP_OK);
    if (rc != LP_OK) lp__written_unlink(dir, &files);
  }
  if (rc == LP_OK) {
    if (out_updated) *out_updated = c.n_updated;
    if (out_inserted) *out_inserted = c.n_input - c.n_updated;
  } else {
    lp_error_wrap(err, "upsert into %s: ", name ? name : "");
  }
  lp__key_set_free(&c.keys);
  lp__written_reset(&files);
  lp__batches_free(batches, n_batches);
  if (data && data->release) data->release(data);
  lp__base_reset(&base);
  lp__table_dir_free(dir);
  return rc;
}
