/* File helpers (see io.h). */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int lp__write_fail_errno = 0;
uint64_t lp__write_fail_after = 0;

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

lp_status lp__write_all(int fd, const void *p, size_t n, const char *path, lp_error *err) {
  const uint8_t *c = p;
  while (n > 0) {
    size_t step = n;
    if (lp__write_fail_errno) {
      if (lp__write_fail_after == 0)
        return lp_error_set_errno(err, LP_EIO, lp__write_fail_errno, "%s: write failed", path);
      if (step > lp__write_fail_after) step = (size_t)lp__write_fail_after;
      lp__write_fail_after -= step;
    }
    ssize_t k = write(fd, c, step);
    if (k < 0) {
      if (errno == EINTR) continue;
      return lp_error_set_errno(err, LP_EIO, errno, "%s: write failed", path);
    }
    c += k;
    n -= (size_t)k;
  }
  return LP_OK;
}

uint64_t lp__random_u64(void) {
  uint64_t v = 0;
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t k = getrandom((uint8_t *)&v + got, sizeof v - got, 0);
    if (k > 0) got += (size_t)k;
  }
  return v;
}

void lp__uuid(char out[37]) {
  uint8_t r[16];
  uint64_t a = lp__random_u64(), b = lp__random_u64();
  memcpy(r, &a, 8);
  memcpy(r + 8, &b, 8);
  r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
  r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
  size_t n = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
    n += (size_t)sprintf(out + n, "%02x", r[i]);
  }
  out[n] = 0;
}

lp_status lp__fsync_dir(const char *dir, bool durable, lp_error *err) {
  if (!durable) return LP_OK;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot open directory", dir);
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return lp_error_set_errno(err, LP_EIO, e, "%s: fsync failed", dir);
  return LP_OK;
}

/* mkdir of one path, where an existing directory counts as made. */
static lp_status mkdir_one(const char *path, lp_error *err) {
  if (mkdir(path, 0777) == 0) return LP_OK;
  int e = errno;
  struct stat st;
  if (e == EEXIST && stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return LP_OK;
    return lp_error_set(err, LP_EIO, "%s: exists and is not a directory", path);
  }
  return lp_error_set_errno(err, LP_EIO, e, "%s: cannot create directory", path);
}

lp_status lp__mkdir_p(const char *dir, lp_error *err) {
  if (dir == NULL || dir[0] == '\0') return lp_error_set(err, LP_EINVAL, "mkdir: empty directory name");
  char *path = strdup(dir);
  if (path == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", dir);
  lp_status rc = LP_OK;
  for (char *p = path + 1; rc == LP_OK && *p; p++) {
    if (*p != '/' || p[-1] == '/') continue;
    *p = '\0';
    rc = mkdir_one(path, err);
    *p = '/';
  }
  if (rc == LP_OK) rc = mkdir_one(path, err);
  free(path);
  return rc;
}
