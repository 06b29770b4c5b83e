/* Schemas on the write path: building the engine's field tree (lance/schema.h) from an Arrow C schema or
 * from the CLI's text spec, building its lance.file.Field messages (protobuf-c), and checking that incoming Arrow data matches it. Internal; thread-compatible. */
#ifndef LP_FORMAT_WRITE_SCHEMA_H
#define LP_FORMAT_WRITE_SCHEMA_H

#include "io/arena.h"
#include "file.pb-c.h"
#include "format/schema.h"
#include "lancepool/arrow_c.h"

/* Build *out from an Arrow struct schema ("+s"), one top-level field per child. Field ids come from
 * "lance:field_id" metadata when every field has it, else are assigned 0, 1, ... in pre-order.
 * LP_EUNSUPPORTED names a type the engine cannot write. Free with lp__wschema_reset. */
lp_status lp__wschema_from_arrow(const struct ArrowSchema *schema, lp__schema *out, lp_error *err);

/* Parse the CLI type language: "id:int64 not null, text:utf8, v:vector(384), s:struct<a: int32, b: utf8>". */
lp_status lp__wschema_parse_spec(const char *spec, lp__schema *out, lp_error *err);

/* The fields as lance.file.Field messages (pre-order, parents first), allocated in arena `a`; strings are
 * copied, metadata values borrowed from s (which must outlive the messages). */
lp_status lp__wschema_to_pb(const lp__schema *s, lp__arena *a, Lance__File__Field ***out, size_t *out_n,
                            lp_error *err);

/* The schema-level metadata as map entries of message type entry_desc (any map<string, bytes> entry). */
lp_status lp__wschema_metadata_to_pb(const lp__schema *s, lp__arena *a, const ProtobufCMessageDescriptor *entry_desc,
                                     void ***out, size_t *out_n, lp_error *err);

/* The schema as a packed lance.file.Schema message (malloc'd; caller frees). */
lp_status lp__wschema_pack(const lp__schema *s, uint8_t **out, size_t *out_len, lp_error *err);

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
