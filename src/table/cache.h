/* A thread-safe LRU cache of reference-counted values under a byte budget, keyed by strings. Internal.
 *
 * The cache holds one reference to each value it stores; lookups hand out a new reference. Eviction only
 * drops the cache's own reference, so a value in use elsewhere stays alive until its last user lets go. */
#ifndef LP_TABLE_CACHE_H
#define LP_TABLE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

/* How the cache takes and drops references on one kind of value. */
typedef struct lp__cache_ops {
  void *(*ref)(void *value);
  void (*unref)(void *value);
} lp__cache_ops;

typedef struct lp__cache lp__cache;

typedef struct lp__cache_stats {
  uint64_t hits, misses, evictions;
  size_t bytes_used, bytes_budget, entries;
} lp__cache_stats;

lp_status lp__cache_create(size_t budget_bytes, lp__cache **out, lp_error *err);
void lp__cache_destroy(lp__cache *c); /* drops every held reference; accepts NULL */

/* A new reference to the value stored under key, or NULL (a miss). Counts a hit or a miss. Thread-safe. */
void *lp__cache_get(lp__cache *c, const char *key);

/* Store value under key, taking a new reference through ops->ref; evicts least recently used entries
 * until the budget holds. A value larger than the whole budget is not stored. When key is already
 * present the existing entry is kept (both values describe the same immutable file). Thread-safe;
 * failure to allocate just leaves the value uncached. */
void lp__cache_put(lp__cache *c, const char *key, void *value, size_t size_bytes, const lp__cache_ops *ops);

void lp__cache_stats_get(lp__cache *c, lp__cache_stats *out);

#endif
