/* The pooled store's id index: a hash map from id to live row position for one version of the table,
 * shared by every connection of the store. Moving it to a newer version costs a scan of the new rows only
 * when the newer version just appended fragments (the old fragments unchanged, so old positions hold);
 * any other change (a delete, an upsert, a compaction) rebuilds it from a scan of the id column.
 * Lookups and updates hold the index's mutex: a lookup is a few hash probes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lance/table.h"
#include "store/store_index.h"

typedef struct frag_sig {
  uint64_t id, physical_rows, deletion_id, deleted;
  bool has_deletion;
} frag_sig;

typedef struct slot {
  uint64_t hash;
  uint64_t pos;  /* live position */
  uint32_t off;  /* id bytes in the arena */
  uint32_t len;
  bool used;
} slot;

struct lp__store_index {
  pthread_mutex_t mu;
  bool valid;
  uint64_t version, rows;
  frag_sig *frags;
  size_t n_frags;
  slot *slots;
  size_t n_slots, n_used;
  char *arena;
  size_t arena_len, arena_cap;
};

static uint64_t hash_bytes(const char *p, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

lp_status lp__store_index_create(lp__store_index **out, lp_error *err) {
  lp__store_index *x = calloc(1, sizeof *x);
  if (x == NULL) return lp_error_set(err, LP_ENOMEM, "store index: out of memory");
  pthread_mutex_init(&x->mu, NULL);
  *out = x;
  return LP_OK;
}

static void clear(lp__store_index *x) {
  free(x->frags);
  free(x->slots);
  free(x->arena);
  x->frags = NULL;
  x->slots = NULL;
  x->arena = NULL;
  x->n_frags = x->n_slots = x->n_used = x->arena_len = x->arena_cap = 0;
  x->rows = x->version = 0;
  x->valid = false;
}

void lp__store_index_destroy(lp__store_index *x) {
  if (x == NULL) return;
  clear(x);
  pthread_mutex_destroy(&x->mu);
  free(x);
}

static slot *find(const lp__store_index *x, const char *id, size_t len, uint64_t h) {
  if (x->n_slots == 0) return NULL;
  size_t mask = x->n_slots - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    slot *s = &x->slots[i];
    if (!s->used) return s;
    if (s->hash == h && s->len == len && memcmp(x->arena + s->off, id, len) == 0) return s;
  }
}

static bool grow(lp__store_index *x) {
  size_t n = x->n_slots ? x->n_slots * 2 : 1024;
  slot *old = x->slots;
  size_t old_n = x->n_slots;
  x->slots = calloc(n, sizeof *x->slots);
  if (x->slots == NULL) {
    x->slots = old;
    return false;
  }
  x->n_slots = n;
  for (size_t i = 0; i < old_n; i++)
    if (old[i].used) {
      size_t mask = n - 1, j = old[i].hash & mask;
      while (x->slots[j].used) j = (j + 1) & mask;
      x->slots[j] = old[i];
    }
  free(old);
  return true;
}

/* Insert id at position pos (a later duplicate overwrites: ids are unique in a store table). */
static bool insert(lp__store_index *x, const char *id, size_t len, uint64_t pos) {
  if ((x->n_used + 1) * 4 > x->n_slots * 3 && !grow(x)) return false;
  uint64_t h = hash_bytes(id, len);
  slot *s = find(x, id, len, h);
  if (s->used) {
    s->pos = pos;
    return true;
  }
  if (x->arena_len + len > x->arena_cap) {
    size_t cap = x->arena_cap ? x->arena_cap : 65536;
    while (cap < x->arena_len + len) cap *= 2;
    if (cap > UINT32_MAX) return false;
    char *g = realloc(x->arena, cap);
    if (g == NULL) return false;
    x->arena = g;
    x->arena_cap = cap;
  }
  memcpy(x->arena + x->arena_len, id, len);
  *s = (slot){h, pos, (uint32_t)x->arena_len, (uint32_t)len, true};
  x->arena_len += len;
  x->n_used++;
  return true;
}

/* Scan the id column of t from live position `from` on, inserting every id. */
static lp_status scan_from(lp__store_index *x, lp_table *t, uint64_t from, lp_error *err) {
  static const char *const cols[] = {"id"};
  lp_scan_options o;
  lp_scan_options_init(&o);
  o.columns = cols;
  o.n_columns = 1;
  o.offset = from;
  struct ArrowArrayStream st = {0};
  LP_TRY(lp_table_scan(t, &o, &st, err));
  struct ArrowSchema s = {0};
  lp_status rc = LP_OK;
  if (st.get_schema(&st, &s) != 0) rc = lp_error_set(err, LP_EIO, "store index: %s", st.get_last_error(&st));
  uint64_t pos = from;
  while (rc == LP_OK) {
    struct ArrowArray b = {0};
    if (st.get_next(&st, &b) != 0) {
      rc = lp_error_set(err, LP_EIO, "store index: %s", st.get_last_error(&st));
      break;
    }
    if (b.release == NULL) break;
    for (int64_t r = 0; r < b.length && rc == LP_OK; r++) {
      const char *p;
      size_t len;
      if (lp__arrow_str(b.children[0], s.children[0], b.offset + r, &p, &len) && !insert(x, p, len, pos + (uint64_t)r))
        rc = lp_error_set(err, LP_ENOMEM, "store index: out of memory");
    }
    pos += (uint64_t)b.length;
    b.release(&b);
  }
  if (s.release) s.release(&s);
  st.release(&st);
  if (rc == LP_OK) x->rows = pos;
  return rc;
}

static bool same_frag(const frag_sig *a, const lp__fragment *f) {
  return a->id == f->id && a->physical_rows == f->physical_rows && a->has_deletion == f->has_deletion &&
         a->deletion_id == (f->has_deletion ? f->deletion_id : 0) && a->deleted == f->num_deleted_rows;
}

/* Bring the index to t's version (caller holds mu). */
static lp_status sync_to(lp__store_index *x, lp_table *t, lp_error *err) {
  const lp__manifest *m = t->m;
  if (x->valid && x->version == m->version) return LP_OK;
  bool append_only = x->valid && m->version > x->version && m->n_fragments >= x->n_frags;
  for (size_t i = 0; append_only && i < x->n_frags; i++) append_only = same_frag(&x->frags[i], &m->fragments[i]);
  frag_sig *sig = malloc((m->n_fragments + 1) * sizeof *sig);
  if (sig == NULL) return lp_error_set(err, LP_ENOMEM, "store index: out of memory");
  for (size_t i = 0; i < m->n_fragments; i++) {
    const lp__fragment *f = &m->fragments[i];
    sig[i] = (frag_sig){f->id, f->physical_rows, f->has_deletion ? f->deletion_id : 0, f->num_deleted_rows,
                        f->has_deletion};
  }
  uint64_t from = x->rows;
  if (!append_only) {
    clear(x);
    from = 0;
  }
  lp_status rc = scan_from(x, t, from, err);
  if (rc != LP_OK) {
    free(sig);
    clear(x);
    return rc;
  }
  free(x->frags);
  x->frags = sig;
  x->n_frags = m->n_fragments;
  x->version = m->version;
  x->valid = true;
  return LP_OK;
}

lp_status lp__store_index_lookup(lp__store_index *x, lp_table *t, const char *const *ids, size_t n, uint64_t *pos,
                                 bool *out_used, lp_error *err) {
  *out_used = false;
  pthread_mutex_lock(&x->mu);
  /* An index newer than t cannot answer for t (positions may differ): the caller scans instead. */
  if (x->valid && x->version > t->m->version) {
    pthread_mutex_unlock(&x->mu);
    return LP_OK;
  }
  lp_status rc = sync_to(x, t, err);
  if (rc == LP_OK) {
    for (size_t i = 0; i < n; i++) {
      size_t len = strlen(ids[i]);
      slot *s = find(x, ids[i], len, hash_bytes(ids[i], len));
      pos[i] = s != NULL && s->used ? s->pos : UINT64_MAX;
    }
    *out_used = true;
  }
  pthread_mutex_unlock(&x->mu);
  return rc;
}
