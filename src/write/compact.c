/* Compaction: rewrite small fragments (and fragments with many deleted rows) into fewer, larger ones
 * holding only live rows, as one Rewrite commit; the table's rows and their order stay the same. A
 * fragment is a candidate when it has fewer than half of max_rows_per_file live rows, or when at least a
 * tenth of its rows are deleted; a fragment already near the target size with few deletions is left
 * alone, so a big fragment is not rewritten again and again only to absorb a few small ones. Groups are
 * runs of neighbouring candidates of at most max_rows_per_file live rows; a group that is a single
 * fragment without deletions is left alone. After losing a commit race the rewrite still lands on top of
 * concurrent appends; any other concurrent change to the table is a conflict (LP_ECONFLICT).
 *
 * LanceDB's indexes (the manifest's index section) hold row addresses (fragment id << 32 | row offset) and
 * name the fragments they cover in a bitmap. As LanceDB does, the fragments of one group are covered by
 * the same indexes (an indexed fragment is never merged with an unindexed one), and an IVF_PQ, IVF_FLAT or
 * IVF_SQ index covering a group is remapped (index_remap.c): new files under a new uuid holding the new
 * row addresses, the bitmap moved to the new fragment ids, and a RewrittenIndex in the transaction. A
 * fragment covered by an index lancepool cannot remap (HNSW, BTREE, BITMAP, full text, an entry without a
 * bitmap, or any index when a fragment-reuse index exists) is never compacted, so that index stays exact. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/indices.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

#define DELETED_SHARE_TO_REWRITE 10 /* a fragment with 1/10 of its rows deleted is rewritten */

typedef struct group {
  size_t first, n;        /* fragments [first, first + n) of the compacted version */
  lp__written files;      /* the new data files */
  uint64_t *new_ids;      /* their fragment ids in the current attempt (in the plan's arena) */
} group;

typedef struct compact_ctx {
  const lp__manifest *src;  /* the version that was compacted */
  const lp__base *src_base;
  group *groups;
  size_t n_groups;
  const char *dir;          /* the table directory */
  lp__file_version version; /* of the new data files: the table's */
  lp_table *t;              /* open at the compacted version (for its deletion files) */
  const lp__index_list *idx; /* the compacted version's indexes */
  lp__index_remap_out remap; /* the index files of the latest attempt */
} compact_ctx;

/* The index list of a base version (empty when it has no index section). */
static lp_status base_indices(const lp__base *b, lp__index_list *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (b->index == NULL) return LP_OK;
  return lp__index_section_decode(b->index, b->index_len, "manifest", out, err);
}

static bool has_uuid(const lp__index_list *l, const char *uuid) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].uuid, uuid) == 0) return true;
  return false;
}

/* An index built by someone else while we compacted may cover fragments we rewrote: it was not taken into
 * account when the groups were chosen, so it is a conflict. */
static lp_status check_groups_indexes(const compact_ctx *c, const lp__base *base, bool *any_index, lp_error *err) {
  lp__index_list idx;
  *any_index = false;
  LP_TRY(base_indices(base, &idx, err));
  lp_status rc = LP_OK;
  for (size_t k = 0; rc == LP_OK && k < c->n_groups; k++)
    for (size_t j = 0; rc == LP_OK && j < c->groups[k].n; j++) {
      uint64_t id = c->src->fragments[c->groups[k].first + j].id;
      for (size_t i = 0; rc == LP_OK && i < idx.n; i++) {
        if (!lp__index_covers(&idx.v[i], id)) continue;
        *any_index = true;
        if (!has_uuid(c->idx, idx.v[i].uuid))
          rc = lp_error_set(err, LP_ECONFLICT, "an index on fragment %" PRIu64 " was built while compacting", id);
      }
    }
  lp__index_list_reset(&idx);
  return rc;
}

/* Remap the indexes covering the groups (their new ids are known now) into plan and op. */
static lp_status remap_indexes(compact_ctx *c, const lp__base *base, lp__plan *plan,
                               Lance__Table__Transaction__Rewrite *op, lp_error *err) {
  const lp__fragment **olds = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *olds);
  size_t *n_old = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *n_old);
  size_t *n_new = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *n_new);
  const uint64_t **ids = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *ids);
  const uint64_t **rows = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *rows);
  lp__remap_ids *gi = lp__arena_alloc(plan->arena, (c->n_groups + 1) * sizeof *gi);
  if (!olds || !n_old || !n_new || !ids || !rows || !gi) return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  for (size_t k = 0; k < c->n_groups; k++) {
    const group *g = &c->groups[k];
    uint64_t *r = lp__arena_alloc(plan->arena, (g->files.n + 1) * sizeof *r);
    uint64_t *o = lp__arena_alloc(plan->arena, (g->n + 1) * sizeof *o);
    if (r == NULL || o == NULL) return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
    for (size_t j = 0; j < g->files.n; j++) r[j] = g->files.files[j].n_rows;
    for (size_t j = 0; j < g->n; j++) o[j] = c->src->fragments[g->first + j].id;
    olds[k] = &c->src->fragments[g->first];
    n_old[k] = g->n;
    n_new[k] = g->files.n;
    ids[k] = g->new_ids;
    rows[k] = r;
    gi[k] = (lp__remap_ids){o, g->new_ids, g->n, g->files.n};
  }
  lp__rowmap *map = NULL;
  LP_TRY(lp__rowmap_new(c->t, olds, n_old, ids, rows, n_new, c->n_groups, &map, err));
  lp_status rc = lp__index_section_remap(c->dir, base->index, base->index_len, map, gi, c->n_groups, plan->arena,
                                         &c->remap, err);
  lp__rowmap_free(map);
  if (rc != LP_OK) return rc;
  for (size_t i = 0; i < c->remap.n_uuids; i++) {
    char path[4500];
    snprintf(path, sizeof path, "%s/_indices/%s/auxiliary.idx", c->dir, c->remap.uuids[i]);
    LP_TRY(lp__plan_sync(plan, path, err));
    snprintf(path, sizeof path, "%s/_indices/%s/index.idx", c->dir, c->remap.uuids[i]);
    LP_TRY(lp__plan_sync(plan, path, err));
  }
  plan->index_section = c->remap.section;
  plan->index_section_len = c->remap.len;
  op->n_rewritten_indices = c->remap.rewritten.n;
  op->rewritten_indices = (Lance__Table__Transaction__Rewrite__RewrittenIndex **)c->remap.rewritten.v;
  return LP_OK;
}

static lp_status prepare_rewrite(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  compact_ctx *c = vctx;
  lp__index_remap_out_reset(c->dir, &c->remap, true); /* a lost race: the last attempt's index files */
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__check_file_version(base, c->version, err));
  bool any_index = false;
  LP_TRY(check_groups_indexes(c, base, &any_index, err));
  /* the compacted fragments must be unchanged in base, and in the same order */
  size_t bi = 0;
  for (size_t i = 0; i < c->src->n_fragments; i++) {
    const lp__fragment *a = &c->src->fragments[i];
    while (bi < base->m->n_fragments && base->m->fragments[bi].id != a->id) bi++;
    if (bi == base->m->n_fragments)
      return lp_error_set(err, LP_ECONFLICT, "fragment %" PRIu64 " changed while compacting", a->id);
    const lp__fragment *b = &base->m->fragments[bi];
    if (b->has_deletion != a->has_deletion || (a->has_deletion && b->deletion_id != a->deletion_id))
      return lp_error_set(err, LP_ECONFLICT, "rows of fragment %" PRIu64 " were deleted while compacting", a->id);
  }
  bool has_max;
  uint64_t max_id, next = lp__next_fragment_id(base, &has_max, &max_id);
  bool any_deletion = false;
  Lance__Table__Transaction__Rewrite *op = lp__arena_msg(plan->arena, &lance__table__transaction__rewrite__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  lp__ptrvec groups = {0};
  for (size_t i = 0; i < base->m->n_fragments; i++) {
    const lp__fragment *f = &base->m->fragments[i];
    /* is f the first fragment of a group? then emit the group's new fragments in its place */
    group *g = NULL;
    bool in_group = false;
    for (size_t k = 0; k < c->n_groups; k++)
      for (size_t j = 0; j < c->groups[k].n; j++)
        if (c->src->fragments[c->groups[k].first + j].id == f->id) {
          in_group = true;
          if (j == 0) g = &c->groups[k];
        }
    if (!in_group) {
      lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
      any_deletion |= f->has_deletion;
      continue;
    }
    if (g == NULL) continue;
    /* RewriteGroup: the old fragments as they were, the new ones with their (reserved) ids */
    Lance__Table__Transaction__Rewrite__RewriteGroup *grp =
        lp__arena_msg(plan->arena, &lance__table__transaction__rewrite__rewrite_group__descriptor);
    Lance__Table__DataFragment **olds = lp__arena_alloc(plan->arena, (g->n + 1) * sizeof *olds);
    Lance__Table__DataFragment **news = lp__arena_alloc(plan->arena, (g->files.n + 1) * sizeof *news);
    g->new_ids = lp__arena_alloc(plan->arena, (g->files.n + 1) * sizeof *g->new_ids);
    if (grp == NULL || olds == NULL || news == NULL || g->new_ids == NULL)
      return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
    for (size_t j = 0; j < g->n; j++) olds[j] = c->src_base->pb->fragments[g->first + j];
    for (size_t j = 0; j < g->files.n; j++) {
      const lp__dfw_result *r = &g->files.files[j];
      g->new_ids[j] = next;
      news[j] = lp__fragment_new(plan->arena, next++, r);
      if (news[j] == NULL) return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
      lp__ptrvec_push(plan->arena, &plan->fragments, news[j]);
      char path[4400];
      snprintf(path, sizeof path, "%s/data/%s", c->dir, r->name);
      LP_TRY(lp__plan_sync(plan, path, err));
    }
    grp->n_old_fragments = g->n;
    grp->old_fragments = olds;
    grp->n_new_fragments = g->files.n;
    grp->new_fragments = news;
    lp__ptrvec_push(plan->arena, &groups, grp);
  }
  op->n_groups = groups.n;
  op->groups = (Lance__Table__Transaction__Rewrite__RewriteGroup **)groups.v;
  plan->op_msg = &op->base;
  plan->has_max_fragment_id = has_max || next > 0;
  plan->max_fragment_id = next > 0 ? next - 1 : max_id;
  plan->has_deletions = any_deletion;
  plan->keep_index = true;
  plan->op = LP__OP_REWRITE;
  if (any_index) LP_TRY(remap_indexes(c, base, plan, op, err));
  return lp__plan_status(plan, "compact", err);
}

static uint64_t live_rows(const lp__fragment *f) {
  return f->physical_rows - (f->has_deletion ? f->num_deleted_rows : 0);
}

static bool has_fragment_reuse(const lp__index_list *idx) {
  for (size_t i = 0; i < idx->n; i++)
    if (strncmp(idx->v[i].name, "__lance_frag_reuse", 18) == 0) return true;
  return false;
}

/* May f be rewritten: is every index that holds its rows one that compaction can remap? */
static bool remappable_coverage(const lp__fragment *f, const lp__index_list *idx) {
  bool reuse = has_fragment_reuse(idx);
  for (size_t i = 0; i < idx->n; i++)
    if (lp__index_covers(&idx->v[i], f->id) &&
        (reuse || !idx->v[i].has_fragment_bitmap || !lp__index_remappable(&idx->v[i])))
      return false;
  return true;
}

/* Do the same indexes hold the rows of a and b? (A group must not mix them: LanceDB's rule.) */
static bool same_coverage(const lp__fragment *a, const lp__fragment *b, const lp__index_list *idx) {
  for (size_t i = 0; i < idx->n; i++)
    if (lp__index_covers(&idx->v[i], a->id) != lp__index_covers(&idx->v[i], b->id)) return false;
  return true;
}

/* Is f worth rewriting (small, or carrying many deleted rows), and free to be rewritten? */
static bool is_candidate(const lp__fragment *f, uint64_t target, const lp__index_list *idx) {
  if (!remappable_coverage(f, idx)) return false;
  if (live_rows(f) < target / 2) return true;
  return f->has_deletion && f->num_deleted_rows * DELETED_SHARE_TO_REWRITE >= f->physical_rows;
}

lp_status lp_db_compact(lp_db *db, const char *name, const lp_write_options *opts, uint64_t *out_version,
                        uint64_t *out_rewritten, lp_error *err) {
  char *dir = NULL;
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  LP_TRY(lp__table_dir(db, name, &dir, err));
  lp__base base;
  lp_table *t = NULL;
  compact_ctx c;
  memset(&c, 0, sizeof c);
  lp__index_list idx = {0};
  lp_status rc = lp__base_load_latest(dir, lp__session_version_hints(db->session), &base, err);
  if (rc == LP_OK) rc = lp__table_file_version(&base, name, &c.version, err);
  if (rc == LP_OK) rc = base_indices(&base, &idx, err);
  if (rc == LP_OK) rc = lp_table_open(db, name, base.version, &t, err);
  if (rc == LP_OK) {
    c.src = base.m;
    c.src_base = &base;
    c.dir = dir;
    c.t = t;
    c.idx = &idx;
    c.groups = calloc(base.m->n_fragments + 1, sizeof *c.groups);
    if (c.groups == NULL) rc = lp_error_set(err, LP_ENOMEM, "out of memory");
  }
  /* groups of neighbouring candidates */
  uint64_t target = o.max_rows_per_file;
  uint64_t rewritten = 0;
  for (size_t i = 0; rc == LP_OK && i < base.m->n_fragments;) {
    if (!is_candidate(&base.m->fragments[i], target, &idx)) {
      i++;
      continue;
    }
    size_t start = i;
    uint64_t sum = 0;
    bool dels = false;
    while (i < base.m->n_fragments) {
      const lp__fragment *g = &base.m->fragments[i];
      uint64_t gl = live_rows(g);
      if (!is_candidate(g, target, &idx) || (i > start && sum + gl > target) ||
          !same_coverage(&base.m->fragments[start], g, &idx))
        break;
      sum += gl;
      dels |= g->has_deletion;
      i++;
    }
    if (i - start == 1 && !dels) continue; /* nothing to gain */
    group *g = &c.groups[c.n_groups++];
    g->first = start;
    g->n = i - start;
    struct ArrowArray *all = NULL;
    size_t n_all = 0;
    for (size_t j = start; rc == LP_OK && j < i; j++) {
      struct ArrowArray *b = NULL;
      size_t nb = 0;
      rc = lp__frag_live_batches(t, &base.m->fragments[j], NULL, 0, &b, &nb, err);
      if (rc != LP_OK) break;
      struct ArrowArray *na = realloc(all, (n_all + nb + 1) * sizeof *na);
      if (na == NULL) {
        lp__batches_free(b, nb);
        rc = lp_error_set(err, LP_ENOMEM, "out of memory");
        break;
      }
      all = na;
      memcpy(all + n_all, b, nb * sizeof *b);
      n_all += nb;
      free(b);
    }
    if (rc == LP_OK) rc = lp__write_batches(dir, &base.m->schema, &o, c.version, all, n_all, &g->files, err);
    lp__batches_free(all, n_all);
    rewritten += g->n;
  }
  if (rc == LP_OK && c.n_groups == 0) {
    *out_version = base.version;
  } else if (rc == LP_OK) {
    lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(dir, &co, prepare_rewrite, &c, out_version, err);
  }
  lp__index_remap_out_reset(dir, &c.remap, rc != LP_OK);
  for (size_t k = 0; k < c.n_groups; k++) {
    if (rc != LP_OK) lp__written_unlink(dir, &c.groups[k].files);
    lp__written_reset(&c.groups[k].files);
  }
  free(c.groups);
  lp__index_list_reset(&idx);
  if (out_rewritten) *out_rewritten = rc == LP_OK ? rewritten : 0;
  lp_table_close(t);
  if (base.file) lp__base_reset(&base);
  if (rc != LP_OK) lp_error_wrap(err, "compact %s: ", name);
  lp__table_dir_free(dir);
  return rc;
}
