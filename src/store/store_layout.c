/* The store's view of a table's columns: which column is the id, the vector, the text and the path (named
 * by lp_store_config.columns or by default), whether the store layout's metadata/created_at columns are
 * there, and every other column as an extra column read into and written from named values. Resolved
 * once when the store opens, from the table's schema. */
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "store/store_int.h"

static const char *const default_names[LP__N_COLS] = {"id", "path", "text", "vector", "metadata", "created_at"};

static bool is_string(lp__type t) { return t == LP__TYPE_UTF8 || t == LP__TYPE_LARGE_UTF8; }

bool lp__store_value_type_fits(const lp__field *f, lp_store_value_type *out_type) {
  switch (f->type) {
  case LP__TYPE_UTF8:
  case LP__TYPE_LARGE_UTF8: *out_type = LP_STORE_VALUE_STRING; return true;
  case LP__TYPE_INT8: case LP__TYPE_INT16: case LP__TYPE_INT32: case LP__TYPE_INT64:
  case LP__TYPE_UINT8: case LP__TYPE_UINT16: case LP__TYPE_UINT32: case LP__TYPE_UINT64:
  case LP__TYPE_DATE32: case LP__TYPE_TIMESTAMP: *out_type = LP_STORE_VALUE_INT; return true;
  case LP__TYPE_FLOAT32: case LP__TYPE_FLOAT64: *out_type = LP_STORE_VALUE_FLOAT; return true;
  case LP__TYPE_BOOL: *out_type = LP_STORE_VALUE_BOOL; return true;
  default: return false;
  }
}

const lp_store_value *lp__store_record_value(const lp_store_record *r, const char *name) {
  for (size_t i = 0; i < r->n_values; i++)
    if (r->values[i].name != NULL && strcmp(r->values[i].name, name) == 0) return &r->values[i];
  return NULL;
}

int lp__store_layout_role(const lp__store_layout *lay, const char *name) {
  for (int k = 0; k < LP__N_COLS; k++)
    if (lay->role[k] != NULL && strcmp(lay->role[k], name) == 0) return k;
  return LP__COL_EXTRA;
}

void lp__store_layout_free(lp__store_layout *lay) {
  if (lay == NULL) return;
  lp__schema_reset(&lay->schema);
  free(lay->readable);
  free(lay);
}

/* Check the column playing role k (found f) has the role's type. */
static lp_status check_role_type(const char *table, int k, const lp__field *f, uint32_t dim, lp_error *err) {
  bool ok;
  switch (k) {
  case LP__COL_VECTOR:
    ok = f->type == LP__TYPE_FIXED_SIZE_LIST && f->elem_type == LP__TYPE_FLOAT32 &&
         (dim == 0 || (uint32_t)f->list_size == dim);
    if (!ok)
      return lp_error_set(err, LP_EINVAL, "table %s: vector column '%s' is %s, expected fixed_size_list:float:%u",
                          table, f->name, f->logical_type, dim);
    return LP_OK;
  case LP__COL_CREATED_AT: ok = f->type == LP__TYPE_TIMESTAMP; break;
  default: ok = is_string(f->type); break;
  }
  if (!ok)
    return lp_error_set(err, LP_EINVAL, "table %s: %s column '%s' has type %s, expected %s", table,
                        default_names[k], f->name, f->logical_type, k == LP__COL_CREATED_AT ? "a timestamp" : "utf8");
  return LP_OK;
}

/* Find each role's column. A role named explicitly must exist; id and vector always; the others are
 * optional under their default names. metadata and created_at keep their default names (they are the
 * store layout's, not a caller's mapping), and are roles only with their types. */
static lp_status find_roles(lp__store_layout *lay, const char *table, const lp_store_columns *cols, lp_error *err) {
  const char *asked[LP__N_COLS] = {0};
  if (cols != NULL) {
    asked[LP__COL_ID] = cols->id;
    asked[LP__COL_VECTOR] = cols->vector;
    asked[LP__COL_TEXT] = cols->text;
    asked[LP__COL_PATH] = cols->path;
  }
  for (int k = 0; k < LP__N_COLS; k++) {
    const char *name = asked[k] != NULL ? asked[k] : default_names[k];
    const lp__field *f = lp__schema_find(&lay->schema, name);
    bool required = asked[k] != NULL || k == LP__COL_ID || k == LP__COL_VECTOR;
    if (f == NULL && required)
      return lp_error_set(err, LP_EINVAL, "table %s: no column '%s' for the store's %s", table, name,
                          default_names[k]);
    if (f == NULL) continue;
    if (strchr(f->name, '`') != NULL)
      return lp_error_set(err, LP_EINVAL, "table %s: column name '%s' has a backquote", table, f->name);
    if (k == LP__COL_METADATA || k == LP__COL_CREATED_AT) {
      if (k == LP__COL_METADATA ? !is_string(f->type) : f->type != LP__TYPE_TIMESTAMP) continue; /* an extra */
    } else {
      LP_TRY(check_role_type(table, k, f, lay->dim, err));
    }
    for (int j = 0; j < k; j++)
      if (lay->role[j] != NULL && strcmp(lay->role[j], f->name) == 0)
        return lp_error_set(err, LP_EINVAL, "table %s: column '%s' cannot be both the %s and the %s", table, f->name,
                            default_names[j], default_names[k]);
    lay->role[k] = f->name;
  }
  return LP_OK;
}

/* The columns rows can hold: every role and every extra column of a value type, in schema order. */
static lp_status list_readable(lp__store_layout *lay, lp_error *err) {
  lay->readable = malloc((lay->schema.n_fields + 1) * sizeof *lay->readable);
  if (lay->readable == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  for (size_t i = 0; i < lay->schema.n_fields; i++) {
    const lp__field *f = &lay->schema.fields[i];
    lp_store_value_type vt;
    if (lp__store_layout_role(lay, f->name) != LP__COL_EXTRA || lp__store_value_type_fits(f, &vt))
      lay->readable[lay->n_readable++] = f->name;
  }
  return LP_OK;
}

lp_status lp__store_layout_resolve(lp_table *t, uint32_t dim, const lp_store_columns *cols, lp__store_layout **out,
                                   lp_error *err) {
  *out = NULL;
  lp__store_layout *lay = calloc(1, sizeof *lay);
  if (lay == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  lay->dim = dim;
  lp_status rc = lp__schema_copy(&t->m->schema, &lay->schema, err);
  if (rc == LP_OK) rc = find_roles(lay, lp_table_name(t), cols, err);
  if (rc == LP_OK && dim == 0) {
    lay->dim = (uint32_t)lp__schema_find(&lay->schema, lay->role[LP__COL_VECTOR])->list_size;
  }
  if (rc == LP_OK) rc = list_readable(lay, err);
  if (rc != LP_OK) {
    lp__store_layout_free(lay);
    return rc;
  }
  *out = lay;
  return LP_OK;
}

lp_status lp__store_conn_layout(lp_db *db, const char *table, uint32_t dim, const lp_store_columns *cols,
                                lp__store_layout **out, lp_error *err) {
  *out = NULL;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, table, LP_VERSION_LATEST, &t, err));
  lp_status rc = lp__store_layout_resolve(t, dim, cols, out, err);
  lp_table_close(t);
  return rc;
}
