/* The disk cache of immutable objects (io/disk_cache.h): what may be cached, whole and ranged reads, objects
 * too large for the budget, LRU eviction down to the budget (by last use, which a hit refreshes), a folder
 * shared by two processes, and the process-wide hit/miss counters. */
#include <dirent.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/disk_cache.h"
#include "lp_test.h"

static char dir[256];

static uint64_t folder_bytes(void) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  uint64_t total = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strstr(de->d_name, ".obj") == NULL) continue;
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat st;
    CHECK_EQ(stat(p, &st), 0);
    total += (uint64_t)st.st_size;
  }
  closedir(d);
  return total;
}

/* The file of a cached object: the cache's naming, SHA-256 of the location in hex. */
static void entry_file(const char *location, char *out, size_t size) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)location, strlen(location), md);
  int k = snprintf(out, size, "%s/", dir);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) k += snprintf(out + k, size - (size_t)k, "%02x", md[i]);
  snprintf(out + k, size - (size_t)k, ".obj");
}

static void test_wants(void) {
  CHECK(lp__disk_cache_wants("t.lance/data/abc.lance"));
  CHECK(lp__disk_cache_wants("db/t.lance/_deletions/1-2-3.arrow"));
  CHECK(lp__disk_cache_wants("t.lance/_indices/uuid/index.idx"));
  CHECK(lp__disk_cache_wants("t.lance/_transactions/1-uuid.txn"));
  CHECK(!lp__disk_cache_wants("t.lance/_versions/18446744073709551614.manifest")); /* reused by a re-created table */
  CHECK(!lp__disk_cache_wants("t.lance/_latest.manifest"));
}

static void test_get_put(void) {
  lp__disk_cache *c;
  lp_error err;
  CHECK_OK(lp__disk_cache_open(dir, 1 << 20, &c, &err), &err);
  lp__disk_cache_stats s0, s1;
  lp__disk_cache_stats_get(&s0);
  uint8_t *got = NULL;
  size_t n = 0;
  CHECK(!lp__disk_cache_get(c, "ep/b/t.lance/data/a", 0, -1, &got, &n));
  const char *text = "0123456789abcdef";
  lp__disk_cache_put(c, "ep/b/t.lance/data/a", (const uint8_t *)text, 16);
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/a", 0, -1, &got, &n));
  CHECK_EQ(n, 16);
  CHECK(memcmp(got, text, 16) == 0);
  free(got);
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/a", 10, 4, &got, &n)); /* a range */
  CHECK_EQ(n, 4);
  CHECK(memcmp(got, "abcd", 4) == 0);
  free(got);
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/a", 12, 100, &got, &n)); /* cut at the end, as S3 does */
  CHECK_EQ(n, 4);
  free(got);
  CHECK(!lp__disk_cache_get(c, "ep/b/t.lance/data/a", 17, 1, &got, &n)); /* beyond the end: the store answers */
  CHECK(!lp__disk_cache_get(c, "other-ep/b/t.lance/data/a", 0, -1, &got, &n)); /* another endpoint */
  /* larger than an eighth of the budget: not kept */
  uint8_t *big = calloc(1, (1 << 20) / 8 + 1);
  CHECK(big != NULL);
  lp__disk_cache_put(c, "ep/b/t.lance/data/big", big, (1 << 20) / 8 + 1);
  CHECK(!lp__disk_cache_get(c, "ep/b/t.lance/data/big", 0, 1, &got, &n));
  free(big);
  lp__disk_cache_stats_get(&s1);
  CHECK_EQ(s1.hits - s0.hits, 3);
  CHECK_EQ(s1.misses - s0.misses, 4);
  CHECK_EQ(s1.stored - s0.stored, 1);
  lp__disk_cache_close(c);
}

/* Budget 256 KiB: an eviction pass runs once this process stored 25.6 KiB; objects of 20 KiB. */
static void test_lru_eviction(void) {
  size_t len = strlen(dir);
  CHECK(len + 5 < sizeof dir);
  memcpy(dir + len, "/lru", 5);
  lp__disk_cache *c;
  lp_error err;
  CHECK_OK(lp__disk_cache_open(dir, 256 << 10, &c, &err), &err);
  uint8_t *obj = malloc(20 << 10);
  CHECK(obj != NULL);
  char name[64];
  for (int i = 0; i < 10; i++) { /* 200 KiB: under the budget */
    memset(obj, i, 20 << 10);
    snprintf(name, sizeof name, "ep/b/t.lance/data/%d", i);
    lp__disk_cache_put(c, name, obj, 20 << 10);
  }
  CHECK_EQ(folder_bytes(), 200u << 10);
  /* make 0..4 the oldest by their last use, then use 0 again: 1..4 are now the least recently used */
  for (int i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "ep/b/t.lance/data/%d", i);
    uint8_t *got;
    size_t n;
    CHECK(lp__disk_cache_get(c, name, 0, 1, &got, &n));
    CHECK_EQ(got[0], i);
    free(got);
  }
  lp__disk_cache_stats s0, s1;
  lp__disk_cache_stats_get(&s0);
  /* age the files by hand, 1 the oldest (a hit refreshes last use only every 10 s) */
  for (int i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "ep/b/t.lance/data/%d", i);
    char p[600];
    entry_file(name, p, sizeof p);
    struct timespec old[2] = {{time(NULL) - 3600 + i, 0}, {time(NULL) - 3600 + i, 0}};
    CHECK_EQ(utimensat(AT_FDCWD, p, old, 0), 0);
  }
  uint8_t *got;
  size_t n;
  /* a hit on an hour-old entry refreshes it */
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/0", 0, 1, &got, &n));
  free(got);
  for (int i = 10; i < 14; i++) { /* 80 KiB more: 280 KiB, over the budget */
    memset(obj, i, 20 << 10);
    snprintf(name, sizeof name, "ep/b/t.lance/data/%d", i);
    lp__disk_cache_put(c, name, obj, 20 << 10);
  }
  lp__disk_cache_stats_get(&s1);
  CHECK_GE(s1.evicted - s0.evicted, 1);
  CHECK_LE(folder_bytes(), (uint64_t)(256 << 10));
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/0", 0, 1, &got, &n)); /* recently used: kept */
  free(got);
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/13", 0, 1, &got, &n)); /* just stored: kept */
  free(got);
  CHECK(!lp__disk_cache_get(c, "ep/b/t.lance/data/1", 0, 1, &got, &n)); /* least recently used: gone */
  CHECK(!lp__disk_cache_get(c, "ep/b/t.lance/data/3", 0, 1, &got, &n));
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/4", 0, 1, &got, &n)); /* 280 -> 230 KiB: three went */
  free(got);
  free(obj);
  lp__disk_cache_close(c);
}

/* Two processes on one folder: what the child stores, the parent reads. */
static void test_shared_by_processes(void) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    lp__disk_cache *c;
    if (lp__disk_cache_open(dir, 1 << 20, &c, NULL) != LP_OK) _exit(1);
    lp__disk_cache_put(c, "ep/b/t.lance/data/child", (const uint8_t *)"from the child", 14);
    lp__disk_cache_close(c);
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  lp__disk_cache *c;
  lp_error err;
  CHECK_OK(lp__disk_cache_open(dir, 1 << 20, &c, &err), &err);
  uint8_t *got;
  size_t n;
  CHECK(lp__disk_cache_get(c, "ep/b/t.lance/data/child", 0, -1, &got, &n));
  CHECK_EQ(n, 14);
  CHECK(memcmp(got, "from the child", 14) == 0);
  free(got);
  lp__disk_cache_close(c);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/disk-cache-%d", tmp ? tmp : "/tmp", (int)getpid());
  RUN_TEST(test_wants);
  RUN_TEST(test_get_put);
  RUN_TEST(test_shared_by_processes);
  RUN_TEST(test_lru_eviction);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/disk-cache-%d'", tmp ? tmp : "/tmp", (int)getpid());
  CHECK_EQ(system(cmd), 0);
  return 0;
}
