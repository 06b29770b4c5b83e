/* Small file helpers of the table layer: whole-file reads with size caps and clear messages. Internal. */
#ifndef LP_LANCE_IO_H
#define LP_LANCE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

#define LP__MAX_META_FILE_BYTES ((size_t)1 << 30) /* manifests and deletion files larger than this are refused */

/* Read the whole file at path into a new malloc'd buffer (*out, *out_size). LP_ENOTFOUND when the file does
 * not exist, LP_EIO on other failures, LP_ECORRUPT when it is larger than max_bytes. */
lp_status lp__read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_size, lp_error *err);

/* snprintf into a new string. NULL on failure. */
char *lp__path_join(const char *a, const char *b);

#endif
