/* The engine's model of a Lance schema: a tree of fields with Lance field ids and logical types, as the
 * manifest stores it (a flat pre-order list of lance.file.Field, parents before children). Internal. */
#ifndef LP_FORMAT_SCHEMA_H
#define LP_FORMAT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

typedef enum lp__type {
  LP__TYPE_NULL,
  LP__TYPE_BOOL,
  LP__TYPE_INT8,
  LP__TYPE_INT16,
  LP__TYPE_INT32,
  LP__TYPE_INT64,
  LP__TYPE_UINT8,
  LP__TYPE_UINT16,
  LP__TYPE_UINT32,
  LP__TYPE_UINT64,
  LP__TYPE_FLOAT16,
  LP__TYPE_FLOAT32,
  LP__TYPE_FLOAT64,
  LP__TYPE_UTF8,
  LP__TYPE_LARGE_UTF8,
  LP__TYPE_BINARY,
  LP__TYPE_LARGE_BINARY,
  LP__TYPE_DATE32,
  LP__TYPE_TIMESTAMP,
  LP__TYPE_FIXED_SIZE_LIST, /* one leaf column: fixed_size_list<elem_type, list_size>, no child field */
  LP__TYPE_LIST,            /* one child field named "item" */
  LP__TYPE_LARGE_LIST,      /* one child field named "item" */
  LP__TYPE_STRUCT,          /* one child field per member */
} lp__type;

typedef enum lp__time_unit { LP__UNIT_S, LP__UNIT_MS, LP__UNIT_US, LP__UNIT_NS } lp__time_unit;

typedef struct lp__kv {
  char *key;
  uint8_t *value; /* bytes, not necessarily text */
  size_t value_len;
} lp__kv;

typedef struct lp__field lp__field;
struct lp__field {
  char *name;
  int32_t id;        /* Lance field id */
  int32_t parent_id; /* -1 for top-level fields */
  lp__type type;
  bool nullable;
  char *logical_type;    /* as stored in the manifest, e.g. "fixed_size_list:float:384" */
  lp__time_unit unit;    /* TIMESTAMP */
  char *timezone;        /* TIMESTAMP; NULL when the logical type says "-" */
  int32_t list_size;     /* FIXED_SIZE_LIST: the dimension */
  lp__type elem_type;    /* FIXED_SIZE_LIST: element type (a primitive) */
  lp__field *children;   /* LIST/LARGE_LIST: exactly one ("item"); STRUCT: the members */
  size_t n_children;
  lp__kv *metadata;      /* Arrow field metadata (lance.file.Field.metadata) */
  size_t n_metadata;
};

typedef struct lp__schema {
  lp__field *fields; /* top-level fields, in schema order */
  size_t n_fields;
  lp__kv *metadata;  /* schema-level metadata */
  size_t n_metadata;
} lp__schema;

/* Parse a logical type string ("int64", "timestamp:us:UTC", "fixed_size_list:float:384", "list", "struct",
 * ...) into f->type and the type's parameters. LP_EUNSUPPORTED names the string when it is not one of
 * the types the engine reads. */
lp_status lp__logical_type_parse(const char *logical_type, lp__field *f, lp_error *err);

/* The logical type string Lance stores for f's type (the inverse of lp__logical_type_parse). Caller frees. */
char *lp__logical_type_format(const lp__field *f);

/* Build the field tree from the manifest's flat pre-order list. Each flat[i] carries name, id, parent_id,
 * logical_type, nullable and metadata (children empty); the type is parsed here. Takes ownership of the
 * contents of every flat[i] (freed on failure too; the array itself stays the caller's). LP_ECORRUPT when
 * a parent id is unknown or not a list/struct, an id repeats, or a list has other than one child;
 * LP_EUNSUPPORTED for an unknown logical type. `where` names the manifest in messages. */
lp_status lp__schema_from_flat(lp__field *flat, size_t n, const char *where, lp__schema *out, lp_error *err);

/* Number of leaf columns f occupies in a 2.1 data file (struct and list parents have none). */
size_t lp__field_num_leaves(const lp__field *f);

/* The Lance field id of f's first leaf in pre-order (f itself for a primitive or fixed-size list); -1 for a
 * struct without members. Data files list leaf ids only, so this id locates the field's first column. */
int32_t lp__field_first_leaf_id(const lp__field *f);

/* Find a top-level field by name; NULL when absent. */
const lp__field *lp__schema_find(const lp__schema *s, const char *name);

/* Arrow C schema of one field (and its children), with the Lance field id in metadata "lance:field_id".
 * Caller owns *out. */
lp_status lp__field_to_arrow(const lp__field *f, struct ArrowSchema *out, lp_error *err);

/* Arrow C schema "+s" whose children are the given fields (a table schema or a projection). */
lp_status lp__fields_to_arrow_struct(const lp__field *const *fields, size_t n, struct ArrowSchema *out,
                                     lp_error *err);

/* Deep copy; free the copy's contents with lp__field_reset / lp__schema_reset. */
lp_status lp__field_copy(const lp__field *src, lp__field *dst, lp_error *err);
lp_status lp__schema_copy(const lp__schema *src, lp__schema *dst, lp_error *err);
void lp__field_reset(lp__field *f);
void lp__schema_reset(lp__schema *s);

/* A struct field stored packed (field metadata "lance-encoding:packed" = true): in 2.1 one column, listed
 * in the manifest under the struct's own field id. */
bool lp__field_is_packed(const lp__field *f);

#endif
