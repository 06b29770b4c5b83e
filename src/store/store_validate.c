/* Input checks for writes: everything is checked before anything is committed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *value_type_name(lp_store_value_type t) {
  switch (t) {
  case LP_STORE_VALUE_NULL: return "null";
  case LP_STORE_VALUE_STRING: return "string";
  case LP_STORE_VALUE_INT: return "int";
  case LP_STORE_VALUE_FLOAT: return "float";
  case LP_STORE_VALUE_BOOL: return "bool";
  }
  return "unknown";
}

/* The record's named values: each names an extra column once, with a fitting type. */
static lp_status check_values(const lp_store_record *r, size_t i, const lp__store_layout *lay, lp_error *err) {
  if (r->n_values > 0 && r->values == NULL)
    return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): values is NULL", i, r->id);
  for (size_t j = 0; j < r->n_values; j++) {
    const lp_store_value *v = &r->values[j];
    const lp__field *f = v->name ? lp__schema_find(&lay->schema, v->name) : NULL;
    lp_store_value_type want = LP_STORE_VALUE_NULL;
    if (f == NULL || lp__store_layout_role(lay, f->name) != LP__COL_EXTRA || !lp__store_value_type_fits(f, &want))
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): value '%.64s' is not an extra column of "
                          "the table with a string, int, float or bool type", i, r->id, v->name ? v->name : "(NULL)");
    if (lp__store_record_value(r, v->name) != v)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): value '%.64s' is given twice", i, r->id,
                          v->name);
    if (v->type == LP_STORE_VALUE_NULL && !f->nullable)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): column '%.64s' is not nullable", i, r->id,
                          v->name);
    if (v->type != LP_STORE_VALUE_NULL && v->type != want)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): column '%.64s' takes %s values, given %s",
                          i, r->id, v->name, value_type_name(want), value_type_name(v->type));
    if (v->type == LP_STORE_VALUE_STRING && v->str == NULL)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): string value '%.64s' is NULL", i, r->id,
                          v->name);
  }
  for (size_t c = 0; c < lay->schema.n_fields; c++) { /* every non-nullable extra column given */
    const lp__field *f = &lay->schema.fields[c];
    if (!f->nullable && lp__store_layout_role(lay, f->name) == LP__COL_EXTRA && lp__store_record_value(r, f->name) == NULL)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): no value for column '%.64s', which is not "
                          "nullable", i, r->id, f->name);
  }
  return LP_OK;
}

/* Fields set for a role the table does not have. */
static lp_status check_roles_present(const lp_store_record *r, size_t i, const lp__store_layout *lay, lp_error *err) {
  const char *given = r->path && !lay->role[LP__COL_PATH]   ? "path"
                      : r->text && !lay->role[LP__COL_TEXT] ? "text"
                      : r->metadata && !lay->role[LP__COL_METADATA] ? "metadata" : NULL;
  if (given != NULL)
    return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): %s given, but the table has no %s column", i,
                        r->id, given, given);
  return LP_OK;
}

lp_status lp__store_validate(const lp_store_record *recs, size_t n, const lp__store_layout *lay, lp_error *err) {
  if (n > 0 && recs == NULL) return lp_error_set(err, LP_EINVAL, "store: records is NULL");
  uint32_t dim = lay->dim;
  for (size_t i = 0; i < n; i++) {
    const lp_store_record *r = &recs[i];
    if (r->id == NULL || r->id[0] == '\0') return lp_error_set(err, LP_EINVAL, "store: record %zu: empty id", i);
    if (r->vector == NULL)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): vector of dimension %u is NULL", i,
                          r->id, dim);
    if (r->dim != dim)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): vector has dimension %u, the store's is %u",
                          i, r->id, r->dim, dim);
    if (r->metadata != NULL) {
      json_error_t je;
      json_t *j = json_loads(r->metadata, JSON_DECODE_ANY, &je);
      bool ok = j != NULL && json_is_object(j);
      json_decref(j);
      if (!ok)
        return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): metadata is not a JSON object%s%s", i,
                            r->id, j == NULL ? ": " : "", j == NULL ? je.text : "");
    }
    LP_TRY(check_roles_present(r, i, lay, err));
    LP_TRY(check_values(r, i, lay, err));
  }
  if (n < 2) return LP_OK;
  const char **ids = malloc(n * sizeof *ids);
  if (ids == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory checking ids");
  for (size_t i = 0; i < n; i++) ids[i] = recs[i].id;
  qsort(ids, n, sizeof *ids, cmp_str);
  lp_status rc = LP_OK;
  for (size_t i = 1; i < n && rc == LP_OK; i++)
    if (strcmp(ids[i - 1], ids[i]) == 0)
      rc = lp_error_set(err, LP_EINVAL, "store: id '%.64s' appears more than once in one call", ids[i]);
  free(ids);
  return rc;
}
