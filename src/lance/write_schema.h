/* Schemas on the write path: building the engine's field tree (lance/schema.h) from an Arrow C schema or
 * from the CLI's text spec, encoding it as lance.file.Field messages, decoding it back from a manifest,
 * and checking that incoming Arrow data matches it. Internal; thread-compatible. */
#ifndef LP_LANCE_WRITE_SCHEMA_H
#define LP_LANCE_WRITE_SCHEMA_H

#include "lance/pbwire.h"
#include "lance/schema.h"
#include "lancepool/arrow_c.h"

/* Build *out from an Arrow struct schema ("+s"), one top-level field per child. Field ids come from
 * "lance:field_id" metadata when every field has it, else are assigned 0, 1, ... in pre-order.
 * LP_EUNSUPPORTED names a type the engine cannot write. Free with lp__wschema_reset. */
lp_status lp__wschema_from_arrow(const struct ArrowSchema *schema, lp__schema *out, lp_error *err);

/* Parse the CLI type language: "id:int64 not null, text:utf8, v:vector(384), s:struct<a: int32, b: utf8>". */
lp_status lp__wschema_parse_spec(const char *spec, lp__schema *out, lp_error *err);

/* Append one lance.file.Field message per field (pre-order) as repeated field `field_number` of `b`. */
void lp__wschema_encode_fields(const lp__schema *s, lp__buf *b, uint32_t field_number);

/* Append a schema_metadata map (repeated field `field_number`, entries {1 key, 2 bytes}). */
void lp__wschema_encode_metadata(const lp__schema *s, lp__buf *b, uint32_t field_number);

/* Rebuild the tree from Field messages (each `fields[i]` the payload of one Field). */
lp_status lp__wschema_decode_fields(const lp__pb_field *fields, size_t n, lp__schema *out, lp_error *err);

/* The highest field id in the schema (-1 when empty). */
int32_t lp__wschema_max_id(const lp__schema *s);

/* Check that `arrow` (a "+s" schema) has the table's columns, in order, with matching types. */
lp_status lp__wschema_check_arrow(const lp__schema *s, const struct ArrowSchema *arrow, lp_error *err);

/* Arrow schema for the table (ids in "lance:field_id" metadata). Caller releases *out. */
lp_status lp__wschema_to_arrow(const lp__schema *s, struct ArrowSchema *out, lp_error *err);

/* Bytes per value of a fixed-width leaf (bool: 0, meaning one bit); 0 for variable-width types. */
size_t lp__wtype_width(lp__type t);
bool lp__wtype_is_varwidth(lp__type t);

void lp__wschema_reset(lp__schema *s);
lp_status lp__wschema_copy(const lp__schema *src, lp__schema *dst, lp_error *err);

#endif
