/* Internals of the data-file reader shared by datafile_*.c, page_*.c and encoding_*.c. Not for other
 * modules: they use datafile.h. */
#ifndef LP_FORMAT_DATAFILE_INT_H
#define LP_FORMAT_DATAFILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encodings21.pb-c.h"
#include "file2.pb-c.h"
#include "format/datafile.h"
#include "lancepool/error.h"

#define LP__MAX_LAYERS 16          /* nesting depth of one leaf column we accept */
#define LP__MAX_DECODED_BYTES (UINT64_C(1) << 34) /* cap on any one decoded, input-sized buffer */

/* ---- metadata ---- */

typedef struct lp__page {
  uint64_t row_start;  /* first row of the page within the file */
  uint64_t n_rows;
  size_t n_bufs;
  const uint64_t *buf_off; /* absolute file positions (borrowed from the unpacked ColumnMetadata) */
  const uint64_t *buf_size;
  Lance__Encodings21__PageLayout *layout; /* 2.1: unpacked page layout (owned by the meta) */
  struct Lance__Encodings__ArrayEncoding *enc20; /* 2.0: unpacked ArrayEncoding (owned) */
} lp__page;

typedef struct lp__column {
  Lance__File__V2__ColumnMetadata *cm; /* owned */
  lp__page *pages;
  size_t n_pages;
} lp__column;

struct lp__datafile_meta {
  int refs;                 /* atomic */
  uint16_t major, minor;    /* footer version: 2.1 = (2, 1); 2.0 = (0, 3) */
  uint64_t num_rows;
  uint32_t n_columns;
  lp__column *columns;
  size_t size_bytes;
  char *path;
  lp__kv *schema_meta;      /* the file schema's key/value metadata (index files keep their parameters here) */
  size_t n_schema_meta;
  uint64_t *gb_off, *gb_len; /* the global buffer table: entry 0 is the FileDescriptor, others are payloads */
  uint32_t n_gb;
};

static inline bool lp__meta_is_v20(const lp__datafile_meta *m) {
  return m->major == 0 && m->minor == 3;
}

/* Read `len` bytes at `off` of the data file into dst. */
lp_status lp__src_read(const lp__datafile_src *src, uint64_t off, uint64_t len, void *dst, lp_error *err);

/* ---- decoded rows of one leaf column ----
 *
 * Levels use a canonical, column-wide definition code (page layers differ from page to page):
 * 0 = present and valid at every layer; otherwise 1 + (layer << 1 | kind), layer counted from the leaf
 * outward, kind 0 = null, 1 = empty list. rep is as in the file (max_rep = number of list layers). */

typedef enum lp__vkind { LP__V_FIXED, LP__V_VAR } lp__vkind;

typedef struct lp__leafbuf {
  /* shape (set before decoding) */
  lp__vkind kind;
  uint32_t value_bits;     /* LP__V_FIXED: bits per value (1 for bool; a multiple of 8 otherwise) */
  uint32_t fsl_dim;        /* fixed-size list leaf: items per value (item validity is per item) */
  uint32_t n_layers;
  bool layer_is_list[LP__MAX_LAYERS]; /* innermost first */
  uint32_t max_rep;
  /* levels: present when the column has rep (has_rep) or some page had def levels (has_def) */
  uint64_t n_levels;
  bool has_rep, has_def;
  uint16_t *rep, *def;
  uint64_t cap_levels;
  /* values (value slots = visible levels) */
  uint64_t n_values;
  uint8_t *vals;           /* FIXED: packed values; VAR: bytes */
  uint64_t vals_len, vals_cap; /* bytes (FIXED with bits 1: bytes of the bitmap) */
  int64_t *offs;           /* VAR: n_values + 1 offsets into vals */
  uint64_t offs_cap;
  uint8_t *item_valid;     /* FSL item validity bitmap (n_values * fsl_dim bits), NULL = all valid */
  uint64_t item_valid_cap; /* bytes */
} lp__leafbuf;

void lp__leafbuf_init(lp__leafbuf *b, lp__vkind kind, uint32_t value_bits, uint32_t fsl_dim);
void lp__leafbuf_reset(lp__leafbuf *b);       /* frees */
void lp__leafbuf_clear(lp__leafbuf *b);       /* empties, keeps shape and memory */
/* Make room for n more levels; if has_def turns on later, earlier levels get def 0. */
lp_status lp__leafbuf_reserve_levels(lp__leafbuf *b, uint64_t n, lp_error *err);
lp_status lp__leafbuf_enable_def(lp__leafbuf *b, lp_error *err);
lp_status lp__leafbuf_reserve_values(lp__leafbuf *b, uint64_t n_values, uint64_t var_bytes, lp_error *err);
lp_status lp__leafbuf_enable_item_valid(lp__leafbuf *b, lp_error *err);
/* Append `n` fixed values (bytes, or bits from bit offset src_bit_off when value_bits == 1). */
lp_status lp__leafbuf_push_fixed(lp__leafbuf *b, const uint8_t *src, uint64_t src_bit_off, uint64_t n,
                                 lp_error *err);
lp_status lp__leafbuf_push_var(lp__leafbuf *b, const uint8_t *bytes, uint64_t len, lp_error *err);
/* Is canonical def code c visible (does it own a value slot)? */
bool lp__leafbuf_code_visible(const lp__leafbuf *b, uint16_t c);
/* Append rows [row_lo, row_hi) of src (whose levels start at a row boundary) to dst. */
lp_status lp__leafbuf_append_rows(lp__leafbuf *dst, const lp__leafbuf *src, uint64_t row_lo, uint64_t row_hi,
                                  lp_error *err);
/* Number of complete rows in b (rows are counted by rep == max_rep; without rep, one per level). */
uint64_t lp__leafbuf_count_rows(const lp__leafbuf *b);

/* Map a page's layers to canonical def codes: out[d] for page def number d (0..max_def). */
typedef struct lp__defmap {
  uint16_t code[2 * LP__MAX_LAYERS + 1];
  uint32_t max_def;
  uint32_t max_rep;
  uint32_t max_visible_def;
} lp__defmap;
lp_status lp__defmap_build(const lp__leafbuf *b, const Lance__Encodings21__RepDefLayer *layers, size_t n_layers,
                           lp__defmap *out, lp_error *err);

/* ---- raw encodings ---- */

/* FastLanes unpack of one 1 024-value block packed at width w from T-bit words (T = 8, 16, 32, 64).
 * `in` holds 1024*w/T words (in_len bytes checked); out receives 1 024 values of T bits. */
lp_status lp__bitunpack_block(const uint8_t *in, size_t in_len, unsigned T, unsigned w, void *out, lp_error *err);

typedef struct lp__fsst_table {
  bool enabled;
  uint32_t n_symbols;
  uint64_t symbols[256];
  uint8_t lens[256];
} lp__fsst_table;
lp_status lp__fsst_table_parse(const uint8_t *bytes, size_t len, lp__fsst_table *out, lp_error *err);
/* Decode one FSST-compressed string, appending to b's VAR values as one value. */
lp_status lp__fsst_decode_push(const lp__fsst_table *t, const uint8_t *in, size_t len, lp__leafbuf *b,
                               lp_error *err);
/* Decode into a caller buffer of capacity cap (must be >= 8*len); returns length in *out_len. */
lp_status lp__fsst_decode(const lp__fsst_table *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len, lp_error *err);

/* General compression: 1 = LZ4 (u32 size + raw block), 2 = zstd (u64 size + frame, or a bare frame).
 * *out is malloc'd. */
lp_status lp__general_decompress(int scheme, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
                                 lp_error *err);

/* ---- value decoding (encoding_values.c) ---- */

/* Mini-block context: decode n values of one chunk from its value buffers and append them to b. */
lp_status lp__mb_values_decode(const Lance__Encodings21__CompressiveEncoding *enc, const uint8_t *const *bufs,
                               const size_t *buf_lens, size_t n_bufs, uint64_t n, lp__leafbuf *b,
                               const lp__fsst_table *fsst, lp_error *err);
/* Block context for levels: decode exactly n u16 levels from one buffer into out. */
lp_status lp__block_levels_decode(const Lance__Encodings21__CompressiveEncoding *enc, const uint8_t *buf,
                                  size_t len, uint64_t n, uint16_t *out, lp_error *err);
/* Block context for a dictionary: decode the items (n of them) into a VAR or FIXED leafbuf. */
lp_status lp__block_dict_decode(const Lance__Encodings21__CompressiveEncoding *enc, const uint8_t *buf,
                                size_t len, uint64_t n, lp__leafbuf *dict, lp_error *err);
/* The FSST table named by an encoding tree, if any (NULL otherwise). */
const Lance__Encodings21__Fsst *lp__enc_find_fsst(const Lance__Encodings21__CompressiveEncoding *enc);

/* ---- pages ---- */

/* Decode rows [lo, hi) (page-relative) of page p into out (appending). */
lp_status lp__page_miniblock_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                  lp__leafbuf *out, lp_error *err);
lp_status lp__page_fullzip_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                lp__leafbuf *out, lp_error *err);
lp_status lp__page_allnull_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi,
                                lp__leafbuf *out, lp_error *err);
/* Decode selected rows (page-relative, ascending) of a mini-block page, decoding each needed chunk once. */
lp_status lp__page_miniblock_take(const lp__datafile_src *src, const lp__page *p, const uint64_t *rows,
                                  size_t n, lp__leafbuf *out, lp_error *err);

/* Build the Arrow array of `field` from its decoded leaves (in pre-order), n_rows rows. Takes the leaves'
 * value buffers (they are left empty). */

/* Format 2.0: rows [row_start, row_start + n_rows) of `field`, whose own column is first_column (its
 * descendants' columns follow in pre-order). */
lp_status lp__datafile_v20_read(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                                uint64_t row_start, uint64_t n_rows, struct ArrowArray *out, lp_error *err);
lp_status lp__levels_to_arrow(const lp__field *field, lp__leafbuf *leaves, size_t n_leaves, uint64_t n_rows,
                              struct ArrowArray *out, lp_error *err);

#endif
