/* A local disk cache of immutable objects of object storage (data files, deletion files, index files and
 * transactions: their names are never reused for other bytes), shared by every process that uses the
 * same folder. One file per object, named by the SHA-256 of its location; written to a temporary name and
 * renamed into place, so a reader sees a whole object or none; last use is the file's mtime; an eviction
 * pass under flock() removes the least recently used files once the folder holds more than its byte
 * budget. Written here: no Debian library offers a cross-process disk cache of byte ranges. Internal;
 * thread-safe. */
#ifndef LP_IO_DISK_CACHE_H
#define LP_IO_DISK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__disk_cache lp__disk_cache;

/* Open (making it when missing) the cache folder dir with a budget of budget_bytes (0 = 1 GiB). */
lp_status lp__disk_cache_open(const char *dir, uint64_t budget_bytes, lp__disk_cache **out, lp_error *err);
void lp__disk_cache_close(lp__disk_cache *c);

/* Whether the object at path (relative to a table store) is immutable, and so may be cached. */
bool lp__disk_cache_wants(const char *path);

/* Bytes [offset, offset+length) of the cached object `location` (length < 0: to its end) into a new
 * malloc'd buffer. false when the object is not cached (a miss). */
bool lp__disk_cache_get(lp__disk_cache *c, const char *location, uint64_t offset, int64_t length, uint8_t **out,
                        size_t *out_len);

/* Store the whole object (best effort: a failure only means no caching), then evict when over budget.
 * Objects larger than an eighth of the budget are not kept. */
void lp__disk_cache_put(lp__disk_cache *c, const char *location, const uint8_t *data, size_t len);
/* The largest object the cache keeps. */
uint64_t lp__disk_cache_max_object(const lp__disk_cache *c);

/* Process-wide counters over every cache: reads served from disk (hits), reads that went to the store
 * (misses), objects stored and evicted. */
typedef struct lp__disk_cache_stats {
  uint64_t hits, misses, stored, evicted;
} lp__disk_cache_stats;
void lp__disk_cache_stats_get(lp__disk_cache_stats *out);

#endif
