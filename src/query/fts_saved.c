/* lancepool's own persisted full-text index (see fts_block.h, "Saved blocks"): the index's definition as
 * a table config entry, and each fragment's inverted block as a file beside the table's data.
 *
 * Why not LanceDB's inverted-index files: their 8.0.0 layout (an FST term dictionary, compressed posting
 * blocks with a tail codec) is Lance-internal, undocumented for this version and still changing
 * (indices.md section 4.5). lancepool's index is therefore invisible to LanceDB: the config key is one
 * LanceDB keeps but never reads, and the block files live in a folder LanceDB never lists. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_details.pb-c.h"
#include "query/fts_block.h"

#define BLOCK_MAGIC "LPFTSB01"
#define HEADER_BYTES (8 + 8 + 4 + 4 + 8 + 8)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "saved full-text blocks are written in the host's (little-endian) byte order"
#endif

/* ---- the definition (table config) ----------------------------------------------------------------- */

lp_status lp__fts_params_to_details(const lp__fts_params *p, uint8_t **out, size_t *out_len, lp_error *err) {
  static const char *const base_names[] = {"simple", "whitespace", "raw", "ngram"};
  char language[sizeof p->language + 2];
  int w = snprintf(language, sizeof language, "\"%s\"", p->language);
  if (w < 0 || (size_t)w >= sizeof language) return lp_error_set(err, LP_EINVAL, "fts: language name too long");
  Lance__Table__InvertedIndexDetails d = LANCE__TABLE__INVERTED_INDEX_DETAILS__INIT;
  d.opt_base_tokenizer_case = LANCE__TABLE__INVERTED_INDEX_DETAILS__OPT_BASE_TOKENIZER_BASE_TOKENIZER;
  d.base_tokenizer = (char *)base_names[p->base];
  d.language = language;
  d.with_position = p->with_position;
  if (p->max_token_length > 0) {
    d.opt_max_token_length_case = LANCE__TABLE__INVERTED_INDEX_DETAILS__OPT_MAX_TOKEN_LENGTH_MAX_TOKEN_LENGTH;
    d.max_token_length = p->max_token_length;
  }
  d.lower_case = p->lower_case;
  d.stem = p->stem;
  d.remove_stop_words = p->remove_stop_words;
  d.ascii_folding = p->ascii_folding;
  d.min_ngram_length = p->min_ngram_length;
  d.max_ngram_length = p->max_ngram_length;
  d.prefix_only = p->prefix_only;
  size_t n = lance__table__inverted_index_details__get_packed_size(&d);
  if ((*out = malloc(n ? n : 1)) == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  *out_len = lance__table__inverted_index_details__pack(&d, *out);
  return LP_OK;
}

void lp__fts_config_key(int32_t field_id, char *out, size_t cap) {
  snprintf(out, cap, "%s%" PRId32, LP__FTS_CONFIG_PREFIX, field_id);
}

static bool name_ok(const char *name) {
  if (name == NULL || name[0] == '\0' || strlen(name) >= LP__FTS_NAME_MAX) return false;
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
      return false;
  return true;
}

lp_status lp__fts_config_value(const char *name, const lp__fts_params *p, char **out, lp_error *err) {
  *out = NULL;
  if (!name_ok(name))
    return lp_error_set(err, LP_EINVAL, "fts: index name \"%s\" must be 1 to %d characters of A-Z a-z 0-9 _ - .",
                        name ? name : "(null)", LP__FTS_NAME_MAX - 1);
  uint8_t *d = NULL;
  size_t n = 0;
  LP_TRY(lp__fts_params_to_details(p, &d, &n, err));
  size_t nl = strlen(name);
  char *v = malloc(nl + 1 + 2 * n + 1);
  if (v == NULL) {
    free(d);
    return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  }
  memcpy(v, name, nl);
  v[nl] = ' ';
  for (size_t i = 0; i < n; i++) snprintf(v + nl + 1 + 2 * i, 3, "%02x", d[i]);
  v[nl + 1 + 2 * n] = '\0';
  free(d);
  *out = v;
  return LP_OK;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

lp_status lp__fts_config_parse(const char *value, char *name, size_t name_cap, lp__fts_params *p, lp_error *err) {
  const char *sp = value ? strchr(value, ' ') : NULL;
  size_t nl = sp ? (size_t)(sp - value) : 0;
  if (sp == NULL || nl == 0 || nl >= name_cap || nl >= LP__FTS_NAME_MAX)
    return lp_error_set(err, LP_ECORRUPT, "fts: table config entry \"%.40s\" is not \"<name> <hex settings>\"", value ? value : "");
  memcpy(name, value, nl);
  name[nl] = '\0';
  if (!name_ok(name)) return lp_error_set(err, LP_ECORRUPT, "fts: table config entry names an invalid index \"%s\"", name);
  const char *hex = sp + 1;
  size_t hl = strlen(hex);
  if (hl % 2 != 0) return lp_error_set(err, LP_ECORRUPT, "fts: index %s: odd number of hex digits in its settings", name);
  uint8_t *d = malloc(hl / 2 + 1);
  if (d == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory");
  for (size_t i = 0; i < hl / 2; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(d);
      return lp_error_set(err, LP_ECORRUPT, "fts: index %s: its settings are not lower-case hex", name);
    }
    d[i] = (uint8_t)(hi << 4 | lo);
  }
  lp_status rc = lp__fts_params_from_details(d, hl / 2, p, err);
  free(d);
  return rc;
}

/* ---- blocks as bytes ------------------------------------------------------------------------------- */

/* FNV-1a over 8-byte words (then the tail bytes): catches torn and truncated files, not tampering; a word
 * at a time so that checking a large block costs little next to reading it. */
uint64_t lp__fts_block_checksum(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ull;
  }
  for (; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* Bytes of each array, in file order. */
typedef struct layout {
  uint64_t doc_len, is_null, off, len, slots, start, occ, bytes, total;
} layout;

static bool layout_of(uint64_t n_rows, uint64_t n_terms, uint64_t n_slots, uint64_t n_bytes, uint64_t n_occ, uint64_t limit,
                      layout *l) {
  /* every count is bounded by the file size first, so the sums below cannot overflow */
  if (n_rows > limit || n_terms > limit || n_slots > limit || n_bytes > limit || n_occ > limit) return false;
  l->doc_len = 4 * n_rows;
  l->is_null = n_rows;
  l->off = l->len = 4 * n_terms;
  l->slots = 4 * n_slots;
  l->start = 8 * (n_terms + 1);
  l->occ = 8 * n_occ;
  l->bytes = n_bytes;
  l->total = HEADER_BYTES + l->doc_len + l->is_null + l->off + l->len + l->slots + l->start + l->occ + l->bytes + 8;
  return true;
}

static uint8_t *put(uint8_t *w, const void *src, size_t n) {
  if (n) memcpy(w, src, n);
  return w + n;
}

lp_status lp__fts_block_encode(const lp__fts_block *b, uint8_t **out, size_t *out_len, lp_error *err) {
  uint64_t n_terms = b->n_terms, n_occ = b->start[b->n_terms], n_bytes = 0;
  for (uint32_t i = 0; i < b->n_terms; i++)
    if ((uint64_t)b->off[i] + b->len[i] > n_bytes) n_bytes = (uint64_t)b->off[i] + b->len[i];
  layout l;
  if (!layout_of(b->n_rows, n_terms, b->n_slots, n_bytes, n_occ, UINT64_MAX / 64, &l) || l.total > SIZE_MAX)
    return lp_error_set(err, LP_EUNSUPPORTED, "fts: block too large to save");
  uint8_t *f = malloc(l.total), *w = f;
  if (f == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory saving a block");
  uint32_t n_terms32 = b->n_terms, n_slots32 = b->n_slots;
  w = put(w, BLOCK_MAGIC, 8);
  w = put(w, &b->n_rows, 8);
  w = put(w, &n_terms32, 4);
  w = put(w, &n_slots32, 4);
  w = put(w, &n_bytes, 8);
  w = put(w, &n_occ, 8);
  w = put(w, b->doc_len, l.doc_len);
  w = put(w, b->is_null, l.is_null);
  w = put(w, b->off, l.off);
  w = put(w, b->len, l.len);
  w = put(w, b->slots, l.slots);
  w = put(w, b->start, l.start);
  w = put(w, b->occ, l.occ);
  w = put(w, b->bytes, l.bytes);
  uint64_t sum = lp__fts_block_checksum(f, (size_t)(w - f));
  put(w, &sum, 8);
  *out = f;
  *out_len = (size_t)l.total;
  return LP_OK;
}

static const uint8_t *take(const uint8_t *r, void **dst, uint64_t n, bool *ok) {
  *dst = malloc(n ? n : 1);
  if (*dst == NULL) *ok = false;
  else if (n) memcpy(*dst, r, n);
  return r + n;
}

/* The structural promises lp__fts_block_find and the scorer rely on. */
static const char *block_invalid(const lp__fts_block *b, uint64_t n_bytes, uint64_t n_occ) {
  uint64_t n_used = 0;
  for (uint32_t i = 0; i < b->n_slots; i++) {
    if (b->slots[i] == 0) continue;
    if (b->slots[i] > b->n_terms) return "a hash slot names a term that does not exist";
    n_used++;
  }
  if (n_used != b->n_terms) return "the hash table does not hold every term once";
  for (uint32_t t = 0; t < b->n_terms; t++)
    if ((uint64_t)b->off[t] + b->len[t] > n_bytes) return "a term lies outside the dictionary bytes";
  /* each term found by its own hash probe as itself: no term is stored twice and none sits where a lookup
     would not reach it (with the count above, every term then has exactly one slot) */
  for (uint32_t t = 0; t < b->n_terms; t++)
    if (lp__fts_block_find(b, b->bytes + b->off[t], b->len[t]) != (int64_t)t)
      return "a term is stored twice or its hash slot is out of place";
  if (b->start[0] != 0 || b->start[b->n_terms] != n_occ) return "the posting ranges do not cover the postings";
  for (uint32_t t = 0; t < b->n_terms; t++) {
    if (b->start[t + 1] < b->start[t] || b->start[t + 1] > n_occ) return "posting ranges go backwards or past the postings";
    for (uint64_t j = b->start[t]; j < b->start[t + 1]; j++) {
      if (b->occ[j].row >= b->n_rows) return "a posting names a row past the fragment";
      if (j > b->start[t] && b->occ[j].row < b->occ[j - 1].row) return "a term's postings are not by row";
    }
  }
  for (uint64_t r = 0; r < b->n_rows; r++)
    if (b->is_null[r] > 1) return "a null flag is neither 0 nor 1";
  return NULL;
}

lp_status lp__fts_block_decode(const uint8_t *bytes, size_t n, lp__fts_block **out, lp_error *err) {
  *out = NULL;
  if (n < HEADER_BYTES + 8 || memcmp(bytes, BLOCK_MAGIC, 8) != 0)
    return lp_error_set(err, LP_ECORRUPT, "fts: saved block: not a lancepool block (%zu bytes, bad magic or too short)", n);
  uint64_t n_rows, n_bytes, n_occ, sum;
  uint32_t n_terms, n_slots;
  memcpy(&n_rows, bytes + 8, 8);
  memcpy(&n_terms, bytes + 16, 4);
  memcpy(&n_slots, bytes + 20, 4);
  memcpy(&n_bytes, bytes + 24, 8);
  memcpy(&n_occ, bytes + 32, 8);
  layout l;
  if (!layout_of(n_rows, n_terms, n_slots, n_bytes, n_occ, n, &l) || l.total != n)
    return lp_error_set(err, LP_ECORRUPT, "fts: saved block: the counts in its header do not match its size (%zu bytes)", n);
  if (n_rows > UINT32_MAX || n_terms == UINT32_MAX || n_slots == 0 || (n_slots & (n_slots - 1)) != 0 || n_terms >= n_slots ||
      (n_occ != 0 && n_terms == 0) || n_bytes > UINT32_MAX)
    return lp_error_set(err, LP_ECORRUPT, "fts: saved block: impossible counts (rows %" PRIu64 ", terms %" PRIu32 ", slots %" PRIu32 ")",
                        n_rows, n_terms, n_slots);
  memcpy(&sum, bytes + n - 8, 8);
  if (sum != lp__fts_block_checksum(bytes, n - 8)) return lp_error_set(err, LP_ECORRUPT, "fts: saved block: checksum mismatch");
  lp__fts_block *b = calloc(1, sizeof *b);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "fts: out of memory loading a block");
  atomic_init(&b->refs, 1);
  b->n_rows = n_rows;
  b->n_terms = n_terms;
  b->n_slots = n_slots;
  bool ok = true;
  const uint8_t *r = bytes + HEADER_BYTES;
  r = take(r, (void **)&b->doc_len, l.doc_len, &ok);
  r = take(r, (void **)&b->is_null, l.is_null, &ok);
  r = take(r, (void **)&b->off, l.off, &ok);
  r = take(r, (void **)&b->len, l.len, &ok);
  r = take(r, (void **)&b->slots, l.slots, &ok);
  r = take(r, (void **)&b->start, l.start, &ok);
  r = take(r, (void **)&b->occ, l.occ, &ok);
  take(r, (void **)&b->bytes, l.bytes, &ok);
  if (!ok) {
    lp__fts_block_unref(b);
    return lp_error_set(err, LP_ENOMEM, "fts: out of memory loading a block");
  }
  const char *why = block_invalid(b, n_bytes, n_occ);
  if (why != NULL) {
    lp__fts_block_unref(b);
    return lp_error_set(err, LP_ECORRUPT, "fts: saved block: %s", why);
  }
  b->size_bytes = sizeof *b + (size_t)(l.total - HEADER_BYTES);
  lp__fts_block_totals(b);
  *out = b;
  return LP_OK;
}
