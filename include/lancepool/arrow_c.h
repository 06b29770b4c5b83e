/* The Arrow C Data Interface and C Stream Interface: the ABI-stable structs through which lancepool hands
 * columns to callers (DuckDB, pyarrow, polars, nanoarrow, ...) without copying. The layouts are fixed by
 * the Arrow specification; the guard macros are the ones every implementation uses, so including this
 * next to another copy of the definitions is harmless. */
#ifndef LANCEPOOL_ARROW_C_H
#define LANCEPOOL_ARROW_C_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

/* A type: format string ("l" int64, "u" utf8, "+w:384" fixed-size list, "+s" struct, ...), name, flags and
 * children. The producer fills release; the consumer calls it once and then release is NULL. */
struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

/* Values of one array: length, null count, offset, buffers (validity first) and children. */
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

/* A stream of struct arrays (record batches) sharing one schema. get_next sets out->release to NULL at
 * the end of the stream. Callbacks return 0 or an errno value; get_last_error explains the last one. */
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_ARROW_C_H */
