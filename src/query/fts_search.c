/* BM25 full-text search with LanceDB's answers (lp_table_text_search in lance.h).
 *
 * LanceDB scores two kinds of rows differently, and so does this file:
 * - rows of the fragments its index covers ("indexed"): BM25 with k1 = 1.2, b = 0.75,
 *   idf = ln(1 + (N - n + 0.5) / (n + 0.5)), N the index's documents (non-null texts), n those holding the
 *   term, and the length norm k1 * (1 - b + b * len / avgdl) over the index's average length;
 * - rows of fragments appended since ("unindexed", searched by a flat scan): the same formula with
 *   statistics that add the unindexed rows to the index's: N + their count, the index's tokens + theirs
 *   for the average, and n + every occurrence of the term in them (occurrences, not rows: LanceDB's count).
 * The statistics are computed here over the rows themselves, tokenised with the index's recorded settings
 * (fts_block.c, cached per fragment). The index's posting files are not read. */
#include <inttypes.h>
#include <math.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "index_details.pb-c.h"
#include "query/fts_block.h"
#include "query/search_int.h"
#include "table.pb-c.h"
#include "table/manifest.h"
#include "table/table.h"

#define BM25_K1 1.2
#define BM25_B 0.75
#define DETAILS_TYPE "InvertedIndexDetails"

void lp_text_search_options_init(lp_text_search_options *o) {
  memset(o, 0, sizeof *o);
  o->k = 10;
  o->op = LP_FTS_OR;
  o->max_expansions = 50;
}

/* ---- the index's record in the manifest --------------------------------------------------------- */

typedef struct fts_index {
  bool found;
  bool own;                /* lancepool's own index (create-index), or the defaults on a column without any
                              index: every row is indexed, statistics are today's */
  bool saved;              /* lancepool's own index: blocks are loaded from and saved to its files */
  lp__fts_params params;
  roaring_bitmap_t *frags; /* fragments the index covers (union of its segments) */
} fts_index;

static bool is_text(const lp__field *f) { return f->type == LP__TYPE_UTF8 || f->type == LP__TYPE_LARGE_UTF8; }

static bool is_fts_index(const Lance__Table__IndexMetadata *im, int32_t field_id) {
  if (im->n_fields != 1 || im->index_details == NULL || im->index_details->type_url == NULL) return false;
  const char *u = im->index_details->type_url;
  size_t n = strlen(u), m = strlen(DETAILS_TYPE);
  return im->fields[0] == field_id && n >= m && strcmp(u + n - m, DETAILS_TYPE) == 0;
}

lp_status lp__fts_params_from_details(const uint8_t *bytes, size_t n, lp__fts_params *p, lp_error *err) {
  Lance__Table__InvertedIndexDetails *d = lance__table__inverted_index_details__unpack(NULL, n, bytes);
  if (d == NULL) return lp_error_set(err, LP_ECORRUPT, "fts: the index's InvertedIndexDetails do not decode");
  lp_status rc = LP_OK;
  lp__fts_params_default(p);
  if (d->opt_base_tokenizer_case == LANCE__TABLE__INVERTED_INDEX_DETAILS__OPT_BASE_TOKENIZER_BASE_TOKENIZER)
    rc = lp__fts_base_parse(d->base_tokenizer, &p->base, err);
  const char *lang = d->language ? d->language : "";
  size_t ln = strlen(lang);
  if (ln >= 2 && lang[0] == '"' && lang[ln - 1] == '"') lang++, ln -= 2;
  if (ln > 0 && ln < sizeof p->language) {
    memcpy(p->language, lang, ln);
    p->language[ln] = '\0';
  }
  p->with_position = d->with_position;
  p->max_token_length =
      d->opt_max_token_length_case == LANCE__TABLE__INVERTED_INDEX_DETAILS__OPT_MAX_TOKEN_LENGTH_MAX_TOKEN_LENGTH
          ? d->max_token_length
          : 0;
  p->lower_case = d->lower_case;
  p->stem = d->stem;
  p->remove_stop_words = d->remove_stop_words;
  p->ascii_folding = d->ascii_folding;
  p->min_ngram_length = d->min_ngram_length;
  p->max_ngram_length = d->max_ngram_length;
  p->prefix_only = d->prefix_only;
  lance__table__inverted_index_details__free_unpacked(d, NULL);
  return rc;
}

static lp_status add_fragments(fts_index *ix, const ProtobufCBinaryData *bm, lp_error *err) {
  roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)bm->data, bm->len);
  if (r == NULL) return lp_error_set(err, LP_ECORRUPT, "fts: the index's fragment bitmap does not decode");
  roaring_bitmap_or_inplace(ix->frags, r);
  roaring_bitmap_free(r);
  return LP_OK;
}

/* Find LanceDB's full-text index of field_id in the manifest's index section. */
static lp_status find_index(const lp__manifest *m, int32_t field_id, fts_index *ix, lp_error *err) {
  memset(ix, 0, sizeof *ix);
  if (m->index_section == NULL) return LP_OK;
  Lance__Table__IndexSection *sec = lance__table__index_section__unpack(NULL, m->index_section_len, m->index_section);
  if (sec == NULL) return lp_error_set(err, LP_ECORRUPT, "fts: the manifest's index section does not decode");
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < sec->n_indices; i++) {
    const Lance__Table__IndexMetadata *im = sec->indices[i];
    if (!is_fts_index(im, field_id)) continue;
    if (!ix->found) {
      ix->found = true;
      if ((ix->frags = roaring_bitmap_create()) == NULL) rc = lp_error_set(err, LP_ENOMEM, "fts: out of memory");
      if (rc == LP_OK) rc = lp__fts_params_from_details(im->index_details->value.data, im->index_details->value.len, &ix->params, err);
    }
    if (rc == LP_OK) rc = add_fragments(ix, &im->fragment_bitmap, err);
  }
  lance__table__index_section__free_unpacked(sec, NULL);
  return rc;
}

/* An index over every fragment of today's version with settings p (lancepool's own, or the defaults). */
static lp_status whole_table_index(const lp__manifest *m, const lp__fts_params *p, fts_index *ix, lp_error *err) {
  memset(ix, 0, sizeof *ix);
  if ((ix->frags = roaring_bitmap_create()) == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  for (size_t i = 0; i < m->n_fragments; i++)
    if (m->fragments[i].id <= UINT32_MAX) roaring_bitmap_add(ix->frags, (uint32_t)m->fragments[i].id);
  ix->found = ix->own = true;
  ix->params = *p;
  return LP_OK;
}

/* lancepool's own full-text index of field_id (a table config entry), if any. */
lp_status lp__fts_own_index(const lp__manifest *m, int32_t field_id, char *name, size_t name_cap, lp__fts_params *p,
                            bool *found, lp_error *err) {
  char key[64];
  lp__fts_config_key(field_id, key, sizeof key);
  const char *v = lp__manifest_config(m, key);
  *found = v != NULL;
  return v ? lp__fts_config_parse(v, name, name_cap, p, err) : LP_OK;
}

/* The index searched for field f: LanceDB's when the column has one, else lancepool's own, else (when
 * use_defaults) LanceDB's default settings over the whole table. ix->found tells. */
static lp_status column_index(const lp__manifest *m, const lp__field *f, bool use_defaults, fts_index *ix, lp_error *err) {
  LP_TRY(find_index(m, f->id, ix, err));
  if (ix->found) return LP_OK;
  char name[LP__FTS_NAME_MAX];
  lp__fts_params p;
  bool own = false;
  LP_TRY(lp__fts_own_index(m, f->id, name, sizeof name, &p, &own, err));
  if (!own && !use_defaults) return LP_OK;
  if (!own) lp__fts_params_default(&p);
  LP_TRY(whole_table_index(m, &p, ix, err));
  ix->saved = own;
  return LP_OK;
}

static void index_reset(fts_index *ix) {
  if (ix->frags) roaring_bitmap_free(ix->frags);
  memset(ix, 0, sizeof *ix);
}

/* The column to search: the named one (with LanceDB's default settings when it has no index: LanceDB
 * itself refuses that), else the only one with a full-text index, else the only string column. */
static lp_status resolve_column(lp_table *t, const char *name, const lp__field **out, fts_index *ix, lp_error *err) {
  const lp__schema *s = &t->m->schema;
  size_t n_indexed = 0, n_text = 0;
  const lp__field *only_text = NULL;
  for (size_t i = 0; i < s->n_fields; i++) {
    const lp__field *f = &s->fields[i];
    if (name != NULL && strcmp(f->name, name) != 0) continue;
    if (name != NULL && !is_text(f))
      return lp_error_set(err, LP_EINVAL, "text search: column \"%s\" of table %s is not a string column (utf8 or large_utf8)",
                          name, t->name);
    if (!is_text(f)) continue;
    n_text++;
    only_text = f;
    fts_index cand;
    LP_TRY(column_index(t->m, f, name != NULL, &cand, err));
    if (!cand.found) continue;
    index_reset(ix);
    *ix = cand;
    *out = f;
    n_indexed++;
  }
  if (name != NULL && n_indexed == 0) return lp_error_set(err, LP_EINVAL, "text search: table %s has no column \"%s\"", t->name, name);
  if (n_indexed == 0 && n_text == 1) {
    *out = only_text;
    return column_index(t->m, only_text, true, ix, err);
  }
  if (n_indexed == 0)
    return lp_error_set(err, LP_EINVAL, "text search: table %s has %s; name the column to search", t->name,
                        n_text ? "several string columns and no full-text index" : "no string column");
  if (n_indexed > 1) {
    index_reset(ix);
    return lp_error_set(err, LP_EINVAL, "text search: table %s has several full-text indexes; name the column", t->name);
  }
  return LP_OK;
}

/* ---- query terms ---------------------------------------------------------------------------------- */

typedef struct qterm {
  char *text;
  size_t len;
  uint32_t pos;   /* position in the query (phrase) */
  uint64_t n_idx; /* indexed rows holding it */
  uint64_t n_all; /* that plus its occurrences in unindexed rows */
  bool known;     /* the index has it */
} qterm;

typedef struct query {
  qterm *t;
  size_t n;
} query;

static void query_reset(query *q) {
  for (size_t i = 0; q->t && i < q->n; i++) free(q->t[i].text);
  free(q->t);
  memset(q, 0, sizeof *q);
}

static lp_status query_add(query *q, const char *s, size_t n, uint32_t pos, lp_error *err) {
  qterm *t = realloc(q->t, (q->n + 1) * sizeof *t);
  if (t == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  q->t = t;
  char *c = malloc(n + 1);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  memcpy(c, s, n);
  c[n] = '\0';
  q->t[q->n++] = (qterm){c, n, pos, 0, 0, false};
  return LP_OK;
}

static bool query_has(const query *q, const char *s, size_t n) {
  for (size_t i = 0; i < q->n; i++)
    if (q->t[i].len == n && memcmp(q->t[i].text, s, n) == 0) return true;
  return false;
}

/* The query's terms; repeated terms once, unless a phrase needs each. */
static lp_status query_terms(lp__fts_tokenizer *tk, const char *text, bool phrase, query *q, lp_error *err) {
  lp__fts_terms tt = {0};
  lp_status rc = lp__fts_tokenize(tk, text, strlen(text), &tt, err);
  for (size_t i = 0; rc == LP_OK && i < tt.n; i++) {
    const char *s = tt.bytes + tt.off[i];
    if (!phrase && query_has(q, s, tt.len[i])) continue;
    rc = query_add(q, s, tt.len[i], tt.pos[i], err);
  }
  lp__fts_terms_reset(&tt);
  return rc;
}

/* The query's terms. A fuzzy query's terms are matched against the index's terms before stemming and
 * ASCII folding (LanceDB's answers show it: "toens" is not within one edit of the stem "token" of
 * "tokens" for LanceDB, but "toens" is within one edit of "token"). */
static lp_status fuzzy_or_exact_terms(lp__fts_tokenizer *tk, const lp__fts_params *p, const lp_text_search_options *o,
                                      query *q, lp_error *err) {
  if (o->fuzziness == 0) return query_terms(tk, o->query, o->phrase, q, err);
  lp__fts_params raw = *p;
  raw.stem = raw.ascii_folding = false;
  lp__fts_tokenizer *rtk = NULL;
  LP_TRY(lp__fts_tokenizer_new(&raw, &rtk, err));
  lp_status rc = query_terms(rtk, o->query, false, q, err);
  lp__fts_tokenizer_free(rtk);
  return rc;
}

/* ---- fuzzy terms: index terms within n edits ----------------------------------------------------- */

/* Levenshtein distance in characters (code points) between a and b, capped at cap + 1. */
static uint32_t edit_distance(const char *a, size_t na, const char *b, size_t nb, uint32_t cap) {
  uint32_t ca[256], cb[256];
  size_t la = 0, lb = 0;
  for (size_t i = 0; i < na && la < 256; i++)
    if (((unsigned char)a[i] & 0xC0) != 0x80) ca[la++] = (unsigned char)a[i] | (uint32_t)i << 8;
  for (size_t i = 0; i < nb && lb < 256; i++)
    if (((unsigned char)b[i] & 0xC0) != 0x80) cb[lb++] = (unsigned char)b[i] | (uint32_t)i << 8;
  if ((la > lb ? la - lb : lb - la) > cap) return cap + 1;
  /* compare characters as their byte strings */
  uint32_t prev[257], cur[257];
  for (size_t j = 0; j <= lb; j++) prev[j] = (uint32_t)j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = (uint32_t)i;
    size_t ai = ca[i - 1] >> 8, ae = i < la ? ca[i] >> 8 : na;
    uint32_t row_min = cur[0];
    for (size_t j = 1; j <= lb; j++) {
      size_t bj = cb[j - 1] >> 8, be = j < lb ? cb[j] >> 8 : nb;
      bool same = ae - ai == be - bj && memcmp(a + ai, b + bj, ae - ai) == 0;
      uint32_t v = prev[j - 1] + (same ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      cur[j] = v;
      if (v < row_min) row_min = v;
    }
    if (row_min > cap) return cap + 1;
    memcpy(prev, cur, (lb + 1) * sizeof *prev);
  }
  return prev[lb];
}

static int cmp_bytes(const void *x, const void *y) {
  const qterm *a = x, *b = y;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->text, b->text, n);
  return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Every distinct term of the indexed blocks, in byte order (the order LanceDB walks its term dictionary). */
static lp_status index_dictionary(lp__fts_block *const *blocks, const bool *indexed, size_t n_blocks, query *dict,
                                  lp_error *err) {
  for (size_t i = 0; i < n_blocks; i++) {
    if (!blocks[i] || !indexed[i]) continue;
    const lp__fts_block *b = blocks[i];
    for (uint32_t t = 0; t < b->n_terms; t++) {
      if (b->start[t + 1] == b->start[t]) continue;
      LP_TRY(query_add(dict, b->bytes + b->off[t], b->len[t], 0, err));
    }
  }
  if (dict->n) qsort(dict->t, dict->n, sizeof *dict->t, cmp_bytes);
  size_t k = 0;
  for (size_t i = 0; i < dict->n; i++) {
    if (k > 0 && cmp_bytes(&dict->t[k - 1], &dict->t[i]) == 0) {
      free(dict->t[i].text);
      continue;
    }
    dict->t[k++] = dict->t[i];
  }
  dict->n = k;
  return LP_OK;
}

/* Replace q's terms by the index terms within the allowed edits of each (fuzziness < 0: 0 edits for terms
 * of up to 2 bytes, 1 up to 5, else 2), in dictionary order. As LanceDB does, the list is cut once it
 * holds max_expansions terms (counting repeats; each later term still adds its first match), then
 * repeats are dropped. */
static lp_status expand_fuzzy(query *q, const query *dict, int32_t fuzziness, uint32_t max_expansions, lp_error *err) {
  query out = {0};
  lp_status rc = LP_OK;
  size_t pushed = 0;
  for (size_t i = 0; rc == LP_OK && i < q->n; i++) {
    const qterm *t = &q->t[i];
    uint32_t d = fuzziness >= 0 ? (uint32_t)fuzziness : t->len <= 2 ? 0 : t->len <= 5 ? 1 : 2;
    for (size_t j = 0; rc == LP_OK && j < dict->n; j++) {
      if (edit_distance(t->text, t->len, dict->t[j].text, dict->t[j].len, d) > d) continue;
      if (!query_has(&out, dict->t[j].text, dict->t[j].len)) rc = query_add(&out, dict->t[j].text, dict->t[j].len, 0, err);
      if (++pushed >= max_expansions) break;
    }
  }
  query_reset(q);
  *q = out;
  return rc;
}

/* ---- scoring -------------------------------------------------------------------------------------- */

typedef struct frag_ctx {
  lp__frag_reader fr;
  bool open;
  lp__fts_block *b;
  bool indexed;
  uint64_t live_base; /* live position of the fragment's first live row */
  int64_t *term_of;   /* per query term: its id in this block, or -1 */
  lp__deletion_vec *deleted_at_index; /* rows deleted when the index was built (NULL = none), a reference */
} frag_ctx;

typedef struct stats {
  double n_docs, total_len;
} stats;

typedef struct hits {
  lp__topk_item *h;
  size_t n, cap;
} hits;

static lp_status hits_push(hits *hs, double score, uint64_t pos, lp_error *err) {
  if (hs->n == hs->cap) {
    size_t cap = hs->cap ? 2 * hs->cap : 256;
    lp__topk_item *h = realloc(hs->h, cap * sizeof *h);
    if (h == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory for results");
    hs->h = h;
    hs->cap = cap;
  }
  hs->h[hs->n++] = (lp__topk_item){(float)score, pos};
  return LP_OK;
}

/* Walk a fragment's physical rows in order, giving each live row's position (or skipping it). */
static inline bool live_pos(const frag_ctx *fc, uint64_t row, const uint8_t *sel, uint64_t *pos) {
  const lp__deletion_vec *d = fc->fr.deleted;
  size_t below = d ? lp__deletion_vec_rank(d, row) : 0;
  if (d && lp__deletion_vec_has(d, row)) return false;
  *pos = fc->live_base + row - below;
  return sel == NULL || lp__bit_get(sel, (int64_t)*pos);
}

/* Whether an indexed row counts in the index's statistics: LanceDB's index keeps the rows it was built
 * over, so a row deleted since still counts; a row deleted before the build does not. */
static bool row_live(const frag_ctx *fc, uint64_t row) {
  return !(fc->deleted_at_index && lp__deletion_vec_has(fc->deleted_at_index, row));
}

/* N and total length over the live rows of the indexed fragments (non-null texts), or with indexed false
 * of the unindexed and pre-filtered ones (null texts count too, as in LanceDB's flat search), added to
 * *st; and per query term its indexed rows (n_idx), or n_idx plus its unindexed occurrences (n_all). */
static void gather_stats(frag_ctx *fcs, size_t n_frags, bool indexed, const uint8_t *sel, query *q, stats *st) {
  for (size_t k = 0; k < q->n; k++) {
    if (indexed) q->t[k].n_idx = 0, q->t[k].known = false;
    else q->t[k].n_all = q->t[k].n_idx;
  }
  for (size_t i = 0; i < n_frags; i++) {
    frag_ctx *fc = &fcs[i];
    if (fc->b == NULL || fc->indexed != indexed) continue;
    const lp__fts_block *b = fc->b;
    if (indexed && fc->deleted_at_index == NULL) { /* every row counts: the block's totals */
      st->n_docs += (double)b->n_non_null;
      st->total_len += (double)b->total_len;
    } else if (!indexed && sel == NULL && fc->fr.deleted == NULL) {
      st->n_docs += (double)b->n_rows; /* null texts count too (see above) */
      st->total_len += (double)b->total_len;
    } else {
      for (uint64_t r = 0; r < b->n_rows; r++) {
        uint64_t pos;
        if ((indexed && b->is_null[r]) || !(indexed ? row_live(fc, r) : live_pos(fc, r, sel, &pos))) continue;
        st->n_docs += 1;
        st->total_len += b->doc_len[r];
      }
    }
    for (size_t k = 0; k < q->n; k++) {
      int64_t id = lp__fts_block_find(b, q->t[k].text, q->t[k].len);
      if (id < 0) continue;
      const lp__fts_posting *o = b->occ;
      uint32_t last = UINT32_MAX;
      for (uint64_t j = b->start[id]; j < b->start[id + 1]; j++) {
        uint64_t pos;
        if (!(indexed ? row_live(fc, o[j].row) : live_pos(fc, o[j].row, sel, &pos))) continue;
        if (indexed) {
          if (o[j].row != last) q->t[k].n_idx++;
          q->t[k].known = true;
        } else {
          q->t[k].n_all++;
        }
        last = o[j].row;
      }
    }
  }
}

static double idf(double n_term, double n_docs) { return log((n_docs - n_term + 0.5) / (n_term + 0.5) + 1.0); }

static double tf_part(double freq, double doc_len, double avgdl) {
  double norm = BM25_K1 * (1.0 - BM25_B + BM25_B * doc_len / avgdl);
  return (BM25_K1 + 1.0) * freq / (freq + norm);
}

/* Occurrences [*lo, *hi) of term k in row `row` (postings are by row). */
static void row_range(const lp__fts_block *b, int64_t term, uint32_t row, uint64_t *lo, uint64_t *hi) {
  uint64_t a = b->start[term], z = b->start[term + 1];
  while (a < z) { /* first occurrence with row >= row */
    uint64_t m = a + (z - a) / 2;
    if (b->occ[m].row < row) a = m + 1;
    else z = m;
  }
  *lo = a;
  uint64_t e = a;
  while (e < b->start[term + 1] && b->occ[e].row == row) e++;
  *hi = e;
}

/* Whether the row holds the terms at the query's relative positions. */
static bool phrase_match(const frag_ctx *fc, const query *q, uint32_t row) {
  const lp__fts_block *b = fc->b;
  uint64_t lo0, hi0;
  row_range(b, fc->term_of[0], row, &lo0, &hi0);
  for (uint64_t j = lo0; j < hi0; j++) {
    int64_t start = (int64_t)b->occ[j].pos - (int64_t)q->t[0].pos;
    if (start < 0) continue; /* the phrase (with its removed stop words) would begin before the text */
    bool all = true;
    for (size_t k = 1; k < q->n && all; k++) {
      uint64_t lo, hi;
      row_range(b, fc->term_of[k], row, &lo, &hi);
      int64_t want = start + (int64_t)q->t[k].pos;
      bool found = false;
      for (uint64_t x = lo; x < hi && !found; x++) found = (int64_t)b->occ[x].pos == want;
      all = found;
    }
    if (all) return true;
  }
  return false;
}

typedef struct score_args {
  const query *q;
  const stats *st;
  bool indexed;
  const lp_text_search_options *o;
  const uint8_t *sel;
  double *acc;      /* per row scratch: score */
  uint32_t *n_hit;  /* per row scratch: terms found */
} score_args;

/* Score the rows of one fragment that hold the query's terms and push them. */
static lp_status score_fragment(const frag_ctx *fc, const score_args *a, hits *out, lp_error *err) {
  const lp__fts_block *b = fc->b;
  const query *q = a->q;
  double avgdl = a->st->total_len / a->st->n_docs;
  size_t n_known = 0;
  for (size_t k = 0; k < q->n; k++) n_known += a->indexed ? q->t[k].known : (q->t[k].n_all > 0);
  if (n_known == 0) return LP_OK;
  uint32_t *touched = malloc((b->n_rows + 1) * sizeof *touched);
  if (touched == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  size_t n_touched = 0;
  for (size_t k = 0; k < q->n; k++) {
    if (fc->term_of[k] < 0) continue;
    double w = idf(a->indexed ? (double)q->t[k].n_idx : (double)q->t[k].n_all, a->st->n_docs);
    uint64_t lo = b->start[fc->term_of[k]], hi = b->start[fc->term_of[k] + 1];
    for (uint64_t j = lo; j < hi;) {
      uint32_t row = b->occ[j].row;
      uint64_t e = j;
      while (e < hi && b->occ[e].row == row) e++;
      uint64_t pos;
      if (live_pos(fc, row, a->sel, &pos)) {
        if (a->n_hit[row] == 0) touched[n_touched++] = row;
        a->n_hit[row]++;
        a->acc[row] += w * tf_part((double)(e - j), b->doc_len[row], avgdl);
      }
      j = e;
    }
  }
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n_touched; i++) {
    uint32_t row = touched[i];
    bool keep = a->acc[row] > 0;
    if (a->o->phrase) keep = keep && a->n_hit[row] == q->n && phrase_match(fc, q, row);
    else if (a->o->op == LP_FTS_AND && a->indexed) keep = keep && a->n_hit[row] == n_known; /* LanceDB's flat
                                                                   search of unindexed rows ignores the operator */
    uint64_t pos;
    if (rc == LP_OK && keep && live_pos(fc, row, NULL, &pos)) rc = hits_push(out, a->acc[row], pos, err);
    a->acc[row] = 0;
    a->n_hit[row] = 0;
  }
  free(touched);
  return rc;
}

/* ---- the query ------------------------------------------------------------------------------------ */

static int cmp_hits(const void *x, const void *y) {
  const lp__topk_item *a = x, *b = y;
  if (a->dist != b->dist) return a->dist > b->dist ? -1 : 1; /* score descending */
  return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Move the k best hits (cmp_hits order, a total order) to the front, in any order: quickselect, so a
 * query matching many rows does not sort them all. */
static void select_best(lp__topk_item *h, size_t n, size_t k) {
  size_t lo = 0, hi = n; /* the k-th best lies in [lo, hi) */
  while (hi - lo > 1) {
    lp__topk_item pivot = h[lo + (hi - lo) / 2];
    size_t i = lo, j = hi - 1;
    while (i <= j) { /* Hoare partition around the pivot */
      while (cmp_hits(&h[i], &pivot) < 0) i++;
      while (cmp_hits(&h[j], &pivot) > 0) j--;
      if (i <= j) {
        lp__topk_item x = h[i];
        h[i] = h[j];
        h[j] = x;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j) hi = j + 1;
    else if (k >= i) lo = i;
    else return;
  }
}

static void params_signature(const lp__fts_params *p, char *out, size_t cap) {
  snprintf(out, cap, "%d,%s,%u,%d%d%d%d,%u,%u,%d", (int)p->base, p->language, p->max_token_length, p->lower_case,
           p->stem, p->remove_stop_words, p->ascii_folding, p->min_ngram_length, p->max_ngram_length, p->prefix_only);
}

lp_status lp__fts_save_all_blocks(lp_table *t, const lp__field *f, const lp__fts_params *p, lp_error *err) {
  char sig[128];
  params_signature(p, sig, sizeof sig);
  lp__fts_tokenizer *tk = NULL;
  LP_TRY(lp__fts_tokenizer_new(p, &tk, err));
  lp_status rc = LP_OK;
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
    lp__frag_reader fr;
    lp__fts_block *b = NULL;
    rc = lp__frag_reader_open(t, &t->m->fragments[i], &fr, err);
    if (rc != LP_OK) break;
    rc = lp__fts_block_get(t, &fr, f, tk, sig, true, &b, err);
    if (rc == LP_OK) rc = lp__fts_block_save(t, &t->m->fragments[i], f, sig, b, err);
    lp__fts_block_unref(b);
    lp__frag_reader_close(&fr);
  }
  lp__fts_tokenizer_free(tk);
  return rc;
}

static lp_status open_fragments(lp_table *t, const lp__field *f, const fts_index *ix, lp__fts_tokenizer *tk,
                                frag_ctx *fcs, lp_error *err) {
  char sig[128];
  params_signature(&ix->params, sig, sizeof sig);
  uint64_t live_base = 0;
  for (size_t i = 0; i < t->m->n_fragments; i++) {
    const lp__fragment *frag = &t->m->fragments[i];
    fcs[i].live_base = live_base;
    fcs[i].indexed = frag->id <= UINT32_MAX && roaring_bitmap_contains(ix->frags, (uint32_t)frag->id);
    uint64_t live = frag->physical_rows - frag->num_deleted_rows;
    live_base += live;
    if (live == 0) continue;
    LP_TRY(lp__frag_reader_open(t, frag, &fcs[i].fr, err));
    fcs[i].open = true;
    LP_TRY(lp__fts_block_get(t, &fcs[i].fr, f, tk, sig, ix->saved, &fcs[i].b, err));
  }
  return LP_OK;
}

/* The dataset version of the FTS index entry of field_id in version m that covers fragment frag_id, or 0. */
static lp_status entry_version(const lp__manifest *m, int32_t field_id, uint64_t frag_id, uint64_t *out, lp_error *err) {
  *out = 0;
  if (m->index_section == NULL || frag_id > UINT32_MAX) return LP_OK;
  Lance__Table__IndexSection *sec = lance__table__index_section__unpack(NULL, m->index_section_len, m->index_section);
  if (sec == NULL) return lp_error_set(err, LP_ECORRUPT, "fts: the manifest's index section does not decode");
  for (size_t i = 0; i < sec->n_indices && *out == 0; i++) {
    const Lance__Table__IndexMetadata *im = sec->indices[i];
    if (!is_fts_index(im, field_id)) continue;
    roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)im->fragment_bitmap.data, im->fragment_bitmap.len);
    if (r && roaring_bitmap_contains(r, (uint32_t)frag_id)) *out = im->dataset_version > 0 ? im->dataset_version : 1;
    if (r) roaring_bitmap_free(r);
  }
  lance__table__index_section__free_unpacked(sec, NULL);
  return LP_OK;
}

/* The older versions of a table one search reads, each opened once however many fragments ask for it.
 * A version that cannot be opened (cleaned up) is remembered as NULL. */
typedef struct old_versions {
  uint64_t v[64];
  lp_table *t[64];
  size_t n;
} old_versions;

static lp_table *old_version(lp_table *t, old_versions *ov, uint64_t version) {
  for (size_t i = 0; i < ov->n; i++)
    if (ov->v[i] == version) return ov->t[i];
  lp_table *old = NULL;
  lp_error ignored;
  if (lp_table_open(t->db, t->name, version, &old, &ignored) != LP_OK) old = NULL;
  if (ov->n == sizeof ov->v / sizeof ov->v[0]) return old; /* full: the caller closes it (see old_version_done) */
  ov->v[ov->n] = version;
  ov->t[ov->n++] = old;
  return old;
}

/* Close `old` unless the memo keeps it. */
static void old_version_done(const old_versions *ov, lp_table *old) {
  for (size_t i = 0; i < ov->n; i++)
    if (ov->t[i] == old) return;
  lp_table_close(old);
}

static void old_versions_close(old_versions *ov) {
  for (size_t i = 0; i < ov->n; i++) lp_table_close(ov->t[i]);
  ov->n = 0;
}

/* The version a fragment's rows entered LanceDB's index: the dataset version of the entry covering it,
 * followed back while that version's own index already covered the fragment. LanceDB's optimize() merges
 * new rows into a new index entry (read version v) but keeps the older rows' statistics as they were when
 * they were first indexed (a row deleted since still counts), as its scores show. Old versions cleaned up
 * end the walk. */
static uint64_t first_indexed_version(lp_table *t, old_versions *ov, int32_t field_id, uint64_t frag_id, uint64_t dv) {
  for (int depth = 0; depth < 64; depth++) {
    lp_error ignored;
    uint64_t prev = 0;
    lp_table *old = dv < t->m->version ? old_version(t, ov, dv) : NULL;
    if (old == NULL) return dv;
    if (entry_version(old->m, field_id, frag_id, &prev, &ignored) != LP_OK) prev = 0;
    old_version_done(ov, old);
    if (prev == 0 || prev >= dv) return dv;
    dv = prev;
  }
  return dv;
}

/* The deletion vectors of the indexed fragments as of the version each entered the index (the rows its
 * statistics cover). When that version can no longer be read (cleaned up), or the fragment did not exist
 * then (ids rewritten by a compaction), today's deletions stand in. */
static lp_status deletions_at_index(lp_table *t, const lp__field *f, const fts_index *ix, frag_ctx *fcs, lp_error *err) {
  lp_status rc = LP_OK;
  old_versions ov = {.n = 0};
  for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
    if (!fcs[i].indexed || fcs[i].b == NULL) continue;
    const lp__fragment *now = &t->m->fragments[i];
    uint64_t dv = 0;
    if (!ix->own) rc = entry_version(t->m, f->id, now->id, &dv, err);
    if (rc == LP_OK && dv > 0) dv = first_indexed_version(t, &ov, f->id, now->id, dv);
    lp_table *old = dv > 0 && dv < t->m->version ? old_version(t, &ov, dv) : NULL;
    const lp__fragment *then = NULL;
    for (size_t j = 0; old && j < old->m->n_fragments; j++)
      if (old->m->fragments[j].id == now->id) then = &old->m->fragments[j];
    if (then == NULL) fcs[i].deleted_at_index = fcs[i].fr.deleted ? lp__deletion_vec_ref(fcs[i].fr.deleted) : NULL;
    else if (then->has_deletion) rc = lp__table_deletions(old, then, &fcs[i].deleted_at_index, err);
    old_version_done(&ov, old);
  }
  old_versions_close(&ov);
  return rc;
}

static lp_status map_terms(frag_ctx *fcs, size_t n_frags, const query *q_idx, const query *q_flat, lp_error *err) {
  for (size_t i = 0; i < n_frags; i++) {
    if (fcs[i].b == NULL) continue;
    const query *q = fcs[i].indexed ? q_idx : q_flat;
    if ((fcs[i].term_of = malloc((q->n + 1) * sizeof *fcs[i].term_of)) == NULL)
      return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
    for (size_t k = 0; k < q->n; k++) fcs[i].term_of[k] = lp__fts_block_find(fcs[i].b, q->t[k].text, q->t[k].len);
  }
  return LP_OK;
}

/* Score the indexed fragments with q_idx over the index's statistics, the others with q_flat over the
 * statistics of the flat search (which starts from the index's). */
static lp_status score_all(frag_ctx *fcs, size_t n_frags, query *q_idx, query *q_flat, const lp_text_search_options *o,
                           const uint8_t *sel, hits *out, lp_error *err) {
  stats idx = {0, 0}, ignored = {0, 0};
  gather_stats(fcs, n_frags, true, NULL, q_idx, &idx);
  stats all = idx;
  if (q_flat != q_idx) gather_stats(fcs, n_frags, true, NULL, q_flat, &ignored);
  gather_stats(fcs, n_frags, false, sel, q_flat, &all);
  uint64_t max_rows = 0;
  for (size_t i = 0; i < n_frags; i++)
    if (fcs[i].b && fcs[i].b->n_rows > max_rows) max_rows = fcs[i].b->n_rows;
  double *acc = calloc(max_rows + 1, sizeof *acc);
  uint32_t *n_hit = calloc(max_rows + 1, sizeof *n_hit);
  lp_status rc = acc && n_hit ? LP_OK : lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  for (size_t i = 0; rc == LP_OK && i < n_frags; i++) {
    if (fcs[i].b == NULL) continue;
    score_args a = {fcs[i].indexed ? q_idx : q_flat, fcs[i].indexed ? &idx : &all, fcs[i].indexed, o, sel, acc, n_hit};
    if (a.st->n_docs > 0) rc = score_fragment(&fcs[i], &a, out, err);
  }
  free(acc);
  free(n_hit);
  return rc;
}

static lp_status collect_sel(void *ctx, uint64_t first_pos, const uint8_t *sel, int64_t n_rows, int64_t n_sel,
                             lp_error *err) {
  (void)n_sel;
  (void)err;
  lp__bits_copy(ctx, (int64_t)first_pos, sel, 0, n_rows);
  return LP_OK;
}

static lp_status check_options(const lp_text_search_options *o, lp_error *err) {
  if (o->query == NULL) return lp_error_set(err, LP_EINVAL, "text search: no query text");
  if (o->k <= 0) return lp_error_set(err, LP_EINVAL, "text search: k must be positive, found %" PRId64, o->k);
  if (o->op != LP_FTS_OR && o->op != LP_FTS_AND) return lp_error_set(err, LP_EINVAL, "text search: unknown operator %d", (int)o->op);
  if (o->fuzziness < -1) return lp_error_set(err, LP_EINVAL, "text search: fuzziness must be -1 (auto) or >= 0, found %d", (int)o->fuzziness);
  if (o->phrase && o->fuzziness != 0) return lp_error_set(err, LP_EINVAL, "text search: a phrase query cannot be fuzzy");
  return LP_OK;
}

lp_status lp__text_search_hits(lp_table *t, const lp_text_search_options *o, const char *where, lp__topk_item **out,
                               size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  LP_TRY(check_options(o, err));
  const lp__field *f = NULL;
  fts_index ix = {0};
  LP_TRY(resolve_column(t, o->column, &f, &ix, err));
  lp_status rc = LP_OK;
  if (o->phrase && !ix.params.with_position)
    rc = lp_error_set(err, LP_EINVAL,
                      "text search: position is not found but required for phrase queries; recreate the index of column \"%s\" with positions",
                      f->name);
  lp__fts_tokenizer *tk = NULL;
  if (rc == LP_OK) rc = lp__fts_tokenizer_new(&ix.params, &tk, err);
  size_t n_frags = t->m->n_fragments;
  frag_ctx *fcs = calloc(n_frags + 1, sizeof *fcs);
  if (rc == LP_OK && fcs == NULL) rc = lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  query q = {0}, dict = {0}, q_flat = {0};
  hits hs = {0};
  lp__pred_bound *pb = NULL;
  uint8_t *sel = NULL;
  if (rc == LP_OK) rc = fuzzy_or_exact_terms(tk, &ix.params, o, &q, err);
  /* LanceDB's flat search of unindexed rows does not expand fuzzy terms: it looks for the exact ones. */
  if (rc == LP_OK && o->fuzziness != 0) rc = query_terms(tk, o->query, false, &q_flat, err);
  if (rc == LP_OK && q.n > 0) rc = open_fragments(t, f, &ix, tk, fcs, err);
  if (rc == LP_OK && q.n > 0) rc = deletions_at_index(t, f, &ix, fcs, err);
  if (rc == LP_OK && q.n > 0 && o->fuzziness != 0) {
    bool *indexed = calloc(n_frags + 1, sizeof *indexed);
    lp__fts_block **blocks = calloc(n_frags + 1, sizeof *blocks);
    if (indexed == NULL || blocks == NULL) rc = lp_error_set(err, LP_ENOMEM, "fts: out of memory");
    for (size_t i = 0; rc == LP_OK && i < n_frags; i++) blocks[i] = fcs[i].b, indexed[i] = fcs[i].indexed;
    if (rc == LP_OK) rc = index_dictionary(blocks, indexed, n_frags, &dict, err);
    if (rc == LP_OK) rc = expand_fuzzy(&q, &dict, o->fuzziness, o->max_expansions ? o->max_expansions : 50, err);
    free(indexed);
    free(blocks);
  }
  if (rc == LP_OK && q.n > 0) rc = lp__search_compile_filter(t, where, &pb, err);
  if (rc == LP_OK && pb) {
    uint64_t n_live = lp__manifest_live_rows(t->m);
    if ((sel = calloc(n_live / 8 + 8, 1)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "fts: out of memory");
    if (rc == LP_OK) rc = lp__search_filter_pass(t, pb, collect_sel, sel, err);
  }
  query *flat = o->fuzziness != 0 ? &q_flat : &q;
  if (rc == LP_OK && q.n > 0) rc = map_terms(fcs, n_frags, &q, flat, err);
  if (rc == LP_OK && q.n > 0) rc = score_all(fcs, n_frags, &q, flat, o, sel, &hs, err);
  if (rc == LP_OK && hs.n > (size_t)o->k) {
    select_best(hs.h, hs.n, (size_t)o->k);
    hs.n = (size_t)o->k;
  }
  if (rc == LP_OK && hs.n > 1) qsort(hs.h, hs.n, sizeof *hs.h, cmp_hits);
  for (size_t i = 0; fcs && i < n_frags; i++) {
    lp__fts_block_unref(fcs[i].b);
    free(fcs[i].term_of);
    lp__deletion_vec_unref(fcs[i].deleted_at_index);
    if (fcs[i].open) lp__frag_reader_close(&fcs[i].fr);
  }
  free(fcs);
  free(sel);
  lp__pred_bound_free(pb);
  query_reset(&q);
  query_reset(&dict);
  query_reset(&q_flat);
  lp__fts_tokenizer_free(tk);
  index_reset(&ix);
  if (rc != LP_OK) {
    free(hs.h);
    return rc;
  }
  *out = hs.h;
  *out_n = hs.n;
  return LP_OK;
}

lp_status lp_table_text_search(lp_table *t, const lp_text_search_options *o, struct ArrowArray *out_array,
                               struct ArrowSchema *out_schema, lp_error *err) {
  if (t == NULL || o == NULL || out_array == NULL || out_schema == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_table_text_search: table, options and outputs must not be NULL");
  memset(out_array, 0, sizeof *out_array);
  memset(out_schema, 0, sizeof *out_schema);
  lp__topk_item *h = NULL;
  size_t n = 0;
  LP_TRY(lp__text_search_hits(t, o, o->where, &h, &n, err));
  if ((uint64_t)n > (uint64_t)o->k) n = (size_t)o->k;
  lp_status rc = lp__search_build_result(t, o->columns, o->n_columns, h, n, "_score", out_array, out_schema, err);
  free(h);
  return rc;
}
