/* File helpers under the engine: whole-file reads with size caps and clear messages, complete writes, fsync
 * of files and directories, random ids. Internal; thread-safe. */
#ifndef LP_IO_IO_H
#define LP_IO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

#define LP__MAX_META_FILE_BYTES ((size_t)1 << 30) /* manifests and deletion files larger than this are refused */

/* Read the whole file at path into a new malloc'd buffer (*out, *out_size). LP_ENOTFOUND when the file does
 * not exist, LP_EIO on other failures, LP_ECORRUPT when it is larger than max_bytes. */
lp_status lp__read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_size, lp_error *err);

/* snprintf into a new string. NULL on failure. */
char *lp__path_join(const char *a, const char *b);

/* Create directory `dir` and its missing parents (mode 0777 less the umask), as `mkdir -p`. LP_EIO names the
 * component that could not be made; an existing directory is fine, an existing non-directory is not. */
lp_status lp__mkdir_p(const char *dir, lp_error *err);

/* Write the whole buffer at the current position of fd, retrying short writes (EIO/ENOSPC as LP_EIO). */
lp_status lp__write_all(int fd, const void *p, size_t n, const char *path, lp_error *err);

/* Test hook: when set, lp__write_all fails with this errno once `lp__write_fail_after` more bytes were
 * written (simulates a full disk). 0 = off. Not thread-safe; tests only. */
extern int lp__write_fail_errno;
extern uint64_t lp__write_fail_after;

/* fsync a directory (no-op when !durable). */
lp_status lp__fsync_dir(const char *dir, bool durable, lp_error *err);
/* fsync every path (files or directories) at once, from several threads, so the file system can commit
 * them in one journal transaction instead of one after another. LP_EIO names the first that failed. */
lp_status lp__fsync_paths(const char *const *paths, size_t n, lp_error *err);
/* Random lowercase hyphenated UUID v4 (37 bytes with NUL). */
void lp__uuid(char out[37]);
uint64_t lp__random_u64(void);

#endif
