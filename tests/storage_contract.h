/* The behaviour every storage backend (local folder, memory, S3) must share, run by test_storage (local and
 * memory) and test_storage_s3 (against RGW): the engine above must not be able to tell them apart. */
#ifndef LP_STORAGE_CONTRACT_H
#define LP_STORAGE_CONTRACT_H

#include <pthread.h>
#include <stdatomic.h>

#include "io/storage.h"
#include "lp_test.h"

typedef struct listed {
  char names[16][64];
  uint64_t sizes[16];
  int n;
} listed;

static lp_status contract_collect(void *ctx, const char *name, uint64_t size_bytes, lp_error *err) {
  (void)err;
  listed *l = ctx;
  if (l->n == 16) LP_FAIL("more than 16 children");
  snprintf(l->names[l->n], sizeof l->names[l->n], "%s", name);
  l->sizes[l->n++] = size_bytes;
  return LP_OK;
}

static listed contract_list(lp__storage *st, const char *dir) {
  listed l;
  memset(&l, 0, sizeof l);
  lp_error err;
  CHECK_OK(lp__storage_list(st, dir, contract_collect, &l, &err), &err);
  return l;
}

static void contract_put(lp__storage *st, const char *path, const char *text) {
  lp_error err;
  CHECK_OK(lp__storage_put(st, path, text, strlen(text), false, &err), &err);
}

static void contract_check_text(lp__storage *st, const char *path, uint64_t off, int64_t len, const char *want) {
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_OK(lp__storage_read(st, path, off, len, &got, &n, &err), &err);
  CHECK_EQ(n, strlen(want));
  CHECK(memcmp(got, want, n) == 0);
  free(got);
}

typedef struct contract_race {
  lp__storage *st;
  atomic_int winners, conflicts;
} contract_race;

static void *contract_racer(void *arg) {
  contract_race *r = arg;
  lp_error err;
  lp_status s = lp__storage_put(r->st, "t.lance/_versions/race.manifest", "m", 1, true, &err);
  if (s == LP_OK) atomic_fetch_add(&r->winners, 1);
  else if (s == LP_ECONFLICT) atomic_fetch_add(&r->conflicts, 1);
  else LP_FAIL("racer: %s", err.message);
  return NULL;
}

/* st must be empty. */
static void storage_contract(lp__storage *st) {
  lp_error err;
  fprintf(stderr, "   contract on %s\n", lp__storage_kind(st));
  contract_put(st, "t.lance/data/a.lance", "0123456789");
  contract_put(st, "t.lance/_versions/1.manifest", "one");
  contract_put(st, "t.lance-other", "x");
  contract_put(st, "z.txt", "zz");
  listed top = contract_list(st, "");
  CHECK_EQ(top.n, 3);   /* byte order: '-' < '/' < 'z' */
  CHECK_STR_EQ(top.names[0], "t.lance-other");
  CHECK_STR_EQ(top.names[1], "t.lance/");
  CHECK_STR_EQ(top.names[2], "z.txt");
  CHECK_EQ(top.sizes[2], 2);
  listed table = contract_list(st, "t.lance");
  CHECK_EQ(table.n, 2);
  CHECK_STR_EQ(table.names[0], "_versions/");
  CHECK_STR_EQ(table.names[1], "data/");
  listed data = contract_list(st, "t.lance/data/");
  CHECK_EQ(data.n, 1);
  CHECK_STR_EQ(data.names[0], "a.lance");
  CHECK_EQ(data.sizes[0], 10);
  CHECK_EQ(contract_list(st, "no/such/folder").n, 0);
  /* reads: whole, a range, a range running past the end */
  contract_check_text(st, "t.lance/data/a.lance", 0, -1, "0123456789");
  contract_check_text(st, "t.lance/data/a.lance", 3, 4, "3456");
  contract_check_text(st, "t.lance/data/a.lance", 8, 100, "89");
  uint64_t size;
  CHECK_OK(lp__storage_size(st, "t.lance/data/a.lance", &size, &err), &err);
  CHECK_EQ(size, 10);
  uint8_t *got;
  size_t n;
  CHECK_EQ(lp__storage_read(st, "t.lance/data/missing", 0, -1, &got, &n, &err), LP_ENOTFOUND);
  CHECK_EQ(lp__storage_size(st, "t.lance/data/missing", &size, &err), LP_ENOTFOUND);
  /* if-absent puts: the commit primitive */
  CHECK_EQ(lp__storage_put(st, "t.lance/_versions/1.manifest", "two", 3, true, &err), LP_ECONFLICT);
  contract_check_text(st, "t.lance/_versions/1.manifest", 0, -1, "one");
  CHECK_OK(lp__storage_put(st, "t.lance/_versions/2.manifest", "two", 3, true, &err), &err);
  contract_put(st, "z.txt", "replaced");
  contract_check_text(st, "z.txt", 0, -1, "replaced");
  contract_race r = {.st = st};
  pthread_t t[6];
  for (int i = 0; i < 6; i++) CHECK_EQ(pthread_create(&t[i], NULL, contract_racer, &r), 0);
  for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
  CHECK_EQ(atomic_load(&r.winners), 1);
  CHECK_EQ(atomic_load(&r.conflicts), 5);
  CHECK_EQ(contract_list(st, "t.lance/_versions").n, 3);
  /* deletes */
  CHECK_OK(lp__storage_delete(st, "z.txt", &err), &err);
  CHECK_OK(lp__storage_delete(st, "z.txt", &err), &err);   /* absent: fine */
  CHECK_EQ(lp__storage_read(st, "z.txt", 0, -1, &got, &n, &err), LP_ENOTFOUND);
  /* paths that could leave the store */
  const char *bad[] = {"", "../x", "/abs", "a//b", "a/./b", "a/", ".."};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_EQ(lp__storage_put(st, bad[i], "x", 1, false, &err), LP_EINVAL);
    CHECK_EQ(lp__storage_read(st, bad[i], 0, -1, &got, &n, &err), LP_EINVAL);
  }
  CHECK_EQ(lp__storage_list(st, "../", contract_collect, &top, &err), LP_EINVAL);
}

#endif
