/* The local-folder backend of the storage interface: plain files under a root folder. An if-absent put
 * writes a temporary file, syncs it, and link()s it to its name, which fails when the name exists: the
 * same all-or-nothing commit a rename without replace gives. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "io/storage_int.h"

typedef struct local {
  char *root;  /* owned, without a trailing '/' */
} local;

static char *full_path(const lp__storage *st, const char *path) {
  return lp__path_join(((const local *)st->impl)->root, path);
}

static lp_status pread_all(int fd, uint64_t off, size_t len, uint8_t *dst, const char *path, lp_error *err) {
  while (len > 0) {
    ssize_t got = pread(fd, dst, len, (off_t)off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: read failed", path);
    if (got == 0) return lp_error_set(err, LP_EIO, "%s: file shrank while read", path);
    dst += got, off += (uint64_t)got, len -= (size_t)got;
  }
  return LP_OK;
}

static lp_status open_file(const char *p, int *out_fd, uint64_t *out_size, lp_error *err) {
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return lp_error_set(err, LP_ENOTFOUND, "%s: no such file", p);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot open", p);
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return lp_error_set(err, LP_EIO, "%s: not a regular file", p);
  }
  *out_fd = fd;
  *out_size = (uint64_t)sb.st_size;
  return LP_OK;
}

static lp_status local_read(lp__storage *st, const char *path, uint64_t offset, int64_t length, uint8_t **out,
                            size_t *out_len, lp_error *err) {
  char *p = full_path(st, path);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  int fd = -1;
  uint64_t size = 0;
  lp_status rc = open_file(p, &fd, &size, err);
  uint64_t start = offset < size ? offset : size;
  uint64_t n = size - start;
  if (length >= 0 && (uint64_t)length < n) n = (uint64_t)length;
  uint8_t *buf = NULL;
  if (rc == LP_OK && n > SIZE_MAX - 1) rc = lp_error_set(err, LP_ENOMEM, "%s: %llu bytes do not fit in memory", p, (unsigned long long)n);
  if (rc == LP_OK && (buf = malloc(n ? (size_t)n : 1)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", p);
  if (rc == LP_OK) rc = pread_all(fd, start, (size_t)n, buf, p, err);
  if (fd >= 0) close(fd);
  free(p);
  if (rc != LP_OK) {
    free(buf);
    return rc;
  }
  *out = buf;
  *out_len = (size_t)n;
  return LP_OK;
}

static lp_status local_size(lp__storage *st, const char *path, uint64_t *out, lp_error *err) {
  char *p = full_path(st, path);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  struct stat sb;
  lp_status rc = LP_OK;
  if (stat(p, &sb) != 0) rc = errno == ENOENT ? lp_error_set(err, LP_ENOTFOUND, "%s: no such file", p)
                                              : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot stat", p);
  else if (!S_ISREG(sb.st_mode)) rc = lp_error_set(err, LP_EIO, "%s: not a regular file", p);
  else *out = (uint64_t)sb.st_size;
  free(p);
  return rc;
}

/* Create the folders above path (S3 has none, so a put may name any depth). */
static lp_status make_parents(char *p, lp_error *err) {
  for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
    *s = '\0';
    int r = mkdir(p, 0777);
    int e = errno;
    *s = '/';
    if (r != 0 && e != EEXIST) return lp_error_set_errno(err, LP_EIO, e, "%s: cannot create its folder", p);
  }
  return LP_OK;
}

static lp_status write_temp(const char *tmp, const void *data, size_t len, lp_error *err) {
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create", tmp);
  lp_status rc = lp__write_all(fd, data, len, tmp, err);
  if (rc == LP_OK && fsync(fd) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: fsync failed", tmp);
  close(fd);
  return rc;
}

static lp_status local_put(lp__storage *st, const char *path, const void *data, size_t len, bool if_absent,
                           lp_error *err) {
  char *p = full_path(st, path);
  char uuid[37];
  lp__uuid(uuid);
  char *tmp = p ? malloc(strlen(p) + 48) : NULL;
  if (tmp == NULL) {
    free(p);
    return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  }
  sprintf(tmp, "%s.tmp-%s", p, uuid);
  lp_status rc = make_parents(p, err);
  if (rc == LP_OK) rc = write_temp(tmp, data, len, err);
  if (rc == LP_OK && if_absent && link(tmp, p) != 0)
    rc = errno == EEXIST ? lp_error_set(err, LP_ECONFLICT, "%s: already exists", p)
                         : lp_error_set_errno(err, LP_EIO, errno, "%s: cannot link", p);
  if (rc == LP_OK && !if_absent && rename(tmp, p) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot rename", p);
  if (if_absent || rc != LP_OK) unlink(tmp);
  if (rc == LP_OK) {
    char *slash = strrchr(p, '/');
    *slash = '\0';
    rc = lp__fsync_dir(p, true, err);   /* the new name survives a crash */
  }
  free(tmp);
  free(p);
  return rc;
}

static lp_status local_del(lp__storage *st, const char *path, lp_error *err) {
  char *p = full_path(st, path);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  lp_status rc = LP_OK;
  if (unlink(p) != 0 && errno != ENOENT) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot remove", p);
  free(p);
  return rc;
}

static lp_status list_entry(DIR *d, struct dirent *de, lp__storage_list_fn fn, void *ctx,
                            lp_error *err) {
  struct stat sb;
  if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0) return LP_OK;   /* removed meanwhile */
  char name[512];
  if (S_ISDIR(sb.st_mode)) {
    snprintf(name, sizeof name, "%s/", de->d_name);
    return fn(ctx, name, 0, err);
  }
  if (!S_ISREG(sb.st_mode) || strstr(de->d_name, ".tmp-") != NULL) return LP_OK;   /* not an object */
  return fn(ctx, de->d_name, (uint64_t)sb.st_size, err);
}

static lp_status local_list(lp__storage *st, const char *dir, lp__storage_list_fn fn, void *ctx, lp_error *err) {
  char *p = *dir ? full_path(st, dir) : strdup(((local *)st->impl)->root);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  DIR *d = opendir(p);
  lp_status rc = LP_OK;
  if (d == NULL && errno != ENOENT) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot list", p);
  for (struct dirent *de; d != NULL && rc == LP_OK && (de = readdir(d)) != NULL;) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    rc = list_entry(d, de, fn, ctx, err);
  }
  if (d) closedir(d);
  free(p);
  return rc;   /* a missing folder lists as empty, as an S3 prefix with no objects */
}

static void local_close(lp__storage *st) {
  local *l = st->impl;
  free(l->root);
  free(l);
}

static const lp__storage_ops local_ops = {"local", local_read, local_size, local_put, local_del, local_list, local_close};

lp_status lp__storage_local_open(const char *root, lp__storage *st, lp_error *err) {
  struct stat sb;
  if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode)) return lp_error_set(err, LP_ENOTFOUND, "storage %s: no such folder", root);
  local *l = calloc(1, sizeof *l);
  if (l == NULL || (l->root = strdup(root)) == NULL) {
    free(l);
    return lp_error_set(err, LP_ENOMEM, "storage: out of memory");
  }
  size_t n = strlen(l->root);
  while (n > 1 && l->root[n - 1] == '/') l->root[--n] = '\0';
  st->ops = &local_ops;
  st->impl = l;
  return LP_OK;
}
