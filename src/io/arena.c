/* The arena allocator (see arena.h). */
#include "io/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_BYTES 65536

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} arena_block;

struct lp__arena {
  arena_block *head;
  bool failed;
};

lp__arena *lp__arena_new(void) { return calloc(1, sizeof(lp__arena)); }

void lp__arena_free(lp__arena *a) {
  if (a == NULL) return;
  for (arena_block *b = a->head, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  free(a);
}

void *lp__arena_alloc(lp__arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  arena_block *b = a->head;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
    b = malloc(sizeof *b + cap);
    if (b == NULL) {
      a->failed = true;
      return NULL;
    }
    b->used = 0;
    b->cap = cap;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *lp__arena_strdup(lp__arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = lp__arena_alloc(a, n);
  if (d) memcpy(d, s, n);
  return d;
}

bool lp__arena_failed(const lp__arena *a) { return a->failed; }

void *lp__arena_msg(lp__arena *a, const ProtobufCMessageDescriptor *desc) {
  void *m = lp__arena_alloc(a, desc->sizeof_message);
  if (m) protobuf_c_message_init(desc, m);
  return m;
}

void lp__ptrvec_push(lp__arena *a, lp__ptrvec *vec, void *p) {
  if (vec->n == vec->cap) {
    size_t cap = vec->cap ? vec->cap * 2 : 8;
    void **nv = lp__arena_alloc(a, cap * sizeof *nv);
    if (nv == NULL) return; /* the arena remembers the failure */
    if (vec->n) memcpy(nv, vec->v, vec->n * sizeof *nv);
    vec->v = nv;
    vec->cap = cap;
  }
  vec->v[vec->n++] = p;
}
