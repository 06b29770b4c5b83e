/* The disk cache of immutable objects (disk_cache.h). */
#include "io/disk_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"

#define DEFAULT_BUDGET_BYTES ((uint64_t)1 << 30)
#define TOUCH_AFTER_S 10          /* a hit refreshes the file's last use at most this often */
#define EVICT_TO_PERCENT 90       /* an eviction pass goes down to this share of the budget */
#define SUFFIX ".obj"

struct lp__disk_cache {
  char *dir;
  uint64_t budget_bytes;
  _Atomic uint64_t stored_since_check; /* bytes stored by this process since its last eviction pass */
};

static _Atomic uint64_t n_hits, n_misses, n_stored, n_evicted;

static void evict(lp__disk_cache *c);

lp_status lp__disk_cache_open(const char *dir, uint64_t budget_bytes, lp__disk_cache **out, lp_error *err) {
  *out = NULL;
  if (dir == NULL || dir[0] == '\0') return lp_error_set(err, LP_EINVAL, "disk cache: empty folder name");
  LP_TRY(lp__mkdir_p(dir, err));
  lp__disk_cache *c = calloc(1, sizeof *c);
  if (c == NULL || (c->dir = strdup(dir)) == NULL) {
    free(c);
    return lp_error_set(err, LP_ENOMEM, "disk cache: out of memory");
  }
  c->budget_bytes = budget_bytes ? budget_bytes : DEFAULT_BUDGET_BYTES;
  evict(c); /* the folder may hold more than this budget (a smaller one than before) */
  *out = c;
  return LP_OK;
}

void lp__disk_cache_close(lp__disk_cache *c) {
  if (c == NULL) return;
  free(c->dir);
  free(c);
}

bool lp__disk_cache_wants(const char *path) {
  static const char *immutable[] = {".lance/data/", ".lance/_deletions/", ".lance/_indices/", ".lance/_transactions/"};
  for (size_t i = 0; i < sizeof immutable / sizeof *immutable; i++)
    if (strstr(path, immutable[i]) != NULL) return true;
  return false;
}

uint64_t lp__disk_cache_max_object(const lp__disk_cache *c) { return c->budget_bytes / 8; }

/* dir/<sha256 hex of location>.obj */
static void entry_path(const lp__disk_cache *c, const char *location, char *out, size_t size) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)location, strlen(location), md);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  int n = snprintf(out, size, "%s/%s" SUFFIX, c->dir, hex);
  if (n < 0 || (size_t)n >= size) out[0] = '\0';
}

bool lp__disk_cache_get(lp__disk_cache *c, const char *location, uint64_t offset, int64_t length, uint8_t **out,
                        size_t *out_len) {
  char path[4200];
  entry_path(c, location, path, sizeof path);
  int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || offset > (uint64_t)st.st_size) {
    if (fd >= 0) close(fd);
    atomic_fetch_add(&n_misses, 1);
    return false;
  }
  uint64_t avail = (uint64_t)st.st_size - offset;
  size_t n = (size_t)(length < 0 || (uint64_t)length > avail ? avail : (uint64_t)length);
  uint8_t *buf = malloc(n ? n : 1);
  size_t got = 0;
  while (buf != NULL && got < n) {
    ssize_t r = pread(fd, buf + got, n - got, (off_t)(offset + got));
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (buf != NULL && got == n && time(NULL) - st.st_mtime > TOUCH_AFTER_S) (void)futimens(fd, NULL); /* last use */
  close(fd);
  if (buf == NULL || got != n) {
    free(buf);
    atomic_fetch_add(&n_misses, 1);
    return false;
  }
  atomic_fetch_add(&n_hits, 1);
  *out = buf;
  *out_len = n;
  return true;
}

typedef struct entry {
  char name[80];
  uint64_t size;
  time_t used;
} entry;

static int by_use(const void *a, const void *b) {
  const entry *x = a, *y = b;
  return (x->used > y->used) - (x->used < y->used);
}

/* Gather the cache's entries (name, size, last use) and their total size. */
static entry *scan(const lp__disk_cache *c, size_t *out_n, uint64_t *out_total) {
  DIR *d = opendir(c->dir);
  if (d == NULL) return NULL;
  entry *v = NULL;
  size_t n = 0, cap = 0;
  uint64_t total = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name);
    if (len < sizeof SUFFIX || len >= sizeof v->name || strcmp(de->d_name + len - (sizeof SUFFIX - 1), SUFFIX) != 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 256;
      entry *nv = realloc(v, cap * sizeof *nv);
      if (nv == NULL) break;
      v = nv;
    }
    memcpy(v[n].name, de->d_name, len + 1);
    v[n].size = (uint64_t)st.st_size;
    v[n].used = st.st_mtime;
    total += v[n++].size;
  }
  closedir(d);
  *out_n = n;
  *out_total = total;
  return v;
}

/* One eviction pass at a time over the folder, whichever process runs it (flock on dir/.lock). */
static void evict(lp__disk_cache *c) {
  char lock_path[4200];
  int k = snprintf(lock_path, sizeof lock_path, "%s/.lock", c->dir);
  if (k < 0 || (size_t)k >= sizeof lock_path) return;
  int lock = open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0) return;
  if (flock(lock, LOCK_EX) == 0) {
    size_t n = 0;
    uint64_t total = 0;
    entry *v = scan(c, &n, &total);
    if (v != NULL && total > c->budget_bytes) {
      qsort(v, n, sizeof *v, by_use);
      uint64_t target = c->budget_bytes / 100 * EVICT_TO_PERCENT;
      int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      for (size_t i = 0; dfd >= 0 && i < n && total > target; i++) {
        if (unlinkat(dfd, v[i].name, 0) != 0) continue; /* a reader holding it open keeps its bytes */
        total -= v[i].size;
        atomic_fetch_add(&n_evicted, 1);
      }
      if (dfd >= 0) close(dfd);
    }
    free(v);
    flock(lock, LOCK_UN);
  }
  close(lock);
}

void lp__disk_cache_put(lp__disk_cache *c, const char *location, const uint8_t *data, size_t len) {
  if ((uint64_t)len > lp__disk_cache_max_object(c)) return;
  char path[4200], tmp[4300];
  entry_path(c, location, path, sizeof path);
  int k = snprintf(tmp, sizeof tmp, "%s/tmp-%d-%016llx", c->dir, (int)getpid(), (unsigned long long)lp__random_u64());
  if (path[0] == '\0' || k < 0 || (size_t)k >= sizeof tmp) return;
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return;
  bool ok = lp__write_all(fd, data, len, tmp, NULL) == LP_OK;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) { /* another process may have stored it meanwhile: same bytes */
    unlink(tmp);
    return;
  }
  atomic_fetch_add(&n_stored, 1);
  /* scan the folder only once this process has stored a tenth of the budget since its last pass */
  if (atomic_fetch_add(&c->stored_since_check, len) + len >= c->budget_bytes / 10) {
    atomic_store(&c->stored_since_check, 0);
    evict(c);
  }
}

void lp__disk_cache_stats_get(lp__disk_cache_stats *out) {
  out->hits = atomic_load(&n_hits);
  out->misses = atomic_load(&n_misses);
  out->stored = atomic_load(&n_stored);
  out->evicted = atomic_load(&n_evicted);
}
