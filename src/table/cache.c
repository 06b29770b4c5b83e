/* The session's metadata cache: a chained hash table for lookups plus a doubly linked LRU list, both under
 * one mutex. Values are reference counted by their own type (ops); the cache holds one reference each. */
#include "table/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 64

typedef struct entry entry;
struct entry {
  char *key;
  uint64_t hash;
  void *value;
  size_t size_bytes;
  const lp__cache_ops *ops;
  entry *chain;            /* next in the bucket */
  entry *lru_prev, *lru_next; /* lru_prev toward the most recently used end */
};

struct lp__cache {
  pthread_mutex_t mu;
  entry **buckets; /* mu */
  size_t n_buckets; /* mu; a power of two */
  entry *mru, *lru; /* mu: the LRU list, most recently used first */
  size_t bytes_used, budget, entries; /* mu */
  uint64_t hits, misses, evictions;   /* mu; only increase */
};

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

lp_status lp__cache_create(size_t budget_bytes, lp__cache **out, lp_error *err) {
  lp__cache *c = calloc(1, sizeof *c);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "session cache: out of memory");
  c->buckets = calloc(INITIAL_BUCKETS, sizeof *c->buckets);
  if (c->buckets == NULL) {
    free(c);
    return lp_error_set(err, LP_ENOMEM, "session cache: out of memory");
  }
  c->n_buckets = INITIAL_BUCKETS;
  c->budget = budget_bytes;
  pthread_mutex_init(&c->mu, NULL);
  *out = c;
  return LP_OK;
}

static void lru_unlink(lp__cache *c, entry *e) {
  if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
  else c->mru = e->lru_next;
  if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
  else c->lru = e->lru_prev;
  e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(lp__cache *c, entry *e) {
  e->lru_prev = NULL;
  e->lru_next = c->mru;
  if (c->mru) c->mru->lru_prev = e;
  c->mru = e;
  if (c->lru == NULL) c->lru = e;
}

static entry **find_slot(lp__cache *c, const char *key, uint64_t h) {
  entry **pp = &c->buckets[h & (c->n_buckets - 1)];
  while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0)) pp = &(*pp)->chain;
  return pp;
}

/* Remove e from the table and the list; the caller drops its value reference. Caller holds c->mu. */
static void remove_entry(lp__cache *c, entry *e) {
  entry **pp = find_slot(c, e->key, e->hash);
  *pp = e->chain;
  lru_unlink(c, e);
  c->bytes_used -= e->size_bytes;
  c->entries--;
}

static void entry_free(entry *e) {
  e->ops->unref(e->value);
  free(e->key);
  free(e);
}

void lp__cache_destroy(lp__cache *c) {
  if (c == NULL) return;
  entry *e = c->mru;
  while (e) {
    entry *next = e->lru_next;
    entry_free(e);
    e = next;
  }
  free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

void *lp__cache_get(lp__cache *c, const char *key) {
  uint64_t h = hash_str(key);
  void *v = NULL;
  pthread_mutex_lock(&c->mu);
  entry *e = *find_slot(c, key, h);
  if (e) {
    lru_unlink(c, e);
    lru_push_front(c, e);
    v = e->ops->ref(e->value); /* taken under the lock, so eviction cannot free it first */
    c->hits++;
  } else {
    c->misses++;
  }
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* Double the bucket array when the load passes 1; on allocation failure keep the old one. */
static void maybe_grow(lp__cache *c) {
  if (c->entries < c->n_buckets) return;
  size_t n = c->n_buckets * 2;
  entry **b = calloc(n, sizeof *b);
  if (b == NULL) return;
  for (size_t i = 0; i < c->n_buckets; i++) {
    entry *e = c->buckets[i];
    while (e) {
      entry *next = e->chain;
      e->chain = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
      e = next;
    }
  }
  free(c->buckets);
  c->buckets = b;
  c->n_buckets = n;
}

void lp__cache_put(lp__cache *c, const char *key, void *value, size_t size_bytes, const lp__cache_ops *ops) {
  if (size_bytes > c->budget) return;
  entry *e = calloc(1, sizeof *e);
  char *k = strdup(key);
  if (e == NULL || k == NULL) {
    free(e);
    free(k);
    return;
  }
  e->key = k;
  e->hash = hash_str(key);
  e->size_bytes = size_bytes;
  e->ops = ops;
  entry *victims = NULL; /* unref'd after the lock is dropped */
  pthread_mutex_lock(&c->mu);
  entry **slot = find_slot(c, key, e->hash);
  if (*slot != NULL) {
    pthread_mutex_unlock(&c->mu);
    free(k);
    free(e);
    return;
  }
  e->value = ops->ref(value);
  *slot = e;
  lru_push_front(c, e);
  c->bytes_used += size_bytes;
  c->entries++;
  while (c->bytes_used > c->budget && c->lru != NULL && c->lru != e) {
    entry *old = c->lru;
    remove_entry(c, old);
    c->evictions++;
    old->chain = victims;
    victims = old;
  }
  maybe_grow(c);
  pthread_mutex_unlock(&c->mu);
  while (victims) {
    entry *next = victims->chain;
    entry_free(victims);
    victims = next;
  }
}

void lp__cache_stats_get(lp__cache *c, lp__cache_stats *out) {
  pthread_mutex_lock(&c->mu);
  out->hits = c->hits;
  out->misses = c->misses;
  out->evictions = c->evictions;
  out->bytes_used = c->bytes_used;
  out->bytes_budget = c->budget;
  out->entries = c->entries;
  pthread_mutex_unlock(&c->mu);
}
