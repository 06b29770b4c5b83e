/* A bump allocator for the protobuf-c messages that commits and the data-file writer build, and a growable
 * pointer array inside it. Internal; one thread per arena. */
#ifndef LP_IO_ARENA_H
#define LP_IO_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* A bump allocator for the protobuf-c messages a commit builds: everything is freed at once by
 * lp__arena_free, so a message tree may mix new parts with parts borrowed from an unpacked manifest. */
typedef struct lp__arena lp__arena;
lp__arena *lp__arena_new(void);
void lp__arena_free(lp__arena *a);
/* Zeroed memory (NULL when out of memory; the arena then remembers the failure, see lp__arena_failed). */
void *lp__arena_alloc(lp__arena *a, size_t n);
char *lp__arena_strdup(lp__arena *a, const char *s);
bool lp__arena_failed(const lp__arena *a);
/* A new message of `desc`, initialized to its defaults. */
void *lp__arena_msg(lp__arena *a, const ProtobufCMessageDescriptor *desc);

/* A growable array of pointers in an arena (a repeated message field being built). */
typedef struct lp__ptrvec {
  void **v;
  size_t n, cap;
} lp__ptrvec;
/* Append p; on allocation failure the arena's failure flag is set. */
void lp__ptrvec_push(lp__arena *a, lp__ptrvec *vec, void *p);

#endif
