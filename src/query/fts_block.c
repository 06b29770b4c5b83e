/* Per-fragment inverted index for full-text search (see fts_block.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "io/io.h"
#include "query/fts_block.h"
#include "table/cache.h"
#include "table/session.h"

atomic_uint_fast64_t lp__fts_blocks_tokenised;

typedef struct triple {
  uint32_t term, row, pos;
} triple;

/* The block while it is being built. */
typedef struct builder {
  lp__fts_block *b;
  size_t cap_terms, cap_bytes, n_bytes;
  triple *tr;
  size_t n_tr, cap_tr;
} builder;

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

int64_t lp__fts_block_find(const lp__fts_block *b, const char *s, size_t n) {
  if (b->n_slots == 0) return -1;
  uint32_t mask = b->n_slots - 1;
  for (uint32_t i = (uint32_t)hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
    uint32_t id = b->slots[i];
    if (id == 0) return -1;
    id--;
    if (b->len[id] == n && memcmp(b->bytes + b->off[id], s, n) == 0) return id;
  }
}

static void slots_insert(lp__fts_block *b, uint32_t id) {
  uint32_t mask = b->n_slots - 1;
  uint32_t i = (uint32_t)hash_bytes(b->bytes + b->off[id], b->len[id]) & mask;
  while (b->slots[i] != 0) i = (i + 1) & mask;
  b->slots[i] = id + 1;
}

static lp_status grow_slots(lp__fts_block *b, lp_error *err) {
  uint32_t n = b->n_slots ? 2 * b->n_slots : 1024;
  uint32_t *s = calloc(n, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for the term dictionary");
  free(b->slots);
  b->slots = s;
  b->n_slots = n;
  for (uint32_t id = 0; id < b->n_terms; id++) slots_insert(b, id);
  return LP_OK;
}

/* The id of term s (added when new). */
static lp_status term_id(builder *bd, const char *s, uint32_t n, uint32_t *out, lp_error *err) {
  lp__fts_block *b = bd->b;
  int64_t id = lp__fts_block_find(b, s, n);
  if (id >= 0) {
    *out = (uint32_t)id;
    return LP_OK;
  }
  if (b->n_terms == UINT32_MAX - 1) return lp_error_set(err, LP_ENOMEM, "fts: too many distinct terms");
  if (b->n_terms == bd->cap_terms) {
    size_t cap = bd->cap_terms ? 2 * bd->cap_terms : 1024;
    uint32_t *o = realloc(b->off, cap * sizeof *o);
    if (o) b->off = o;
    uint32_t *l = realloc(b->len, cap * sizeof *l);
    if (l) b->len = l;
    if (!o || !l) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for the term dictionary");
    bd->cap_terms = cap;
  }
  if (bd->n_bytes + n > UINT32_MAX) return lp_error_set(err, LP_ENOMEM, "fts: term dictionary over 4 GiB");
  if (bd->n_bytes + n > bd->cap_bytes) {
    size_t cap = bd->cap_bytes ? 2 * bd->cap_bytes : 16384;
    while (cap < bd->n_bytes + n) cap *= 2;
    char *nb = realloc(b->bytes, cap);
    if (nb == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for the term dictionary");
    b->bytes = nb;
    bd->cap_bytes = cap;
  }
  memcpy(b->bytes + bd->n_bytes, s, n);
  b->off[b->n_terms] = (uint32_t)bd->n_bytes;
  b->len[b->n_terms] = n;
  bd->n_bytes += n;
  *out = b->n_terms++;
  if ((uint64_t)b->n_terms * 2 > b->n_slots) return grow_slots(b, err); /* re-inserts the new one too */
  slots_insert(b, *out);
  return LP_OK;
}

static lp_status add_row(builder *bd, uint32_t row, const lp__fts_terms *terms, lp_error *err) {
  if (bd->n_tr + terms->n > bd->cap_tr) {
    size_t cap = bd->cap_tr ? 2 * bd->cap_tr : 4096;
    while (cap < bd->n_tr + terms->n) cap *= 2;
    triple *t = realloc(bd->tr, cap * sizeof *t);
    if (t == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for postings");
    bd->tr = t;
    bd->cap_tr = cap;
  }
  for (size_t i = 0; i < terms->n; i++) {
    uint32_t id = 0;
    LP_TRY(term_id(bd, terms->bytes + terms->off[i], terms->len[i], &id, err));
    bd->tr[bd->n_tr++] = (triple){id, row, terms->pos[i]};
  }
  bd->b->doc_len[row] = (uint32_t)terms->n;
  return LP_OK;
}

/* Group the (term, row, position) triples by term, keeping their order (rows ascending, then positions). */
static lp_status sort_postings(builder *bd, lp_error *err) {
  lp__fts_block *b = bd->b;
  b->start = calloc((size_t)b->n_terms + 1, sizeof *b->start);
  b->occ = malloc((bd->n_tr ? bd->n_tr : 1) * sizeof *b->occ);
  if (b->start == NULL || b->occ == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for postings");
  for (size_t i = 0; i < bd->n_tr; i++) b->start[bd->tr[i].term + 1]++;
  for (uint32_t t = 0; t < b->n_terms; t++) b->start[t + 1] += b->start[t];
  uint64_t *fill = malloc(((size_t)b->n_terms + 1) * sizeof *fill);
  if (fill == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for postings");
  memcpy(fill, b->start, ((size_t)b->n_terms + 1) * sizeof *fill);
  for (size_t i = 0; i < bd->n_tr; i++) b->occ[fill[bd->tr[i].term]++] = (lp__fts_posting){bd->tr[i].row, bd->tr[i].pos};
  free(fill);
  return LP_OK;
}

/* Text of row i of a utf8 (wide = false) or large_utf8 array. */
static void text_at(const struct ArrowArray *a, bool wide, int64_t i, const char **s, size_t *n) {
  int64_t j = a->offset + i;
  int64_t lo, hi;
  if (wide) {
    lo = ((const int64_t *)a->buffers[1])[j];
    hi = ((const int64_t *)a->buffers[1])[j + 1];
  } else {
    lo = ((const int32_t *)a->buffers[1])[j];
    hi = ((const int32_t *)a->buffers[1])[j + 1];
  }
  *s = (const char *)a->buffers[2] + lo;
  *n = (size_t)(hi - lo);
}

static lp_status tokenize_rows(builder *bd, const struct ArrowArray *a, bool wide, lp__fts_tokenizer *tk, lp_error *err) {
  lp__fts_terms terms = {0};
  lp_status rc = LP_OK;
  const uint8_t *valid = a->null_count != 0 ? a->buffers[0] : NULL;
  for (int64_t i = 0; rc == LP_OK && i < a->length; i++) {
    if (valid && !lp__bit_get(valid, a->offset + i)) {
      bd->b->is_null[i] = 1;
      continue;
    }
    const char *s;
    size_t n;
    text_at(a, wide, i, &s, &n);
    lp__fts_terms_clear(&terms);
    rc = lp__fts_tokenize(tk, s, n, &terms, err);
    if (rc == LP_OK) rc = add_row(bd, (uint32_t)i, &terms, err);
  }
  lp__fts_terms_reset(&terms);
  return rc;
}

void lp__fts_block_totals(lp__fts_block *b) {
  b->n_non_null = b->total_len = 0;
  for (uint64_t r = 0; r < b->n_rows; r++) {
    b->n_non_null += !b->is_null[r];
    b->total_len += b->doc_len[r];
  }
}

void lp__fts_block_unref(lp__fts_block *b) {
  if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1) return;
  free(b->doc_len);
  free(b->is_null);
  free(b->bytes);
  free(b->off);
  free(b->len);
  free(b->slots);
  free(b->start);
  free(b->occ);
  free(b);
}

static void *block_ref(void *v) {
  atomic_fetch_add(&((lp__fts_block *)v)->refs, 1);
  return v;
}
static void block_unref(void *v) { lp__fts_block_unref(v); }
static const lp__cache_ops BLOCK_OPS = {block_ref, block_unref};

static lp_status build(lp_table *t, lp__frag_reader *r, const lp__field *f, lp__fts_tokenizer *tk, lp__fts_block *b,
                       lp_error *err) {
  const lp__fragment *frag = r->frag;
  if (frag->physical_rows > UINT32_MAX)
    return lp_error_set(err, LP_EUNSUPPORTED, "fts: fragment %" PRIu64 " has more than 2^32 rows", frag->id);
  struct ArrowSchema fs = {0};
  struct ArrowArray a = {0};
  builder bd = {.b = b};
  b->n_rows = frag->physical_rows;
  b->doc_len = calloc(b->n_rows + 1, sizeof *b->doc_len);
  b->is_null = calloc(b->n_rows + 1, 1);
  lp_status rc = b->doc_len && b->is_null ? LP_OK : lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  if (rc == LP_OK) rc = lp__field_to_arrow(f, &fs, err);
  if (rc == LP_OK) rc = lp__frag_read_field(t, r, f, &fs, 0, NULL, frag->physical_rows, &a, err);
  if (rc == LP_OK && (uint64_t)a.length != frag->physical_rows)
    rc = lp_error_set(err, LP_ECORRUPT, "table %s: fragment %" PRIu64 ": column %s returned %" PRId64 " rows, expected %" PRIu64,
                      t->name, frag->id, f->name, a.length, frag->physical_rows);
  if (rc == LP_OK && a.length > 0 && (a.n_buffers < 3 || a.buffers[1] == NULL))
    rc = lp_error_set(err, LP_ECORRUPT, "table %s: text column %s decoded without offsets", t->name, f->name);
  if (rc == LP_OK) rc = grow_slots(b, err);
  if (rc == LP_OK) atomic_fetch_add(&lp__fts_blocks_tokenised, 1);
  if (rc == LP_OK) rc = tokenize_rows(&bd, &a, f->type == LP__TYPE_LARGE_UTF8, tk, err);
  if (rc == LP_OK) rc = sort_postings(&bd, err);
  if (rc == LP_OK) lp__fts_block_totals(b);
  b->size_bytes = sizeof *b + b->n_rows * 5 + bd.n_bytes + (size_t)b->n_terms * (8 + 8) + (size_t)b->n_slots * 4 +
                  bd.n_tr * sizeof *b->occ;
  free(bd.tr);
  lp__arrow_release(&a);
  if (fs.release) fs.release(&fs);
  return rc;
}

/* The data file holding field f in the fragment, or NULL. */
static const lp__data_file *file_of(const lp__fragment *frag, const lp__field *f) {
  const lp__data_file *found = NULL;
  for (size_t i = 0; i < frag->n_files; i++)
    for (size_t j = 0; j < frag->files[i].n_fields; j++)
      if (frag->files[i].fields[j] == f->id) found = &frag->files[i];
  return found;
}

/* The saved block's path (local tables only): false when there is none to have. */
static bool saved_path(const lp_table *t, const lp__fragment *frag, const lp__field *f, const char *sig, char *out,
                       size_t cap) {
  const lp__data_file *df = file_of(frag, f);
  if (df == NULL || lp__db_is_store(t->db)) return false;
  const char *base = strrchr(df->path, '/');
  base = base ? base + 1 : df->path;
  int w = snprintf(out, cap, "%s/_lancepool/fts/%s.%d.%016" PRIx64 ".blk", t->dir, base, (int)f->id,
                   hash_bytes(sig, strlen(sig)));
  return w > 0 && (size_t)w < cap;
}

/* The saved block, or NULL when there is none or it does not load (then it is built again). */
static lp__fts_block *load_saved(const lp_table *t, const lp__fragment *frag, const lp__field *f, const char *sig) {
  char path[4400];
  if (!saved_path(t, frag, f, sig, path, sizeof path)) return NULL;
  uint8_t *bytes = NULL;
  size_t n = 0;
  lp__fts_block *b = NULL;
  if (lp__read_file(path, SIZE_MAX, &bytes, &n, NULL) == LP_OK && lp__fts_block_decode(bytes, n, &b, NULL) == LP_OK &&
      b->n_rows != frag->physical_rows) {
    lp__fts_block_unref(b);
    b = NULL;
  }
  free(bytes);
  return b;
}

/* Write a file whole under a temporary name and rename it over path, so readers see all of it or none. Not
 * fsynced: a lost block is only built again. */
static lp_status write_replace(const char *dir, const char *path, const uint8_t *bytes, size_t n, lp_error *err) {
  char tmp[4400];
  int w = snprintf(tmp, sizeof tmp, "%s/.tmpXXXXXX", dir);
  if (w < 0 || (size_t)w >= sizeof tmp) return lp_error_set(err, LP_EINVAL, "fts: table path too long");
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create a file", dir);
  lp_status rc = LP_OK;
  if (fchmod(fd, 0644) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot set its mode", tmp);
  if (rc == LP_OK) rc = lp__write_all(fd, bytes, n, tmp, err);
  if (close(fd) != 0 && rc == LP_OK) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot close", tmp);
  if (rc == LP_OK && rename(tmp, path) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot rename", path);
  if (rc != LP_OK) unlink(tmp);
  return rc;
}

lp_status lp__fts_block_save(lp_table *t, const lp__fragment *frag, const lp__field *f, const char *sig,
                             const lp__fts_block *b, lp_error *err) {
  char path[4400], dir[4400];
  if (!saved_path(t, frag, f, sig, path, sizeof path)) return LP_OK;
  int w = snprintf(dir, sizeof dir, "%s/_lancepool/fts", t->dir);
  if (w < 0 || (size_t)w >= sizeof dir) return lp_error_set(err, LP_EINVAL, "fts: table path too long");
  uint8_t *bytes = NULL;
  size_t n = 0;
  LP_TRY(lp__fts_block_encode(b, &bytes, &n, err));
  lp_status rc = lp__mkdir_p(dir, err);
  if (rc == LP_OK) rc = write_replace(dir, path, bytes, n, err);
  free(bytes);
  return rc;
}

lp_status lp__fts_block_get(lp_table *t, lp__frag_reader *r, const lp__field *f, lp__fts_tokenizer *tk,
                            const char *sig, bool use_saved, lp__fts_block **out, lp_error *err) {
  lp__cache *cache = t->db->session ? lp__session_vector_cache(t->db->session) : NULL;
  char key[4400];
  key[0] = '\0';
  const lp__fragment *frag = r->frag;
  const lp__data_file *df = file_of(frag, f);
  if (df) snprintf(key, sizeof key, "T|%s/data/%s|%d|%s", t->dir, df->path, (int)f->id, sig);
  if (cache && key[0] && (*out = lp__cache_get(cache, key)) != NULL) return LP_OK;
  lp__fts_block *b = use_saved ? load_saved(t, frag, f, sig) : NULL;
  if (b == NULL) {
    if ((b = calloc(1, sizeof *b)) == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
    atomic_init(&b->refs, 1);
    lp_status rc = build(t, r, f, tk, b, err);
    if (rc != LP_OK) {
      lp__fts_block_unref(b);
      return rc;
    }
    /* saved for the next process; a failure (read-only folder, full disk) only means tokenising again */
    if (use_saved) (void)lp__fts_block_save(t, frag, f, sig, b, NULL);
  }
  if (cache && key[0]) lp__cache_put(cache, key, b, b->size_bytes, &BLOCK_OPS);
  *out = b;
  return LP_OK;
}
