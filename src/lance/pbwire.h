/* Protobuf at the wire level, for the write path: a growable byte buffer with varint/tag/length-delimited
 * encoders, and a bounds-checked field walker over encoded bytes. Internal.
 *
 * Why by hand next to protobuf-c: a commit must carry every field of the previous manifest over verbatim
 * (also fields this code does not know) and must write "optional" fields with value 0 explicitly, as
 * LanceDB does (max_fragment_id, transaction_section). Splicing raw fields does both with no schema
 * knowledge; the read path decodes with protobuf-c. Thread-compatible: no shared state. */
#ifndef LP_LANCE_PBWIRE_H
#define LP_LANCE_PBWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__buf {
  uint8_t *data; /* owned */
  size_t len;
  size_t cap;
  bool failed;   /* an allocation failed; every later append is a no-op */
} lp__buf;

void lp__buf_init(lp__buf *b);
void lp__buf_reset(lp__buf *b);
/* Append bytes; on allocation failure sets b->failed (checked once at the end by lp__buf_status). */
void lp__buf_put(lp__buf *b, const void *p, size_t n);
void lp__buf_fill(lp__buf *b, uint8_t byte, size_t n);
void lp__buf_u16le(lp__buf *b, uint16_t v);
void lp__buf_u32le(lp__buf *b, uint32_t v);
void lp__buf_u64le(lp__buf *b, uint64_t v);
/* Pad with `byte` until len is a multiple of `align`. */
void lp__buf_align(lp__buf *b, size_t align, uint8_t byte);
/* LP_ENOMEM (naming `what`) when an append failed, else LP_OK. */
lp_status lp__buf_status(const lp__buf *b, const char *what, lp_error *err);

/* Encoders. Wire types: 0 varint, 2 length-delimited. */
void lp__pb_varint(lp__buf *b, uint64_t v);
void lp__pb_tag(lp__buf *b, uint32_t field, uint32_t wire_type);
void lp__pb_u64(lp__buf *b, uint32_t field, uint64_t v);               /* written even when 0 */
void lp__pb_u64_nz(lp__buf *b, uint32_t field, uint64_t v);            /* omitted when 0 (proto3 default) */
void lp__pb_i32(lp__buf *b, uint32_t field, int32_t v);                /* negative: 10-byte varint */
void lp__pb_bytes(lp__buf *b, uint32_t field, const void *p, size_t n);
void lp__pb_str(lp__buf *b, uint32_t field, const char *s);
void lp__pb_packed_u64(lp__buf *b, uint32_t field, const uint64_t *v, size_t n);
void lp__pb_packed_i32(lp__buf *b, uint32_t field, const int32_t *v, size_t n);
/* A sub-message: field tag + length + the bytes of `msg`. */
void lp__pb_msg(lp__buf *b, uint32_t field, const lp__buf *msg);

/* Walking encoded fields. */
typedef struct lp__pb_field {
  uint32_t number;
  uint32_t wire_type;
  uint64_t varint;     /* wire type 0 */
  const uint8_t *data; /* wire type 2: the payload; for every type: raw = whole field incl. tag */
  size_t len;
  const uint8_t *raw;
  size_t raw_len;
} lp__pb_field;

typedef struct lp__pb_reader {
  const uint8_t *p;
  size_t left;
} lp__pb_reader;

/* Next field; *out_done is set at the end. LP_ECORRUPT (prefixed by `what`) on truncated or malformed
 * bytes, or on wire types 3/4 (groups). */
lp_status lp__pb_next(lp__pb_reader *r, lp__pb_field *f, bool *out_done, const char *what, lp_error *err);
/* Decode a varint from a packed payload. */
lp_status lp__pb_read_varint(lp__pb_reader *r, uint64_t *out, const char *what, lp_error *err);

#endif
