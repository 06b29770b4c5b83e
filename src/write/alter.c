/* Schema changes without data (LanceDB's alterColumns with rename / nullable, and dropColumns): one Project
 * transaction carrying the new schema, the fragments unchanged, as LanceDB 0.31.0 writes both. Data files
 * keep the columns of dropped fields (readers go by field id), as LanceDB leaves them. The changes are
 * re-applied by name to the newest schema after a lost commit race. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format/write_schema.h"
#include "table/indices.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

typedef struct alt_ctx {
  const lp_alter_options *a;
  lp__schema schema; /* the last attempt's new schema */
} alt_ctx;

static lp_status check_new_name(const lp__schema *s, const char *name, lp_error *err) {
  if (name == NULL || name[0] == '\0') return lp_error_set(err, LP_EINVAL, "a column needs a name");
  if (strchr(name, '.')) return lp_error_set(err, LP_EINVAL, "column name \"%.100s\" contains '.'", name);
  if (lp__schema_find(s, name)) return lp_error_set(err, LP_EINVAL, "there is a column \"%.100s\" already", name);
  return LP_OK;
}

static lp_status find_column(lp__schema *s, const char *name, lp__field **out, lp_error *err) {
  const lp__field *f = name ? lp__schema_find(s, name) : NULL;
  if (f == NULL) return lp_error_set(err, LP_EINVAL, "no column \"%.100s\"", name ? name : "(null)");
  *out = &s->fields[f - s->fields];
  return LP_OK;
}

/* LP_EUNSUPPORTED when an index of the base covers field id (LanceDB drops such indexes; lancepool does
 * not rewrite the index section). */
static lp_status check_not_indexed(const lp__base *base, const lp__field *f, lp_error *err) {
  if (base->index == NULL) return LP_OK;
  lp__index_list idx;
  LP_TRY(lp__index_section_decode(base->index, base->index_len, "manifest", &idx, err));
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < idx.n; i++)
    for (size_t k = 0; rc == LP_OK && k < idx.v[i].n_fields; k++)
      if (idx.v[i].fields[k] == f->id)
        rc = lp_error_set(err, LP_EUNSUPPORTED, "column \"%.100s\" has index \"%s\"; drop the index first", f->name,
                          idx.v[i].name ? idx.v[i].name : "");
  lp__index_list_reset(&idx);
  return rc;
}

static void remove_field(lp__schema *s, lp__field *f) {
  size_t i = (size_t)(f - s->fields);
  lp__field_reset(f);
  memmove(&s->fields[i], &s->fields[i + 1], (s->n_fields - i - 1) * sizeof *f);
  s->n_fields--;
}

/* Renames, then nullability, then drops, each by name on the schema as the earlier steps left it. */
static lp_status apply(const lp_alter_options *a, const lp__base *base, lp__schema *s, lp_error *err) {
  for (size_t i = 0; i < a->n_rename; i++) {
    lp__field *f = NULL;
    LP_TRY(find_column(s, a->rename_from[i], &f, err));
    LP_TRY(check_new_name(s, a->rename_to[i], err));
    char *n = strdup(a->rename_to[i]);
    if (n == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
    free(f->name);
    f->name = n;
  }
  for (size_t i = 0; i < a->n_nullable; i++) {
    lp__field *f = NULL;
    LP_TRY(find_column(s, a->nullable[i], &f, err));
    f->nullable = true;
  }
  for (size_t i = 0; i < a->n_drop; i++) {
    lp__field *f = NULL;
    LP_TRY(find_column(s, a->drop[i], &f, err));
    LP_TRY(check_not_indexed(base, f, err));
    if (s->n_fields == 1) return lp_error_set(err, LP_EINVAL, "cannot drop every column of a table");
    remove_field(s, f);
  }
  return LP_OK;
}

void lp__plan_schema_change(lp__plan *plan, const lp__base *base, const lp__schema *schema) {
  bool has_max;
  uint64_t max_id;
  (void)lp__next_fragment_id(base, &has_max, &max_id);
  plan->has_max_fragment_id = has_max;
  plan->max_fragment_id = max_id;
  plan->has_deletions = lp__base_has_deletions(base);
  plan->schema = schema;
  plan->keep_index = true;
}

static lp_status prepare_alter(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  alt_ctx *c = vctx;
  lp__wschema_reset(&c->schema);
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  LP_TRY(lp__wschema_copy(&base->m->schema, &c->schema, err));
  LP_TRY(apply(c->a, base, &c->schema, err));
  Lance__Table__Transaction__Project *op = lp__arena_msg(plan->arena, &lance__table__transaction__project__descriptor);
  if (op == NULL) return lp_error_set(err, LP_ENOMEM, "alter: out of memory");
  LP_TRY(lp__wschema_to_pb(&c->schema, plan->arena, &op->schema, &op->n_schema, err));
  for (size_t i = 0; i < base->m->n_fragments; i++)
    lp__ptrvec_push(plan->arena, &plan->fragments, base->pb->fragments[i]);
  lp__plan_schema_change(plan, base, &c->schema);
  plan->op = LP__OP_PROJECT;
  plan->op_msg = &op->base;
  return lp__plan_status(plan, "alter", err);
}

static lp_status check_options(const lp_alter_options *a, lp_error *err) {
  if (a == NULL) return lp_error_set(err, LP_EINVAL, "alter: no options");
  if (a->n_rename + a->n_drop + a->n_nullable == 0) return lp_error_set(err, LP_EINVAL, "alter: nothing to change");
  if ((a->n_rename && (a->rename_from == NULL || a->rename_to == NULL)) || (a->n_drop && a->drop == NULL) ||
      (a->n_nullable && a->nullable == NULL))
    return lp_error_set(err, LP_EINVAL, "alter: a list is NULL");
  return LP_OK;
}

lp_status lp_db_alter(lp_db *db, const char *name, const lp_alter_options *a, const lp_write_options *opts,
                      uint64_t *out_version, lp_error *err) {
  if (out_version) *out_version = 0;
  if (db == NULL || out_version == NULL) return lp_error_set(err, LP_EINVAL, "alter: a database and out_version are needed");
  if (a != NULL && a->n_add > 0) {
    if (a->n_rename + a->n_drop + a->n_nullable > 0)
      return lp_error_set(err, LP_EINVAL, "alter: new columns cannot be combined with renames, nullability or drops in "
                          "one alter (LanceDB commits them separately): run two");
    return lp__add_columns(db, name, a->add_name, a->add_value, a->n_add, opts, out_version, err);
  }
  LP_TRY(check_options(a, err));
  lp_write_options o;
  lp__wopts_resolve(opts, &o);
  char *dir = NULL;
  LP_TRY(lp__table_dir(db, name, &dir, err));
  alt_ctx c;
  memset(&c, 0, sizeof c);
  c.a = a;
  lp__commit_opts co = {o.durable, false, o.max_commit_attempts, lp__session_version_hints(db->session), NULL};
  lp_status rc = lp__commit(dir, &co, prepare_alter, &c, out_version, err);
  if (rc != LP_OK) lp_error_wrap(err, "alter %s: ", name);
  lp__wschema_reset(&c.schema);
  lp__table_dir_free(dir);
  return rc;
}
