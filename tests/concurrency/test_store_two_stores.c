/* Two stores on one table (two pools, two sessions, two id indexes: as two processes would be). Writers
 * add records through store A, deleters delete them through store B, readers on both stores get them. A
 * record's state is published only after its add or delete returned, so with freshness_interval_ms 0:
 * a get that starts after the add returned and ends before any delete started must find it, and a get
 * that starts after the delete returned must not. This exercises the freshness check and each store's id
 * index following the other store's appends and deletes. At the end both stores count the same rows and
 * the pools balance. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "store_test_util.h"

#define DIM 8
#define N_IDS 240
#define N_WRITERS 2
#define N_DELETERS 2
#define N_READERS 4

static lp_store *g_a, *g_b;
static atomic_int g_state[N_IDS]; /* 0 not yet added, 1 added, 2 being deleted, 3 deleted */
static atomic_int g_next_add;
static atomic_bool g_stop; /* writers and deleters are done */
static atomic_ulong g_checked_present, g_checked_absent;

static void id_of(int i, char *buf) { snprintf(buf, 16, "two-%03d", i); }

static void *writer(void *arg) {
  (void)arg;
  lp_error err = {0};
  float v[DIM];
  for (;;) {
    int i = atomic_fetch_add(&g_next_add, 1);
    if (i >= N_IDS) break;
    char id[16];
    id_of(i, id);
    st_vector((unsigned)i, 0, DIM, v);
    lp_store_record r = {id, "/two", id, v, DIM, "{}", i, NULL, 0};
    CHECK_OK(lp_store_add(g_a, &r, 1, &err), &err);
    atomic_store(&g_state[i], 1);
  }
  return NULL;
}

/* Deletes N_IDS / 4 records that store A added (each at most once), through store B. */
static void *deleter(void *arg) {
  unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1u;
  lp_error err = {0};
  int done = 0;
  for (long attempt = 0; done < N_IDS / 4 && attempt < 1000000; attempt++) {
    x = x * 1103515245u + 12345u;
    int i = (int)((x >> 8) % N_IDS);
    int expect = 1;
    if (!atomic_compare_exchange_strong(&g_state[i], &expect, 2)) {
      sched_yield();
      continue;
    }
    char id[16];
    id_of(i, id);
    const char *ids[1] = {id};
    uint64_t deleted = 0;
    CHECK_OK(lp_store_delete_ids(g_b, ids, 1, &deleted, &err), &err);
    if (deleted != 1) LP_FAIL("store B deleted %llu rows of %s, which store A added", (unsigned long long)deleted, id);
    atomic_store(&g_state[i], 3);
    done++;
  }
  return NULL;
}

static void *reader(void *arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  lp_store *s = (t % 2) ? g_a : g_b;
  unsigned x = t * 7919u + 3u;
  lp_error err = {0};
  for (long round = 0; !atomic_load(&g_stop) && round < 200000; round++) {
    struct timespec pause = {0, 300 * 1000L};
    nanosleep(&pause, NULL);
    x = x * 1103515245u + 12345u;
    int i = (int)((x >> 8) % N_IDS);
    char id[16];
    id_of(i, id);
    int before = atomic_load(&g_state[i]);
    const char *ids[1] = {id};
    lp_store_rows rows = {0};
    CHECK_OK(lp_store_get(s, ids, 1, &rows, &err), &err);
    int after = atomic_load(&g_state[i]);
    if (before == 1 && after == 1) {
      if (rows.n != 1) LP_FAIL("%s was added before the get and not deleted, yet store %c does not see it", id,
                               s == g_a ? 'A' : 'B');
      CHECK_STR_EQ(rows.rows[0].text, id);
      atomic_fetch_add(&g_checked_present, 1);
    } else if (before == 3) {
      if (rows.n != 0) LP_FAIL("%s was deleted before the get, yet store %c returns it", id, s == g_a ? 'A' : 'B');
      atomic_fetch_add(&g_checked_absent, 1);
    }
    lp_store_rows_reset(&rows);
  }
  return NULL;
}

static lp_store *open_one(const char *dir) {
  lp_store_config cfg;
  lp_store_config_init(&cfg);
  cfg.dim = DIM;
  cfg.durable = false;
  cfg.pool.max_connections = 3;
  cfg.pool.cleanup_interval_ms = 200;
  cfg.compact_min_fragments = 24;
  lp_store *s = NULL;
  lp_error err = {0};
  CHECK_OK(lp_store_open(dir, "two", &cfg, &s, &err), &err);
  return s;
}

int main(void) {
  char dir[4096];
  st_scratch("store_two", dir, sizeof dir);
  g_a = open_one(dir);
  g_b = open_one(dir);
  pthread_t w[N_WRITERS], d[N_DELETERS], r[N_READERS];
  for (uintptr_t i = 0; i < N_WRITERS; i++) CHECK(pthread_create(&w[i], NULL, writer, (void *)i) == 0);
  for (uintptr_t i = 0; i < N_DELETERS; i++) CHECK(pthread_create(&d[i], NULL, deleter, (void *)(i + 1)) == 0);
  for (uintptr_t i = 0; i < N_READERS; i++) CHECK(pthread_create(&r[i], NULL, reader, (void *)i) == 0);
  for (int i = 0; i < N_WRITERS; i++) pthread_join(w[i], NULL);
  for (int i = 0; i < N_DELETERS; i++) pthread_join(d[i], NULL);
  atomic_store(&g_stop, true);
  for (int i = 0; i < N_READERS; i++) pthread_join(r[i], NULL);
  uint64_t want = 0, na = 0, nb = 0;
  for (int i = 0; i < N_IDS; i++) want += atomic_load(&g_state[i]) != 3;
  lp_error err = {0};
  CHECK_OK(lp_store_count(g_a, &na, &err), &err);
  CHECK_OK(lp_store_count(g_b, &nb, &err), &err);
  CHECK_EQ(na, want);
  CHECK_EQ(nb, want);
  for (int i = 0; i < N_IDS; i++) { /* every record, through both stores */
    char id[16];
    id_of(i, id);
    const char *ids[1] = {id};
    for (int k = 0; k < 2; k++) {
      lp_store_rows rows = {0};
      CHECK_OK(lp_store_get(k ? g_b : g_a, ids, 1, &rows, &err), &err);
      CHECK_EQ(rows.n, atomic_load(&g_state[i]) == 3 ? 0 : 1);
      lp_store_rows_reset(&rows);
    }
  }
  fprintf(stderr, "two stores: %llu rows left, %lu presence and %lu absence checks\n", (unsigned long long)want,
          atomic_load(&g_checked_present), atomic_load(&g_checked_absent));
  CHECK_GT((long)atomic_load(&g_checked_present), 50);
  CHECK_GT((long)atomic_load(&g_checked_absent), 10);
  st_check_balanced(g_a);
  st_check_balanced(g_b);
  lp_store_close(g_a);
  lp_store_close(g_b);
  fprintf(stderr, "test_store_two_stores: ok\n");
  return 0;
}
