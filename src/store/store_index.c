/* The pooled store's id index: a hash map from id to where the row lives -- (fragment id, physical row) --
 * for one version of the table, shared by every connection of the store.
 *
 * Moving the index to another version compares the two versions' fragment lists instead of rescanning:
 * a fragment is known by its id, data files and row count, so
 *   - a fragment in both versions, unchanged, keeps its entries;
 *   - a fragment in both whose deletion file changed loses the entries of the rows now deleted (checked
 *     against its new deletion vector); if its entry count then differs from its live rows (rows came
 *     back, as after a restore) it is rescanned;
 *   - a fragment only in the old version (dropped by a delete, replaced by a compaction) loses its entries;
 *   - a fragment only in the new version (appended, written by a compaction or an upsert) has its id column
 *     scanned.
 * So a delete costs one pass over the map, an append a scan of the new rows only, and a commit by another
 * process or by official LanceDB is handled the same way. The store's own appends leave a note of each
 * data file they committed (its name and ids, in row order), so their new fragments need not even be
 * read back: the note, matched by file name and row count, stands in for the scan. Live positions (what lp_table_take wants) are
 * computed at lookup from the live rows before each fragment and its deletion vector.
 * Lookups and updates hold the index's mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "store/store_index.h"

#define SCAN_ROWS 65536 /* id values read at a time when scanning a fragment */
#define MAX_NOTES 32    /* notes kept; the oldest goes first (a note never matched just costs a scan) */

enum { SLOT_EMPTY, SLOT_USED, SLOT_REMOVED };

/* What identifies a fragment's rows, and its deletion file. */
typedef struct frag_sig {
  uint64_t id, physical_rows, files_hash;
  uint64_t deletion_id, deleted;
  bool has_deletion;
} frag_sig;

typedef struct slot {
  uint64_t hash;
  uint64_t frag;  /* fragment id */
  uint32_t row;   /* physical row in the fragment */
  uint32_t off;   /* id bytes in the arena */
  uint32_t len;
  uint8_t state;  /* SLOT_* */
} slot;

/* The ids of one data file the store committed, in row order (one allocation: the pointers, then the
 * bytes). */
typedef struct note {
  char name[LP__DFW_NAME_LEN + 1];
  uint64_t n_rows;
  char **ids;
} note;

/* A fragment id and its position in a fragment list, sorted by id for bsearch. */
typedef struct frag_pos {
  uint64_t id;
  size_t i;
} frag_pos;

struct lp__store_index {
  pthread_mutex_t mu;
  char *id_column; /* the table's id column */
  bool valid;
  uint64_t version;
  frag_sig *frags;       /* the indexed version's fragments, in table order */
  uint64_t *count;       /* entries per fragment (may over-count after duplicate ids: then rescanned) */
  uint64_t *live_before; /* live rows before fragment i; n_frags + 1 entries */
  frag_pos *by_id;       /* frags sorted by id */
  size_t n_frags;
  slot *slots;
  size_t n_slots, n_used, n_removed;
  char *arena;
  size_t arena_len, arena_cap, arena_dead;
  note notes[MAX_NOTES]; /* oldest first */
  size_t n_notes;
};

static uint64_t hash_bytes(const char *p, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

lp_status lp__store_index_create(const char *id_column, lp__store_index **out, lp_error *err) {
  lp__store_index *x = calloc(1, sizeof *x);
  if (x != NULL) x->id_column = strdup(id_column);
  if (x == NULL || x->id_column == NULL) {
    free(x);
    return lp_error_set(err, LP_ENOMEM, "store index: out of memory");
  }
  pthread_mutex_init(&x->mu, NULL);
  *out = x;
  return LP_OK;
}

static void clear_frags(lp__store_index *x) {
  free(x->frags);
  free(x->count);
  free(x->live_before);
  free(x->by_id);
  x->frags = NULL;
  x->count = x->live_before = NULL;
  x->by_id = NULL;
  x->n_frags = 0;
}

static void clear(lp__store_index *x) {
  clear_frags(x);
  free(x->slots);
  free(x->arena);
  x->slots = NULL;
  x->arena = NULL;
  x->n_slots = x->n_used = x->n_removed = x->arena_len = x->arena_cap = x->arena_dead = 0;
  x->version = 0;
  x->valid = false;
}

void lp__store_index_destroy(lp__store_index *x) {
  if (x == NULL) return;
  clear(x);
  for (size_t i = 0; i < x->n_notes; i++) free(x->notes[i].ids);
  pthread_mutex_destroy(&x->mu);
  free(x->id_column);
  free(x);
}

/* ---- the hash map ------------------------------------------------------------------------------------ */

/* The slot holding id, or NULL when absent. */
static slot *find(const lp__store_index *x, const char *id, size_t len, uint64_t h) {
  if (x->n_slots == 0) return NULL;
  size_t mask = x->n_slots - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    slot *s = &x->slots[i];
    if (s->state == SLOT_EMPTY) return NULL;
    if (s->state == SLOT_USED && s->hash == h && s->len == len && memcmp(x->arena + s->off, id, len) == 0) return s;
  }
}

/* Rebuild the table with n slots (dropping removed ones) and, when much of it is dead, the arena. */
static bool rehash(lp__store_index *x, size_t n) {
  slot *ns = calloc(n, sizeof *ns);
  if (ns == NULL) return false;
  char *na = NULL;
  size_t na_len = 0, na_cap = x->arena_cap;
  bool pack = x->arena_dead > x->arena_len / 2;
  if (pack && (na = malloc(na_cap ? na_cap : 1)) == NULL) {
    free(ns);
    return false;
  }
  for (size_t i = 0; i < x->n_slots; i++) {
    slot s = x->slots[i];
    if (s.state != SLOT_USED) continue;
    if (pack) {
      memcpy(na + na_len, x->arena + s.off, s.len);
      s.off = (uint32_t)na_len;
      na_len += s.len;
    }
    size_t j = s.hash & (n - 1);
    while (ns[j].state != SLOT_EMPTY) j = (j + 1) & (n - 1);
    ns[j] = s;
  }
  free(x->slots);
  x->slots = ns;
  x->n_slots = n;
  x->n_removed = 0;
  if (pack) {
    free(x->arena);
    x->arena = na;
    x->arena_len = na_len;
    x->arena_dead = 0;
  }
  return true;
}

/* Room for one more entry: grow when the live entries fill the table, else drop removed ones. */
static bool reserve(lp__store_index *x) {
  if ((x->n_used + x->n_removed + 1) * 4 <= x->n_slots * 3) return true;
  size_t n = x->n_slots ? x->n_slots : 1024;
  while ((x->n_used + 1) * 2 > n) n *= 2;
  return rehash(x, n);
}

static bool arena_add(lp__store_index *x, const char *id, size_t len, uint32_t *off) {
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
  *off = (uint32_t)x->arena_len;
  x->arena_len += len;
  return true;
}

/* Insert id at (frag, row); an id already present moves there (ids are unique in a store table).
 * *out_new = a new entry was made. */
static bool insert(lp__store_index *x, const char *id, size_t len, uint64_t frag, uint32_t row, bool *out_new) {
  *out_new = false;
  if (!reserve(x)) return false;
  uint64_t h = hash_bytes(id, len);
  slot *s = find(x, id, len, h);
  if (s != NULL) {
    s->frag = frag;
    s->row = row;
    return true;
  }
  size_t mask = x->n_slots - 1, i = h & mask;
  while (x->slots[i].state == SLOT_USED) i = (i + 1) & mask;
  if (x->slots[i].state == SLOT_REMOVED) x->n_removed--;
  uint32_t off;
  if (!arena_add(x, id, len, &off)) return false;
  x->slots[i] = (slot){h, frag, row, off, (uint32_t)len, SLOT_USED};
  x->n_used++;
  *out_new = true;
  return true;
}

static void remove_slot(lp__store_index *x, slot *s) {
  s->state = SLOT_REMOVED;
  x->n_used--;
  x->n_removed++;
  x->arena_dead += s->len;
}

/* ---- fragment lists ------------------------------------------------------------------------------------ */

static frag_sig sig_of(const lp__fragment *f) {
  uint64_t h = 1469598103934665603ull;
  for (size_t k = 0; k < f->n_files; k++) {
    h ^= hash_bytes(f->files[k].path, strlen(f->files[k].path));
    h *= 1099511628211ull;
  }
  return (frag_sig){f->id, f->physical_rows, h, f->has_deletion ? f->deletion_id : 0,
                    f->has_deletion ? f->num_deleted_rows : 0, f->has_deletion};
}

static bool same_rows(const frag_sig *a, const frag_sig *b) {
  return a->id == b->id && a->physical_rows == b->physical_rows && a->files_hash == b->files_hash;
}

static bool same_deletions(const frag_sig *a, const frag_sig *b) {
  return a->has_deletion == b->has_deletion && a->deletion_id == b->deletion_id && a->deleted == b->deleted;
}

static int cmp_frag_pos(const void *a, const void *b) {
  uint64_t x = ((const frag_pos *)a)->id, y = ((const frag_pos *)b)->id;
  return x < y ? -1 : x > y;
}

/* Position of fragment `id` in x's fragment list, or SIZE_MAX. */
static size_t frag_index(const lp__store_index *x, uint64_t id) {
  frag_pos key = {id, 0};
  const frag_pos *p = x->n_frags ? bsearch(&key, x->by_id, x->n_frags, sizeof *x->by_id, cmp_frag_pos) : NULL;
  return p ? p->i : SIZE_MAX;
}

/* The note for fragment f (one data file, same name and row count), taken out of the list; or NULL. */
static char **take_note(lp__store_index *x, const lp__fragment *f) {
  if (f->n_files != 1) return NULL;
  for (size_t i = 0; i < x->n_notes; i++) {
    if (x->notes[i].n_rows != f->physical_rows || strcmp(x->notes[i].name, f->files[0].path) != 0) continue;
    char **ids = x->notes[i].ids;
    memmove(&x->notes[i], &x->notes[i + 1], (x->n_notes - i - 1) * sizeof *x->notes);
    x->n_notes--;
    return ids;
  }
  return NULL;
}

/* Insert the live ids of fragment f from its note instead of reading them. */
static lp_status insert_noted(lp__store_index *x, lp_table *t, const lp__fragment *f, char **ids,
                              uint64_t *added, lp_error *err) {
  lp__deletion_vec *dv = NULL;
  lp_status rc = f->has_deletion ? lp__table_deletions(t, f, &dv, err) : LP_OK;
  for (uint64_t row = 0; rc == LP_OK && row < f->physical_rows; row++) {
    bool fresh;
    if (lp__deletion_vec_has(dv, row)) continue;
    if (!insert(x, ids[row], strlen(ids[row]), f->id, (uint32_t)row, &fresh))
      rc = lp_error_set(err, LP_ENOMEM, "store index: out of memory");
    *added += fresh;
  }
  lp__deletion_vec_unref(dv);
  return rc;
}

void lp__store_index_note(lp__store_index *x, const char *file_name, const char *const *ids, uint64_t n_rows) {
  size_t name_len = strlen(file_name), bytes = n_rows * sizeof(char *);
  if (name_len > LP__DFW_NAME_LEN) return;
  for (uint64_t i = 0; i < n_rows; i++) bytes += strlen(ids[i]) + 1;
  char **copy = malloc(bytes ? bytes : 1);
  if (copy == NULL) return; /* no note: the fragment is read instead */
  char *p = (char *)(copy + n_rows);
  for (uint64_t i = 0; i < n_rows; i++) {
    size_t len = strlen(ids[i]) + 1;
    copy[i] = memcpy(p, ids[i], len);
    p += len;
  }
  pthread_mutex_lock(&x->mu);
  if (x->n_notes == MAX_NOTES) {
    free(x->notes[0].ids);
    memmove(&x->notes[0], &x->notes[1], (MAX_NOTES - 1) * sizeof *x->notes);
    x->n_notes--;
  }
  note *n = &x->notes[x->n_notes++];
  memcpy(n->name, file_name, name_len + 1);
  n->n_rows = n_rows;
  n->ids = copy;
  pthread_mutex_unlock(&x->mu);
}

/* Insert every live id of fragment f of t; *added = new entries. */
static lp_status scan_fragment(lp__store_index *x, lp_table *t, const lp__fragment *f, uint64_t *added,
                               lp_error *err) {
  *added = 0;
  char **noted = take_note(x, f);
  if (noted != NULL) {
    lp_status rc = f->physical_rows <= UINT32_MAX ? insert_noted(x, t, f, noted, added, err)
                                                   : lp_error_set(err, LP_EUNSUPPORTED, "store index: a fragment of %s has too many rows", t->name);
    free(noted);
    return rc;
  }
  const lp__field *field = lp__schema_find(&t->m->schema, x->id_column);
  if (field == NULL)
    return lp_error_set(err, LP_EINVAL, "store index: table %s has no id column '%s'", t->name, x->id_column);
  if (f->physical_rows > UINT32_MAX)
    return lp_error_set(err, LP_EUNSUPPORTED, "store index: a fragment of %s has too many rows", t->name);
  lp__frag_reader r;
  LP_TRY(lp__frag_reader_open(t, f, &r, err));
  struct ArrowSchema fs = {0};
  lp_status rc = lp__field_to_arrow(field, &fs, err);
  for (uint64_t start = 0; rc == LP_OK && start < f->physical_rows; start += SCAN_ROWS) {
    uint64_t n = f->physical_rows - start < SCAN_ROWS ? f->physical_rows - start : SCAN_ROWS;
    struct ArrowArray a = {0};
    rc = lp__frag_read_field(t, &r, field, &fs, start, NULL, n, &a, err);
    for (uint64_t k = 0; rc == LP_OK && k < n; k++) {
      uint32_t row = (uint32_t)(start + k);
      const char *p;
      size_t len;
      bool fresh;
      if (lp__deletion_vec_has(r.deleted, row) || !lp__arrow_str(&a, &fs, (int64_t)k, &p, &len)) continue;
      if (!insert(x, p, len, f->id, row, &fresh)) rc = lp_error_set(err, LP_ENOMEM, "store index: out of memory");
      *added += fresh;
    }
    if (a.release) a.release(&a);
  }
  if (fs.release) fs.release(&fs);
  lp__frag_reader_close(&r);
  return rc;
}

/* What happens to each old fragment when moving to the new list. */
enum { OLD_KEPT, OLD_GONE, OLD_DELETIONS };

/* Remove the entries of old fragments that are gone, and of rows now deleted. dv[i]: the new deletion
 * vector of old fragment i when its fate is OLD_DELETIONS. count[] (old order) is updated. */
static void drop_entries(lp__store_index *x, const uint8_t *fate, lp__deletion_vec *const *dv, uint64_t *count) {
  for (size_t i = 0; i < x->n_slots; i++) {
    slot *s = &x->slots[i];
    if (s->state != SLOT_USED) continue;
    size_t k = frag_index(x, s->frag);
    if (k == SIZE_MAX || fate[k] == OLD_KEPT) continue;
    if (fate[k] == OLD_GONE || lp__deletion_vec_has(dv[k], s->row)) {
      remove_slot(x, s);
      count[k]--;
    }
  }
}

/* Remove every entry of fragment `id`. */
static void drop_fragment(lp__store_index *x, uint64_t id) {
  for (size_t i = 0; i < x->n_slots; i++)
    if (x->slots[i].state == SLOT_USED && x->slots[i].frag == id) remove_slot(x, &x->slots[i]);
}

/* The new fragment list's bookkeeping (signatures, id order, live rows before each). */
static lp_status set_frags(lp__store_index *x, const lp__manifest *m, uint64_t *count, lp_error *err) {
  size_t n = m->n_fragments;
  frag_sig *sig = malloc((n + 1) * sizeof *sig);
  uint64_t *live = malloc((n + 1) * sizeof *live);
  frag_pos *by_id = malloc((n + 1) * sizeof *by_id);
  if (sig == NULL || live == NULL || by_id == NULL) {
    free(sig);
    free(live);
    free(by_id);
    return lp_error_set(err, LP_ENOMEM, "store index: out of memory");
  }
  live[0] = 0;
  for (size_t i = 0; i < n; i++) {
    const lp__fragment *f = &m->fragments[i];
    sig[i] = sig_of(f);
    live[i + 1] = live[i] + f->physical_rows - (f->has_deletion ? f->num_deleted_rows : 0);
    by_id[i] = (frag_pos){f->id, i};
  }
  qsort(by_id, n, sizeof *by_id, cmp_frag_pos);
  clear_frags(x);
  x->frags = sig;
  x->live_before = live;
  x->by_id = by_id;
  x->count = count;
  x->n_frags = n;
  x->version = m->version;
  return LP_OK;
}

/* Bring the index from its version to t's (caller holds mu). See the file comment. */
static lp_status move_to(lp__store_index *x, lp_table *t, lp_error *err) {
  const lp__manifest *m = t->m;
  size_t n_old = x->n_frags, n_new = m->n_fragments;
  uint8_t *fate = calloc(n_old + 1, 1);
  lp__deletion_vec **dv = calloc(n_old + 1, sizeof *dv);
  size_t *old_of = malloc((n_new + 1) * sizeof *old_of); /* new fragment -> old position or SIZE_MAX */
  uint64_t *new_count = calloc(n_new + 1, sizeof *new_count);
  lp_status rc = fate && dv && old_of && new_count ? LP_OK : lp_error_set(err, LP_ENOMEM, "store index: out of memory");
  for (size_t k = 0; rc == LP_OK && k < n_old; k++) fate[k] = OLD_GONE;
  bool any_change = false;
  for (size_t i = 0; rc == LP_OK && i < n_new; i++) {
    frag_sig s = sig_of(&m->fragments[i]);
    size_t k = frag_index(x, s.id);
    old_of[i] = k != SIZE_MAX && same_rows(&x->frags[k], &s) ? k : SIZE_MAX;
    if (old_of[i] == SIZE_MAX) continue;
    fate[k] = same_deletions(&x->frags[k], &s) ? OLD_KEPT : OLD_DELETIONS;
    if (fate[k] == OLD_DELETIONS && m->fragments[i].has_deletion)
      rc = lp__table_deletions(t, &m->fragments[i], &dv[k], err);
  }
  for (size_t k = 0; rc == LP_OK && k < n_old; k++) any_change |= fate[k] != OLD_KEPT;
  if (rc == LP_OK && any_change) drop_entries(x, fate, dv, x->count);
  for (size_t i = 0; rc == LP_OK && i < n_new; i++) {
    const lp__fragment *f = &m->fragments[i];
    uint64_t live = f->physical_rows - (f->has_deletion ? f->num_deleted_rows : 0);
    size_t k = old_of[i];
    if (k != SIZE_MAX && x->count[k] == live) {
      new_count[i] = live;
      continue;
    }
    if (k != SIZE_MAX) drop_fragment(x, f->id); /* rows came back, or duplicates: read it again */
    rc = scan_fragment(x, t, f, &new_count[i], err);
  }
  if (rc == LP_OK) rc = set_frags(x, m, new_count, err);
  else free(new_count);
  for (size_t k = 0; dv && k < n_old; k++) lp__deletion_vec_unref(dv[k]);
  free(dv);
  free(fate);
  free(old_of);
  if (rc != LP_OK) clear(x);
  return rc;
}

static lp_status sync_to(lp__store_index *x, lp_table *t, lp_error *err) {
  if (x->valid && x->version == t->m->version) return LP_OK;
  if (!x->valid) clear(x);
  LP_TRY(move_to(x, t, err));
  x->valid = true;
  return LP_OK;
}

/* Live position of the entry (frag, row) in t (which the index is synced to), or UINT64_MAX. */
static lp_status live_position(lp__store_index *x, lp_table *t, const slot *s, uint64_t *out, lp_error *err) {
  *out = UINT64_MAX;
  size_t i = frag_index(x, s->frag);
  if (i == SIZE_MAX) return LP_OK;
  const lp__fragment *f = &t->m->fragments[i];
  lp__deletion_vec *d = NULL;
  if (f->has_deletion) LP_TRY(lp__table_deletions(t, f, &d, err));
  if (!lp__deletion_vec_has(d, s->row)) *out = x->live_before[i] + s->row - lp__deletion_vec_rank(d, s->row);
  lp__deletion_vec_unref(d);
  return LP_OK;
}

/* Sync to t and call visit for every id (the index's mutex held). *out_used = false when the index
 * already serves a newer version than t. */
typedef lp_status (*visit_fn)(lp__store_index *x, lp_table *t, const slot *s, size_t i, void *ctx, lp_error *err);

static lp_status each_id(lp__store_index *x, lp_table *t, const char *const *ids, size_t n, visit_fn visit,
                         void *ctx, bool *out_used, lp_error *err) {
  *out_used = false;
  pthread_mutex_lock(&x->mu);
  /* An index newer than t cannot answer for t (positions may differ): the caller scans instead. */
  if (x->valid && x->version > t->m->version) {
    pthread_mutex_unlock(&x->mu);
    return LP_OK;
  }
  lp_status rc = sync_to(x, t, err);
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    size_t len = strlen(ids[i]);
    rc = visit(x, t, find(x, ids[i], len, hash_bytes(ids[i], len)), i, ctx, err);
  }
  *out_used = rc == LP_OK;
  pthread_mutex_unlock(&x->mu);
  return rc;
}

static lp_status visit_position(lp__store_index *x, lp_table *t, const slot *s, size_t i, void *ctx, lp_error *err) {
  uint64_t *pos = ctx;
  pos[i] = UINT64_MAX;
  return s != NULL ? live_position(x, t, s, &pos[i], err) : LP_OK;
}

lp_status lp__store_index_lookup(lp__store_index *x, lp_table *t, const char *const *ids, size_t n, uint64_t *pos,
                                 bool *out_used, lp_error *err) {
  return each_id(x, t, ids, n, visit_position, pos, out_used, err);
}

typedef struct locate_ctx {
  lp__row_ref *refs;
  bool *found;
} locate_ctx;

static lp_status visit_locate(lp__store_index *x, lp_table *t, const slot *s, size_t i, void *vctx, lp_error *err) {
  (void)x;
  (void)t;
  (void)err;
  locate_ctx *c = vctx;
  c->found[i] = s != NULL;
  if (s != NULL) c->refs[i] = (lp__row_ref){s->frag, s->row};
  return LP_OK;
}

lp_status lp__store_index_locate(lp__store_index *x, lp_table *t, const char *const *ids, size_t n, lp__row_ref *refs,
                                 bool *found, bool *out_used, lp_error *err) {
  locate_ctx c = {refs, found};
  return each_id(x, t, ids, n, visit_locate, &c, out_used, err);
}
