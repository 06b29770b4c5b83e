/* A growable byte buffer for assembling file bytes (data file pages, footers). Not protobuf: messages are
 * built and packed with protobuf-c. Internal; thread-compatible. */
#ifndef LP_IO_BUF_H
#define LP_IO_BUF_H

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

#endif
