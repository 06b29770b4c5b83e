/* Rows rewritten in one Update transaction, as LanceDB's update and mergeInsert write them (update mode
 * "rewrite rows"): rows leave their fragments through deletion files (or the whole fragment goes when no
 * row is left), their replacements and any new rows arrive as new fragments. Shared by update.c and
 * merge.c. Internal. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "table/table.h"
#include "write/write_int.h"

lp_status lp__rewrite_init(lp__rewrite *rw, lp__plan *plan, size_t n_fragments, lp_error *err) {
  memset(rw, 0, sizeof *rw);
  rw->removed = lp__arena_alloc(plan->arena, (n_fragments + 1) * sizeof *rw->removed);
  return rw->removed ? LP_OK : lp_error_set(err, LP_ENOMEM, "out of memory");
}

lp_status lp__rewrite_fragment(lp__rewrite *rw, lp__plan *plan, const char *dir, const lp__base *base, size_t i,
                               const lp__frag_reader *r, const uint32_t *gone, size_t n_gone, bool durable,
                               char ***written, size_t *n_written, lp_error *err) {
  const lp__fragment *f = r->frag;
  if (n_gone == 0) {
    lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
    rw->any_deletion |= f->has_deletion;
    return LP_OK;
  }
  size_t n_union = 0;
  uint32_t *all = lp__rows_union(r->deleted ? r->deleted->rows : NULL, r->deleted ? r->deleted->n_rows : 0, gone,
                                 n_gone, &n_union);
  if (all == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  lp_status rc = LP_OK;
  if (n_union >= f->physical_rows) {
    rw->removed[rw->n_removed++] = f->id;
  } else {
    lp__deletion_ref d;
    rc = lp__plan_deletion(plan, dir, base, i, f->id, f->has_deletion && f->deletion_kind == LP__DELETION_BITMAP, all,
                           n_union, durable, &rw->updated, written, n_written, &d, err);
    rw->any_deletion = true;
  }
  free(all);
  return rc;
}

lp_status lp__rewrite_finish(lp__rewrite *rw, lp__plan *plan, const char *dir, const lp__base *base,
                             const lp__written *files, const uint32_t *field_ids, size_t n_field_ids, const char *what,
                             lp_error *err) {
  Lance__Table__Transaction__Update *op = lp__arena_msg(plan->arena, &lance__table__transaction__update__descriptor);
  uint32_t *fields = lp__arena_alloc(plan->arena, (n_field_ids + 1) * sizeof *fields);
  if (op == NULL || fields == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  if (n_field_ids) memcpy(fields, field_ids, n_field_ids * sizeof *fields);
  bool has_max;
  uint64_t max_id, next = lp__next_fragment_id(base, &has_max, &max_id);
  lp__ptrvec added = {0};
  LP_TRY(lp__plan_add_files(plan, dir, files, next, &added, err));
  op->n_removed_fragment_ids = rw->n_removed;
  op->removed_fragment_ids = rw->removed;
  op->n_updated_fragments = rw->updated.n;
  op->updated_fragments = (Lance__Table__DataFragment **)rw->updated.v;
  op->n_new_fragments = added.n;
  op->new_fragments = (Lance__Table__DataFragment **)added.v;
  op->n_fields_for_preserving_frag_bitmap = n_field_ids;
  op->fields_for_preserving_frag_bitmap = fields;
  plan->op_msg = &op->base;
  plan->has_max_fragment_id = has_max || files->n > 0;
  plan->max_fragment_id = files->n ? next + files->n - 1 : max_id;
  plan->has_deletions = rw->any_deletion;
  plan->keep_index = true;
  plan->op = LP__OP_UPDATE;
  return lp__plan_status(plan, what, err);
}

lp_status lp__frag_read_rows(lp_table *t, lp__frag_reader *r, const uint32_t *rows, size_t n, struct ArrowArray *cols,
                             lp_error *err) {
  const lp__schema *s = &t->m->schema;
  uint64_t *at = malloc((n + 1) * sizeof *at);
  if (at == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) at[i] = rows[i];
  lp_status rc = LP_OK;
  size_t got = 0;
  for (size_t k = 0; rc == LP_OK && k < s->n_fields; k++) {
    struct ArrowSchema fs;
    rc = lp__field_to_arrow(&s->fields[k], &fs, err);
    if (rc != LP_OK) break;
    rc = lp__frag_read_field(t, r, &s->fields[k], &fs, at[0], at, n, &cols[k], err);
    fs.release(&fs);
    if (rc == LP_OK) got++;
  }
  if (rc != LP_OK)
    for (size_t k = 0; k < got; k++) lp__arrow_release(&cols[k]);
  free(at);
  return rc;
}
