/* One storage interface for table files: a local folder, an S3 prefix, or memory (for tests). Paths are
 * relative to the store's root and use '/'. Reads are ranges or whole objects; writes are whole objects,
 * optionally only if absent (the commit primitive: a local link(), an S3 If-None-Match PUT); listings give
 * the immediate children of a folder in lexical order, as S3 lists them.
 *
 * The engine reads databases given as s3:// URIs through it; local folders it still reads with its own
 * open()/pread() path, unchanged (README, "Object storage"). Internal; a store is thread-safe. */
#ifndef LP_IO_STORAGE_H
#define LP_IO_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/s3.h"
#include "lancepool/error.h"

typedef struct lp__storage lp__storage;

/* Open a store for uri: "s3://bucket/prefix" (s3_options required: endpoint, keys, ...), "memory://"
 * (a fresh empty store), or a local folder path (which must exist). Caller owns *out; close with
 * lp__storage_close(). */
lp_status lp__storage_open(const char *uri, const lp__s3_options *s3_options, lp__storage **out, lp_error *err);
void lp__storage_close(lp__storage *st);

/* Bytes of path: the whole object when length < 0, else up to length bytes from offset. New malloc'd
 * buffer; LP_ENOTFOUND when the object does not exist. */
lp_status lp__storage_read(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                           size_t *out_len, lp_error *err);

lp_status lp__storage_size(lp__storage *st, const char *path, uint64_t *out_size, lp_error *err);

/* Write the whole object. With if_absent, LP_ECONFLICT when path exists (nothing is changed then). */
lp_status lp__storage_put(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent,
                          lp_error *err);

/* Remove an object; an absent one is not an error (as S3). */
lp_status lp__storage_delete(lp__storage *st, const char *path, lp_error *err);

/* The immediate children of folder dir ("" = the root): objects by name, sub-folders by name with a
 * trailing '/', in lexical (byte) order. fn returning non-LP_OK stops the listing with that status. */
typedef lp_status (*lp__storage_list_fn)(void *ctx, const char *name, uint64_t size_bytes, lp_error *err);
lp_status lp__storage_list(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err);

/* "local", "s3" or "memory". */
const char *lp__storage_kind(const lp__storage *st);

#endif
