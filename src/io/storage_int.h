/* Private to the storage files: the backend table each store kind fills in (storage_local.c, storage_s3.c,
 * storage_memory.c), and helpers they share (storage.c). */
#ifndef LP_IO_STORAGE_INT_H
#define LP_IO_STORAGE_INT_H

#include "io/storage.h"

typedef struct lp__storage_ops {
  const char *kind;
  lp_status (*read)(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                    size_t *out_len, lp_error *err);
  lp_status (*size)(lp__storage *st, const char *path, uint64_t *out, lp_error *err);
  lp_status (*put)(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent, lp_error *err);
  lp_status (*del)(lp__storage *st, const char *path, lp_error *err);
  /* Every child of dir, in any order: storage.c sorts them. */
  lp_status (*list)(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err);
  void (*close)(lp__storage *st);
} lp__storage_ops;

struct lp__storage {
  const lp__storage_ops *ops;
  void *impl;  /* the backend's state, owned */
};

lp_status lp__storage_local_open(const char *root, lp__storage *st, lp_error *err);
lp_status lp__storage_s3_open(const char *bucket_and_prefix, const lp__s3_options *o, lp__storage *st, lp_error *err);
lp_status lp__storage_memory_open(lp__storage *st, lp_error *err);

#endif
