/* File helpers: reading a whole (small) metadata file, joining paths. */
#include "lance/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

lp_status lp__read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_size, lp_error *err) {
  *out = NULL;
  *out_size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return lp_error_set_errno(err, e == ENOENT ? LP_ENOTFOUND : LP_EIO, e, "%s: cannot open", path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return lp_error_set_errno(err, LP_EIO, e, "%s: cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return lp_error_set(err, LP_EIO, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > max_bytes) {
    close(fd);
    return lp_error_set(err, LP_ECORRUPT, "%s: %lld bytes, more than the %zu accepted", path,
                        (long long)st.st_size, max_bytes);
  }
  size_t size = (size_t)st.st_size;
  uint8_t *buf = malloc(size ? size : 1);
  if (buf == NULL) {
    close(fd);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory for %zu bytes", path, size);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : 0;
      close(fd);
      free(buf);
      if (e == 0) return lp_error_set(err, LP_EIO, "%s: file shrank while reading (%zu of %zu bytes)", path, got, size);
      return lp_error_set_errno(err, LP_EIO, e, "%s: read failed", path);
    }
    got += (size_t)r;
  }
  close(fd);
  *out = buf;
  *out_size = size;
  return LP_OK;
}

char *lp__path_join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *p = malloc(la + lb + 2);
  if (p == NULL) return NULL;
  memcpy(p, a, la);
  size_t w = la;
  if (la > 0 && a[la - 1] != '/') p[w++] = '/';
  memcpy(p + w, b, lb + 1);
  return p;
}
