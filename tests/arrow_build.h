/* Test helper: hand-built Arrow C arrays (primitive, boolean, string, list, struct) with validity bitmaps, for
 * the predicate tests and fuzz target. Each array owns its buffers and children; release frees them.
 * Header-only, static functions. */
#ifndef LP_TEST_ARROW_BUILD_H
#define LP_TEST_ARROW_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lancepool/arrow_c.h"

static inline void ab_release(struct ArrowArray *a) {
  if (a == NULL || a->release == NULL) return;
  for (int64_t i = 0; i < a->n_buffers; i++) free((void *)a->buffers[i]);
  free(a->buffers);
  for (int64_t i = 0; i < a->n_children; i++) {
    a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  a->release = NULL;
}

static inline void *ab_xmalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (p == NULL) abort();
  return p;
}

static inline struct ArrowArray *ab_new(int64_t n, int n_buffers) {
  struct ArrowArray *a = ab_xmalloc(sizeof *a);
  a->length = n;
  a->n_buffers = n_buffers;
  a->buffers = ab_xmalloc(sizeof(void *) * (size_t)(n_buffers ? n_buffers : 1));
  a->release = ab_release;
  return a;
}

/* Validity from is_null[] (may be NULL: all valid). */
static inline void ab_set_validity(struct ArrowArray *a, const bool *is_null) {
  if (is_null == NULL) return;
  uint8_t *bm = ab_xmalloc((size_t)(a->length + 7) / 8);
  int64_t nulls = 0;
  for (int64_t i = 0; i < a->length; i++) {
    if (is_null[i]) nulls++;
    else bm[i / 8] |= (uint8_t)(1u << (i % 8));
  }
  a->buffers[0] = bm;
  a->null_count = nulls;
}

/* A fixed-width primitive array copying n values of elem_size bytes. */
static inline struct ArrowArray *ab_prim(int64_t n, size_t elem_size, const void *values, const bool *is_null) {
  struct ArrowArray *a = ab_new(n, 2);
  void *d = ab_xmalloc((size_t)n * elem_size);
  if (n) memcpy(d, values, (size_t)n * elem_size);
  a->buffers[1] = d;
  ab_set_validity(a, is_null);
  return a;
}

static inline struct ArrowArray *ab_bool(int64_t n, const bool *values, const bool *is_null) {
  struct ArrowArray *a = ab_new(n, 2);
  uint8_t *bm = ab_xmalloc((size_t)(n + 7) / 8);
  for (int64_t i = 0; i < n; i++)
    if (values[i]) bm[i / 8] |= (uint8_t)(1u << (i % 8));
  a->buffers[1] = bm;
  ab_set_validity(a, is_null);
  return a;
}

/* utf8 / binary (large: 64-bit offsets); values[i] == NULL is a null. lens may be NULL (strlen). */
static inline struct ArrowArray *ab_str(int64_t n, const char *const *values, const size_t *lens, bool large) {
  struct ArrowArray *a = ab_new(n, 3);
  size_t total = 0;
  bool *is_null = ab_xmalloc((size_t)n + 1);
  for (int64_t i = 0; i < n; i++) {
    is_null[i] = values[i] == NULL;
    if (values[i]) total += lens ? lens[i] : strlen(values[i]);
  }
  uint8_t *data = ab_xmalloc(total);
  void *offs = ab_xmalloc((size_t)(n + 1) * (large ? 8 : 4));
  size_t at = 0;
  for (int64_t i = 0; i <= n; i++) {
    if (large) ((int64_t *)offs)[i] = (int64_t)at;
    else ((int32_t *)offs)[i] = (int32_t)at;
    if (i < n && values[i]) {
      size_t l = lens ? lens[i] : strlen(values[i]);
      memcpy(data + at, values[i], l);
      at += l;
    }
  }
  a->buffers[1] = offs;
  a->buffers[2] = data;
  ab_set_validity(a, is_null);
  free(is_null);
  return a;
}

/* A struct array taking ownership of children[0..n_children). */
static inline struct ArrowArray *ab_struct(int64_t n, struct ArrowArray **children, int64_t n_children,
                                    const bool *is_null) {
  struct ArrowArray *a = ab_new(n, 1);
  a->n_children = n_children;
  a->children = ab_xmalloc(sizeof(void *) * (size_t)(n_children ? n_children : 1));
  for (int64_t i = 0; i < n_children; i++) a->children[i] = children[i];
  ab_set_validity(a, is_null);
  return a;
}

/* A list array (large: 64-bit offsets) over offs[0..n] into items, taking ownership of items. */
static inline struct ArrowArray *ab_list(int64_t n, const int64_t *offs, struct ArrowArray *items, const bool *is_null,
                                         bool large) {
  struct ArrowArray *a = ab_new(n, 2);
  void *o = ab_xmalloc((size_t)(n + 1) * (large ? 8 : 4));
  for (int64_t i = 0; i <= n; i++) {
    if (large) ((int64_t *)o)[i] = offs[i];
    else ((int32_t *)o)[i] = (int32_t)offs[i];
  }
  a->buffers[1] = o;
  a->n_children = 1;
  a->children = ab_xmalloc(sizeof(void *));
  a->children[0] = items;
  ab_set_validity(a, is_null);
  return a;
}

/* A fixed-size list array of n lists (items->length / n items each), taking ownership of items. */
static inline struct ArrowArray *ab_fixed_list(int64_t n, struct ArrowArray *items, const bool *is_null) {
  struct ArrowArray *a = ab_new(n, 1);
  a->n_children = 1;
  a->children = ab_xmalloc(sizeof(void *));
  a->children[0] = items;
  ab_set_validity(a, is_null);
  return a;
}

static inline void ab_free(struct ArrowArray *a) {
  if (a == NULL) return;
  if (a->release) a->release(a);
  free(a);
}

#endif
