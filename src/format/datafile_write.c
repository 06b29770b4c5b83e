/* Writing Lance 2.1 data files (see datafile_write.h; layouts in file-format-2.1.md sections 1-12), and the
 * file around the pages of 2.0 files (whose pages datafile_write_v20.c writes). */
#include "format/datafile_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encodings20.pb-c.h"
#include "encodings21.pb-c.h"
#include "file2.pb-c.h"
#include "io/buf.h"
#include "io/arena.h"
#include "io/io.h"
#include "wellknown.pb-c.h"
#include "format/datafile_write_int.h"
#include "format/write_schema.h"

#define PAGE_ALIGN 64               /* page and global buffers start at multiples of this */
#define FLUSH_BYTES (4u << 20)      /* write to the file once this much is buffered */
#define CHUNK_MAX_BYTES 32768       /* a mini-block chunk must fit the 12-bit size field */
#define CHUNK_TARGET_BYTES 8186     /* LanceDB's budget for the values of one chunk */
#define CHUNK_MAX_VALUES 4096
#define VAR_CHUNK_TARGET 4096       /* bytes of offsets + data aimed for in a variable-width chunk */
#define FULLZIP_MIN_VALUE 256       /* values this large (bytes) or more go to full-zip pages */
#define PAGE_TARGET_BYTES (8u << 20)
#define MAX_PATH_DEPTH 32

enum { LAYER_ALL_VALID_ITEM = 1, LAYER_ALL_VALID_LIST = 2, LAYER_NULLABLE_ITEM = 3, LAYER_NULLABLE_LIST = 4,
       LAYER_EMPTYABLE_LIST = 5, LAYER_NULL_AND_EMPTY_LIST = 6 };

/* ---- one leaf column: the path from the top-level field down, and its levels and values ------------- */

typedef struct leaf_path {
  const lp__field *node[MAX_PATH_DEPTH]; /* node[0] top-level field ... node[depth-1] the leaf */
  int child_pos[MAX_PATH_DEPTH];         /* index of node[d+1] among node[d]'s children */
  int depth;
  int n_lists;
  int32_t leaf_id;
  size_t top;                            /* index of node[0] in the schema */
} leaf_path;

/* Levels of a run of rows. code 0 = valid leaf value; otherwise 1 + 2*layer + is_empty, where layer counts
 * from the innermost (the leaf is layer 0). */
typedef struct levels {
  uint16_t *rep;
  uint8_t *code;
  uint8_t *visible;
  size_t n, cap;
  size_t n_visible, n_valid;
  lp__buf fixed;       /* fixed width: value bytes, one slot per visible level */
  lp__buf var_data;    /* variable width: concatenated bytes */
  uint64_t *var_end;   /* variable width: end offset of each visible value in var_data */
  size_t var_cap;
  size_t max_value_bytes;
  lp__buf item_valid;  /* fixed-size list leaf: one byte (0/1) per item of every visible slot */
  bool has_item_nulls; /* some valid row of a fixed-size list holds a null item: write the validity */
} levels;

static void levels_clear(levels *l) {
  l->n = l->n_visible = l->n_valid = 0;
  l->fixed.len = l->var_data.len = 0;
  l->fixed.failed = l->var_data.failed = false;
  l->max_value_bytes = 0;
  l->item_valid.len = 0;
  l->item_valid.failed = false;
  l->has_item_nulls = false;
}

static void levels_free(levels *l) {
  free(l->rep);
  free(l->code);
  free(l->visible);
  free(l->var_end);
  lp__buf_reset(&l->fixed);
  lp__buf_reset(&l->var_data);
  lp__buf_reset(&l->item_valid);
  memset(l, 0, sizeof *l);
}

static bool push_level(levels *l, uint16_t rep, uint8_t code, bool visible) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 1024;
    uint16_t *r = realloc(l->rep, cap * sizeof *r);
    if (r) l->rep = r;
    uint8_t *c = realloc(l->code, cap);
    if (c) l->code = c;
    uint8_t *v = realloc(l->visible, cap);
    if (v) l->visible = v;
    if (!r || !c || !v) return false;
    l->cap = cap;
  }
  l->rep[l->n] = rep;
  l->code[l->n] = code;
  l->visible[l->n] = visible;
  l->n++;
  if (visible) l->n_visible++;
  if (code == 0) l->n_valid++;
  return true;
}

static bool push_var(levels *l, const void *p, size_t n) {
  if (l->n_visible > l->var_cap) { /* n_visible already counts this value */
    size_t cap = l->var_cap ? l->var_cap * 2 : 1024;
    while (cap < l->n_visible) cap *= 2;
    uint64_t *e = realloc(l->var_end, cap * sizeof *e);
    if (e == NULL) return false;
    l->var_end = e;
    l->var_cap = cap;
  }
  lp__buf_put(&l->var_data, p, n);
  l->var_end[l->n_visible - 1] = l->var_data.len;
  if (n > l->max_value_bytes) l->max_value_bytes = n;
  return !l->var_data.failed;
}

static bool arr_is_null(const struct ArrowArray *a, int64_t j) {
  if (a->null_count == 0 || a->n_buffers == 0 || a->buffers[0] == NULL) return false;
  int64_t i = a->offset + j;
  return !((((const uint8_t *)a->buffers[0])[i >> 3] >> (i & 7)) & 1);
}

typedef struct emit_ctx {
  const leaf_path *path;
  levels *l;
  size_t width;      /* fixed-width leaf: bytes per slot (bool: 1 byte while collecting) */
  bool varwidth, large;
  const char *what;  /* column name for errors */
  lp_error *err;
} emit_ctx;

static lp_status emit_leaf_value(emit_ctx *c, const struct ArrowArray *a, int64_t j, uint16_t rep) {
  const lp__field *f = c->path->node[c->path->depth - 1];
  levels *l = c->l;
  if (!push_level(l, rep, 0, true)) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  int64_t i = a->offset + j;
  if (c->varwidth) {
    int64_t s, e;
    if (c->large) {
      s = ((const int64_t *)a->buffers[1])[i];
      e = ((const int64_t *)a->buffers[1])[i + 1];
    } else {
      s = ((const int32_t *)a->buffers[1])[i];
      e = ((const int32_t *)a->buffers[1])[i + 1];
    }
    if (e < s) return lp_error_set(c->err, LP_EINVAL, "%s: decreasing offsets in the input", c->what);
    if (!push_var(l, (const uint8_t *)a->buffers[2] + s, (size_t)(e - s)))
      return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
    return LP_OK;
  }
  if (f->type == LP__TYPE_BOOL) {
    uint8_t v = (((const uint8_t *)a->buffers[1])[i >> 3] >> (i & 7)) & 1;
    lp__buf_put(&l->fixed, &v, 1);
  } else if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    const struct ArrowArray *ch = a->children[0];
    int64_t first = i * f->list_size;
    if (ch->null_count == 0) {
      lp__buf_fill(&l->item_valid, 1, (size_t)f->list_size); /* the common case: no item is null */
    } else {
      for (int64_t k = 0; k < f->list_size; k++) {
        uint8_t ok = !arr_is_null(ch, first + k);
        if (!ok) l->has_item_nulls = true;
        lp__buf_put(&l->item_valid, &ok, 1);
      }
    }
    size_t ew = c->width / (size_t)f->list_size;
    lp__buf_put(&l->fixed, (const uint8_t *)ch->buffers[1] + (size_t)(ch->offset + first) * ew, c->width);
    if (l->item_valid.failed) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  } else {
    lp__buf_put(&l->fixed, (const uint8_t *)a->buffers[1] + (size_t)i * c->width, c->width);
  }
  if (l->fixed.failed) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  if (c->width > l->max_value_bytes) l->max_value_bytes = c->width;
  return LP_OK;
}

static lp_status emit_placeholder(emit_ctx *c, uint16_t rep, uint8_t code) {
  levels *l = c->l;
  if (!push_level(l, rep, code, true)) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  if (c->varwidth) {
    if (!push_var(l, "", 0)) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  } else {
    lp__buf_fill(&l->fixed, 0, c->width);
    const lp__field *leaf = c->path->node[c->path->depth - 1];
    if (leaf->type == LP__TYPE_FIXED_SIZE_LIST) lp__buf_fill(&l->item_valid, 0, (size_t)leaf->list_size);
    if (l->fixed.failed || l->item_valid.failed) return lp_error_set(c->err, LP_ENOMEM, "%s: out of memory", c->what);
  }
  return LP_OK;
}

/* Emit the levels of element j of array a, which holds node[d] of the path. */
static lp_status emit(emit_ctx *c, int d, const struct ArrowArray *a, int64_t j, uint16_t rep) {
  const leaf_path *p = c->path;
  const lp__field *f = p->node[d];
  int layer = p->depth - 1 - d;
  bool is_null = arr_is_null(a, j);
  if (is_null && !f->nullable)
    return lp_error_set(c->err, LP_EINVAL, "%s: null value in non-nullable field \"%s\"", c->what, f->name);
  if (f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST) {
    if (is_null) {
      if (!push_level(c->l, rep, (uint8_t)(1 + 2 * layer), false)) return lp_error_set(c->err, LP_ENOMEM, "out of memory");
      return LP_OK;
    }
    int64_t i = a->offset + j, s, e;
    if (f->type == LP__TYPE_LARGE_LIST) {
      s = ((const int64_t *)a->buffers[1])[i];
      e = ((const int64_t *)a->buffers[1])[i + 1];
    } else {
      s = ((const int32_t *)a->buffers[1])[i];
      e = ((const int32_t *)a->buffers[1])[i + 1];
    }
    if (e < s) return lp_error_set(c->err, LP_EINVAL, "%s: decreasing list offsets in the input", c->what);
    if (s == e) {
      if (!push_level(c->l, rep, (uint8_t)(2 + 2 * layer), false)) return lp_error_set(c->err, LP_ENOMEM, "out of memory");
      return LP_OK;
    }
    int lists_here = 0;
    for (int k = d; k < p->depth; k++)
      lists_here += p->node[k]->type == LP__TYPE_LIST || p->node[k]->type == LP__TYPE_LARGE_LIST;
    for (int64_t k = s; k < e; k++)
      LP_TRY(emit(c, d + 1, a->children[0], k, k == s ? rep : (uint16_t)(lists_here - 1)));
    return LP_OK;
  }
  if (d == p->depth - 1) return is_null ? emit_placeholder(c, rep, 1) : emit_leaf_value(c, a, j, rep);
  /* struct */
  if (is_null) {
    bool list_below = false;
    for (int k = d + 1; k < p->depth; k++)
      list_below |= p->node[k]->type == LP__TYPE_LIST || p->node[k]->type == LP__TYPE_LARGE_LIST;
    if (list_below) {
      if (!push_level(c->l, rep, (uint8_t)(1 + 2 * layer), false)) return lp_error_set(c->err, LP_ENOMEM, "out of memory");
      return LP_OK;
    }
    return emit_placeholder(c, rep, (uint8_t)(1 + 2 * layer));
  }
  return emit(c, d + 1, a->children[p->child_pos[d]], a->offset + j, rep);
}

/* ---- page encoding -------------------------------------------------------------------------------- */

typedef struct layer_info {
  int n_layers;
  uint8_t kind[MAX_PATH_DEPTH];       /* RepDefLayer per layer, innermost first */
  uint16_t def_of[2 * MAX_PATH_DEPTH + 1]; /* def value for each level code */
  int max_def, max_rep;
} layer_info;

static bool is_list_field(const lp__field *f) { return f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST; }

/* Which layers of the page get a null (and an empty) definition level. Beyond the levels the page's
 * rows need, two rules keep LanceDB 0.31.0 reading columns under a list whose pages differ; both were
 * found with small pages of random nested rows read back by LanceDB:
 *   - a nullable item or struct is NULLABLE_ITEM in every page, nulls or not: LanceDB reads several
 *     pages of a column together, and for an ALL_VALID_ITEM page among nullable ones it adds as many
 *     validity bits as the page has leaf slots, not values ("Incorrect number of nulls for StructArray",
 *     or a panic on the item count);
 *   - a list inside a layer with null levels is never ALL_VALID_LIST: LanceDB gives such a list no
 *     repetition step when it maps definition levels to the depth they show at, so a null struct
 *     around it would count as an item. */
static void choose_def_levels(const leaf_path *p, const levels *l, bool *has_null, bool *has_empty) {
  for (size_t i = 0; i < l->n; i++) {
    uint8_t c = l->code[i];
    if (c == 0) continue;
    int layer = (c - 1) / 2;
    if ((c - 1) % 2)
      has_empty[layer] = true;
    else
      has_null[layer] = true;
  }
  if (p->n_lists == 0) return;
  for (int layer = 0; layer < p->depth; layer++) {
    const lp__field *f = p->node[p->depth - 1 - layer];
    if (!is_list_field(f) && f->nullable) has_null[layer] = true;
  }
  bool outer_has_null = false;
  for (int layer = p->depth - 1; layer >= 0; layer--) {
    const lp__field *f = p->node[p->depth - 1 - layer];
    if (is_list_field(f) && outer_has_null && !has_null[layer] && !has_empty[layer]) {
      if (f->nullable)
        has_null[layer] = true;
      else
        has_empty[layer] = true;
    }
    outer_has_null = outer_has_null || has_null[layer];
  }
}

static void compute_layers(const leaf_path *p, const levels *l, layer_info *li) {
  bool has_null[MAX_PATH_DEPTH] = {0}, has_empty[MAX_PATH_DEPTH] = {0};
  choose_def_levels(p, l, has_null, has_empty);
  li->n_layers = p->depth;
  li->max_rep = p->n_lists;
  int next = 1;
  memset(li->def_of, 0, sizeof li->def_of);
  for (int layer = 0; layer < p->depth; layer++) {
    if (!is_list_field(p->node[p->depth - 1 - layer])) {
      li->kind[layer] = has_null[layer] ? LAYER_NULLABLE_ITEM : LAYER_ALL_VALID_ITEM;
      if (has_null[layer]) li->def_of[1 + 2 * layer] = (uint16_t)next++;
    } else if (has_null[layer] && has_empty[layer]) {
      li->kind[layer] = LAYER_NULL_AND_EMPTY_LIST;
      li->def_of[1 + 2 * layer] = (uint16_t)next++;
      li->def_of[2 + 2 * layer] = (uint16_t)next++;
    } else if (has_null[layer]) {
      li->kind[layer] = LAYER_NULLABLE_LIST;
      li->def_of[1 + 2 * layer] = (uint16_t)next++;
    } else if (has_empty[layer]) {
      li->kind[layer] = LAYER_EMPTYABLE_LIST;
      li->def_of[2 + 2 * layer] = (uint16_t)next++;
    } else {
      li->kind[layer] = LAYER_ALL_VALID_LIST;
    }
  }
  li->max_def = next - 1;
}

/* ---- page descriptions: protobuf-c messages in the writer's arena ---------------------------------- */

typedef Lance__Encodings21__CompressiveEncoding cenc;

static cenc *ce_flat(lp__arena *a, uint64_t bits) {
  cenc *c = lp__arena_msg(a, &lance__encodings21__compressive_encoding__descriptor);
  Lance__Encodings21__Flat *f = lp__arena_msg(a, &lance__encodings21__flat__descriptor);
  if (c == NULL || f == NULL) return NULL;
  f->bits_per_value = bits;
  c->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT;
  c->flat = f;
  return c;
}

/* CompressiveEncoding of the leaf's values (has_item_validity: a fixed-size list with item nulls). */
static cenc *ce_values(lp__arena *a, const lp__field *leaf, bool has_item_validity) {
  cenc *c = NULL;
  if (lp__wtype_is_varwidth(leaf->type)) {
    bool large = leaf->type == LP__TYPE_LARGE_UTF8 || leaf->type == LP__TYPE_LARGE_BINARY;
    Lance__Encodings21__Variable *v = lp__arena_msg(a, &lance__encodings21__variable__descriptor);
    c = lp__arena_msg(a, &lance__encodings21__compressive_encoding__descriptor);
    if (v == NULL || c == NULL || (v->offsets = ce_flat(a, large ? 64 : 32)) == NULL) return NULL;
    c->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE;
    c->variable = v;
  } else if (leaf->type == LP__TYPE_FIXED_SIZE_LIST) {
    Lance__Encodings21__FixedSizeList *f = lp__arena_msg(a, &lance__encodings21__fixed_size_list__descriptor);
    c = lp__arena_msg(a, &lance__encodings21__compressive_encoding__descriptor);
    if (f == NULL || c == NULL || (f->values = ce_flat(a, lp__wtype_width(leaf->elem_type) * 8)) == NULL) return NULL;
    f->items_per_value = (uint64_t)leaf->list_size;
    f->has_validity = has_item_validity;
    c->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST;
    c->fixed_size_list = f;
  } else {
    c = ce_flat(a, leaf->type == LP__TYPE_BOOL ? 1 : lp__wtype_width(leaf->type) * 8);
  }
  return c;
}

/* The RepDefLayer list of the page (innermost first). */
static Lance__Encodings21__RepDefLayer *layers_pb(lp__arena *a, const layer_info *li) {
  Lance__Encodings21__RepDefLayer *v = lp__arena_alloc(a, (size_t)(li->n_layers + 1) * sizeof *v);
  for (int i = 0; v && i < li->n_layers; i++) v[i] = (Lance__Encodings21__RepDefLayer)li->kind[i];
  return v;
}

/* Encoding{direct{encoding: Any{type_url, value: packed m}}}, the form a 2.1 file gives page and column
 * encodings. */
static Lance__File__V2__Encoding *direct_any(lp__arena *a, const char *type_url, const ProtobufCMessage *m) {
  Google__Protobuf__Any *any = lp__arena_msg(a, &google__protobuf__any__descriptor);
  Lance__File__V2__DirectEncoding *d = lp__arena_msg(a, &lance__file__v2__direct_encoding__descriptor);
  Lance__File__V2__Encoding *e = lp__arena_msg(a, &lance__file__v2__encoding__descriptor);
  if (any == NULL || d == NULL || e == NULL) return NULL;
  any->type_url = (char *)type_url;
  any->value.len = protobuf_c_message_get_packed_size(m);
  if ((any->value.data = lp__arena_alloc(a, any->value.len + 1)) == NULL) return NULL;
  protobuf_c_message_pack(m, any->value.data);
  d->encoding.len = protobuf_c_message_get_packed_size(&any->base);
  if ((d->encoding.data = lp__arena_alloc(a, d->encoding.len + 1)) == NULL) return NULL;
  protobuf_c_message_pack(&any->base, d->encoding.data);
  e->location_case = LANCE__FILE__V2__ENCODING__LOCATION_DIRECT;
  e->direct = d;
  return e;
}

struct lp__dfw {
  int fd;
  char tmp_path[4096];
  char dir[4096];
  const lp__schema *schema;
  lp__dfw_options opts;
  uint64_t pos;           /* bytes written to the file so far (incl. buffered) */
  lp__buf out;            /* not yet written to fd */
  leaf_path *leaves;
  size_t n_leaves;
  lp__arena *arena;       /* the page descriptions (protobuf-c messages) until the file is finished */
  lp__ptrvec *pages;      /* per leaf: its ColumnMetadata.Page messages so far */
  uint64_t n_rows;
  levels lv;              /* scratch, reused */
  uint64_t *column_rows;  /* 2.0: rows written to each column so far */
  lp_status sticky;       /* a failed write poisons the writer */
  uint64_t *gb_off, *gb_len; /* extra global buffers (index payloads), entries 1, 2, ... of the table */
  uint32_t n_gb;
  const Lance__File__Schema *file_schema; /* non-NULL: written as the descriptor's schema instead */
};

static lp_status flush_out(lp__dfw *w, lp_error *err) {
  LP_TRY(lp__buf_status(&w->out, w->tmp_path, err));
  lp_status rc = lp__write_all(w->fd, w->out.data, w->out.len, w->tmp_path, err);
  w->out.len = 0;
  return rc;
}

/* Write one page buffer at a 64-aligned position; returns its offset. */
static lp_status put_buffer(lp__dfw *w, const void *p, size_t n, uint64_t *out_off, lp_error *err) {
  *out_off = w->pos;
  lp__buf_put(&w->out, p, n);
  size_t pad = (size_t)((PAGE_ALIGN - (w->pos + n) % PAGE_ALIGN) % PAGE_ALIGN);
  lp__buf_fill(&w->out, 0x48, pad);
  w->pos += n + pad;
  if (w->out.len >= FLUSH_BYTES) return flush_out(w, err);
  return lp__buf_status(&w->out, w->tmp_path, err);
}

lp_status lp__dfw_put_buffer(lp__dfw *w, const void *p, size_t n, uint64_t *out_off, lp_error *err) {
  return put_buffer(w, p, n, out_off, err);
}

lp_status lp__dfw_add_global_buffer(lp__dfw *w, const void *p, size_t n, uint32_t *out_index, lp_error *err) {
  uint64_t *no = realloc(w->gb_off, (w->n_gb + 1) * sizeof *no);
  if (no != NULL) w->gb_off = no;
  uint64_t *nl = no ? realloc(w->gb_len, (w->n_gb + 1) * sizeof *nl) : NULL;
  if (nl != NULL) w->gb_len = nl;
  if (no == NULL || nl == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  LP_TRY(put_buffer(w, p, n, &w->gb_off[w->n_gb], err));
  w->gb_len[w->n_gb] = n;
  *out_index = ++w->n_gb; /* entry 0 is the FileDescriptor */
  return LP_OK;
}

void lp__dfw_set_file_schema(lp__dfw *w, const Lance__File__Schema *schema) { w->file_schema = schema; }

lp__arena *lp__dfw_arena(lp__dfw *w) { return w->arena; }
const lp__schema *lp__dfw_schema(const lp__dfw *w) { return w->schema; }
uint32_t lp__dfw_page_rows(const lp__dfw *w) { return w->opts.page_rows; }
uint64_t *lp__dfw_column_rows(lp__dfw *w) { return w->column_rows; }

lp_status lp__dfw_add_page_any(lp__dfw *w, size_t col, const uint64_t *offs, const uint64_t *sizes, size_t n_bufs,
                               uint64_t rows, uint64_t first_row, const char *type_url, const ProtobufCMessage *enc,
                               lp_error *err) {
  lp__arena *a = w->arena;
  Lance__File__V2__ColumnMetadata__Page *pg = lp__arena_msg(a, &lance__file__v2__column_metadata__page__descriptor);
  uint64_t *o = lp__arena_alloc(a, (n_bufs + 1) * sizeof *o), *z = lp__arena_alloc(a, (n_bufs + 1) * sizeof *z);
  if (enc == NULL || pg == NULL || o == NULL || z == NULL || (pg->encoding = direct_any(a, type_url, enc)) == NULL)
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  if (n_bufs > 0) { /* a struct page of 2.0 has none (and offs NULL) */
    memcpy(o, offs, n_bufs * sizeof *o);
    memcpy(z, sizes, n_bufs * sizeof *z);
  }
  pg->n_buffer_offsets = pg->n_buffer_sizes = n_bufs;
  pg->buffer_offsets = o;
  pg->buffer_sizes = z;
  pg->length = rows;
  pg->priority = first_row;
  lp__ptrvec_push(a, &w->pages[col], pg);
  return lp__arena_failed(a) ? lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path) : LP_OK;
}

/* Record a 2.1 page (its buffers and layout) in the metadata of column col. */
static lp_status add_page(lp__dfw *w, size_t col, const uint64_t *offs, const uint64_t *sizes, size_t n_bufs,
                          uint64_t rows, uint64_t first_row, Lance__Encodings21__PageLayout *layout, lp_error *err) {
  return lp__dfw_add_page_any(w, col, offs, sizes, n_bufs, rows, first_row, "/lance.encodings21.PageLayout",
                              layout ? &layout->base : NULL, err);
}

/* A PageLayout holding `inner` in member `which`. */
static Lance__Encodings21__PageLayout *page_layout(lp__arena *a, Lance__Encodings21__PageLayout__LayoutCase which,
                                                   void *inner) {
  Lance__Encodings21__PageLayout *l = lp__arena_msg(a, &lance__encodings21__page_layout__descriptor);
  if (l == NULL || inner == NULL) return NULL;
  l->layout_case = which;
  l->mini_block_layout = inner; /* the members share the union */
  return l;
}

static size_t slot_width(const lp__field *leaf) {
  if (leaf->type == LP__TYPE_BOOL) return 1;
  if (leaf->type == LP__TYPE_FIXED_SIZE_LIST) return lp__wtype_width(leaf->elem_type) * (size_t)leaf->list_size;
  return lp__wtype_width(leaf->type);
}

static int bit_len(unsigned v) {
  int n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

/* Bytes of value i (visible slot i) in the collected values. */
static void value_at(const levels *l, const lp__field *leaf, size_t i, const uint8_t **p, size_t *n) {
  if (lp__wtype_is_varwidth(leaf->type)) {
    uint64_t s = i ? l->var_end[i - 1] : 0;
    *p = l->var_data.data + s;
    *n = (size_t)(l->var_end[i] - s);
  } else {
    size_t w = slot_width(leaf);
    *p = l->fixed.data + i * w;
    *n = w;
  }
}

/* Bytes of the item-validity bitmap of n fixed-size-list slots. */
static size_t item_bits_bytes(const lp__field *leaf, size_t n) { return (n * (size_t)leaf->list_size + 7) / 8; }

/* Append the item-validity bits (LSB first) of visible slots [v0, v1) of a fixed-size-list leaf. */
static void put_item_bits(lp__buf *b, const levels *l, const lp__field *leaf, size_t v0, size_t v1) {
  size_t dim = (size_t)leaf->list_size, nb = item_bits_bytes(leaf, v1 - v0), at = b->len;
  lp__buf_fill(b, 0, nb);
  if (b->failed) return;
  const uint8_t *src = l->item_valid.data + v0 * dim;
  for (size_t i = 0; i < (v1 - v0) * dim; i++)
    if (src[i]) b->data[at + i / 8] |= (uint8_t)(1u << (i % 8));
}

static lp_status write_all_null_page(lp__dfw *w, size_t col, const leaf_path *p, const layer_info *li,
                                     uint64_t rows, uint64_t first_row, lp_error *err) {
  const levels *l = &w->lv;
  Lance__Encodings21__ConstantLayout *an = lp__arena_msg(w->arena, &lance__encodings21__constant_layout__descriptor);
  if (an == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  uint64_t offs[2], sizes[2];
  size_t n_bufs = 0;
  lp_status rc = LP_OK;
  if (p->depth == 1) {
    an->layers = lp__arena_alloc(w->arena, sizeof *an->layers);
    if (an->layers) an->layers[0] = LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM;
    an->n_layers = 1;
  } else {
    /* complex: raw u16 rep levels (when there are lists) and raw u16 def levels */
    an->layers = layers_pb(w->arena, li);
    an->n_layers = (size_t)li->n_layers;
    lp__buf rb, db;
    lp__buf_init(&rb);
    lp__buf_init(&db);
    for (size_t i = 0; i < l->n; i++) {
      lp__buf_u16le(&rb, l->rep[i]);
      lp__buf_u16le(&db, li->def_of[l->code[i]]);
    }
    if (li->max_rep > 0) {
      rc = put_buffer(w, rb.data, rb.len, &offs[n_bufs], err);
      sizes[n_bufs++] = rb.len;
    }
    if (rc == LP_OK) {
      rc = put_buffer(w, db.data, db.len, &offs[n_bufs], err);
      sizes[n_bufs++] = db.len;
    }
    if (rc == LP_OK) rc = lp__buf_status(&rb, "levels", err);
    if (rc == LP_OK) rc = lp__buf_status(&db, "levels", err);
    lp__buf_reset(&rb);
    lp__buf_reset(&db);
  }
  if (rc == LP_OK && an->layers == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  if (rc == LP_OK)
    rc = add_page(w, col, offs, sizes, n_bufs, rows, first_row,
                  page_layout(w->arena, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT, an), err);
  return rc;
}

static lp_status write_fullzip_page(lp__dfw *w, size_t col, const leaf_path *p, const layer_info *li, uint64_t rows,
                                    uint64_t first_row, lp_error *err) {
  const levels *l = &w->lv;
  const lp__field *leaf = p->node[p->depth - 1];
  bool var = lp__wtype_is_varwidth(leaf->type);
  bool large = leaf->type == LP__TYPE_LARGE_UTF8 || leaf->type == LP__TYPE_LARGE_BINARY;
  int bits_rep = bit_len((unsigned)li->max_rep), bits_def = bit_len((unsigned)li->max_def);
  int ctl_bits = bits_rep + bits_def;
  size_t ctl_bytes = ctl_bits == 0 ? 0 : ctl_bits <= 8 ? 1 : ctl_bits <= 16 ? 2 : 4;
  bool has_index = var || li->max_rep > 0;
  lp__buf data, index;
  lp__buf_init(&data);
  lp__buf_init(&index);
  size_t vi = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (has_index && (li->max_rep == 0 || l->rep[i] == li->max_rep)) lp__buf_u64le(&index, data.len);
    uint16_t def = li->def_of[l->code[i]];
    if (ctl_bytes) {
      uint32_t ctl = (uint32_t)l->rep[i] << bits_def | def;
      uint8_t cb[4] = {(uint8_t)ctl, (uint8_t)(ctl >> 8), (uint8_t)(ctl >> 16), (uint8_t)(ctl >> 24)};
      lp__buf_put(&data, cb, ctl_bytes);
    }
    if (!l->visible[i]) continue;
    const uint8_t *vp;
    size_t vn;
    value_at(l, leaf, vi++, &vp, &vn);
    if (var) {
      if (l->code[i] != 0) continue; /* a null string is its control word only */
      if (large)
        lp__buf_u64le(&data, vn);
      else
        lp__buf_u32le(&data, (uint32_t)vn);
    }
    if (l->has_item_nulls) put_item_bits(&data, l, leaf, vi - 1, vi);
    lp__buf_put(&data, vp, vn);
  }
  if (has_index) lp__buf_u64le(&index, data.len);
  lp_status rc = lp__buf_status(&data, "full-zip page", err);
  if (rc == LP_OK) rc = lp__buf_status(&index, "full-zip page", err);
  uint64_t offs[2], sizes[2] = {data.len, index.len};
  if (rc == LP_OK) rc = put_buffer(w, data.data, data.len, &offs[0], err);
  if (rc == LP_OK && has_index) rc = put_buffer(w, index.data, index.len, &offs[1], err);
  if (rc == LP_OK) {
    Lance__Encodings21__FullZipLayout *fz = lp__arena_msg(w->arena, &lance__encodings21__full_zip_layout__descriptor);
    if (fz) {
      fz->bits_rep = (uint32_t)bits_rep;
      fz->bits_def = (uint32_t)bits_def;
      if (var) {
        fz->details_case = LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET;
        fz->bits_per_offset = large ? 64 : 32;
      } else {
        fz->details_case = LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_VALUE;
        fz->bits_per_value = (uint32_t)((slot_width(leaf) + (l->has_item_nulls ? item_bits_bytes(leaf, 1) : 0)) * 8);
      }
      fz->num_items = (uint32_t)l->n;
      fz->num_visible_items = (uint32_t)l->n_visible;
      fz->value_compression = ce_values(w->arena, leaf, l->has_item_nulls);
      fz->layers = layers_pb(w->arena, li);
      fz->n_layers = (size_t)li->n_layers;
    }
    rc = add_page(w, col, offs, sizes, has_index ? 2 : 1, rows, first_row,
                  page_layout(w->arena, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT, fz), err);
    if (rc == LP_OK && (fz->value_compression == NULL || fz->layers == NULL))
      rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  }
  lp__buf_reset(&data);
  lp__buf_reset(&index);
  return rc;
}

/* Append the value buffer of visible values [v0, v1) in mini-block form. */
static void miniblock_values(lp__buf *b, const levels *l, const lp__field *leaf, size_t v0, size_t v1) {
  if (lp__wtype_is_varwidth(leaf->type)) {
    bool large = leaf->type == LP__TYPE_LARGE_UTF8 || leaf->type == LP__TYPE_LARGE_BINARY;
    size_t ow = large ? 8 : 4, n = v1 - v0;
    uint64_t base = v0 ? l->var_end[v0 - 1] : 0, start = (n + 1) * ow;
    for (size_t i = 0; i <= n; i++) {
      uint64_t off = start + (i ? l->var_end[v0 + i - 1] - base : 0);
      if (large)
        lp__buf_u64le(b, off);
      else
        lp__buf_u32le(b, (uint32_t)off);
    }
    lp__buf_put(b, l->var_data.data + base, (size_t)(l->var_end[v1 - 1] - base));
    lp__buf_align(b, ow, 0x48);
  } else if (leaf->type == LP__TYPE_BOOL) {
    size_t n = v1 - v0, nb = (n + 7) / 8;
    size_t at = b->len;
    lp__buf_fill(b, 0, nb);
    if (b->failed) return;
    for (size_t i = 0; i < n; i++)
      if (l->fixed.data[v0 + i]) b->data[at + i / 8] |= (uint8_t)(1u << (i % 8));
  } else {
    size_t wd = slot_width(leaf);
    lp__buf_put(b, l->fixed.data + v0 * wd, (v1 - v0) * wd);
  }
}

static size_t values_bytes(const levels *l, const lp__field *leaf, size_t v0, size_t v1) {
  if (lp__wtype_is_varwidth(leaf->type)) {
    size_t ow = (leaf->type == LP__TYPE_LARGE_UTF8 || leaf->type == LP__TYPE_LARGE_BINARY) ? 8 : 4;
    uint64_t base = v0 ? l->var_end[v0 - 1] : 0;
    size_t raw = (v1 - v0 + 1) * ow + (size_t)(l->var_end[v1 - 1] - base);
    return (raw + ow - 1) / ow * ow;
  }
  if (leaf->type == LP__TYPE_BOOL) return (v1 - v0 + 7) / 8;
  return (v1 - v0) * slot_width(leaf);
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* A chunk word or value-buffer size: u32 in format 2.2's large-chunk grammar, else u16. */
static void put_chunk_size(lp__buf *b, bool large, size_t v) {
  if (large)
    lp__buf_u32le(b, (uint32_t)v);
  else
    lp__buf_u16le(b, (uint16_t)v);
}

static lp_status write_miniblock_page(lp__dfw *w, size_t col, const leaf_path *p, const layer_info *li,
                                      uint64_t rows, uint64_t first_row, lp_error *err) {
  const levels *l = &w->lv;
  const lp__field *leaf = p->node[p->depth - 1];
  bool has_rep = li->max_rep > 0, has_def = li->max_def > 0, has_levels = has_rep || has_def;
  /* Format 2.2 wants the large-chunk grammar in every mini-block page (LanceDB refuses the other): u32
   * chunk words and u32 value-buffer sizes. The chunks themselves stay within the 2.1 limits. */
  bool large = w->opts.version == LP__FILE_V2_2;
  size_t size_width = large ? 4 : 2;
  size_t nominal;
  if (lp__wtype_is_varwidth(leaf->type)) {
    nominal = 1024;
  } else {
    size_t wd = leaf->type == LP__TYPE_BOOL ? 0 : slot_width(leaf);
    nominal = CHUNK_MAX_VALUES;
    while (nominal > 1 && wd && nominal * wd >= CHUNK_TARGET_BYTES) nominal /= 2;
  }
  /* level index where each visible value sits */
  size_t *vpos = malloc((l->n_visible + 1) * sizeof *vpos);
  if (vpos == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", leaf->name);
  for (size_t i = 0, v = 0; i < l->n; i++)
    if (l->visible[i]) vpos[v++] = i;
  vpos[l->n_visible] = l->n;
  lp__buf meta, data, repidx, chunk;
  lp__buf_init(&meta);
  lp__buf_init(&data);
  lp__buf_init(&repidx);
  lp__buf_init(&chunk);
  lp_status rc = LP_OK;
  size_t v0 = 0, lev0 = 0;
  uint64_t prev_partial = 0;
  size_t n_chunks = 0;
  while (v0 < l->n_visible && rc == LP_OK) {
    size_t n = nominal;
    size_t remaining = l->n_visible - v0;
    bool last;
    size_t lev1, bytes;
    for (;;) {
      if (lp__wtype_is_varwidth(leaf->type))
        while (n > 1 && values_bytes(l, leaf, v0, v0 + (n < remaining ? n : remaining)) > VAR_CHUNK_TARGET) n /= 2;
      last = remaining <= n;
      size_t v1 = last ? l->n_visible : v0 + n;
      lev1 = last ? l->n : vpos[v1];
      size_t nlev = has_levels ? lev1 - lev0 : 0;
      size_t header = 2 + (has_rep ? 2 : 0) + (has_def ? 2 : 0) + size_width;
      bytes = pad8(header + (l->has_item_nulls ? size_width : 0)) + (has_rep ? pad8(nlev * 2) : 0) +
              (has_def ? pad8(nlev * 2) : 0) + pad8(values_bytes(l, leaf, v0, v1)) +
              (l->has_item_nulls ? pad8(item_bits_bytes(leaf, v1 - v0)) : 0);
      if (bytes <= CHUNK_MAX_BYTES && nlev <= 65535) break;
      if (n == 1 || (last && remaining == 1)) {
        rc = lp_error_set(err, LP_EUNSUPPORTED, "%s: %zu levels between two values do not fit one chunk",
                          leaf->name, nlev);
        break;
      }
      n = last ? (size_t)1 << (bit_len((unsigned)remaining) - 1) : n / 2;
      if (n >= remaining) n /= 2;
    }
    if (rc != LP_OK) break;
    size_t v1 = last ? l->n_visible : v0 + n;
    size_t nlev = lev1 - lev0;
    chunk.len = 0;
    lp__buf_u16le(&chunk, has_levels ? (uint16_t)nlev : 0);
    if (has_rep) lp__buf_u16le(&chunk, (uint16_t)(nlev * 2));
    if (has_def) lp__buf_u16le(&chunk, (uint16_t)(nlev * 2));
    size_t vb = values_bytes(l, leaf, v0, v1);
    if (l->has_item_nulls) put_chunk_size(&chunk, large, item_bits_bytes(leaf, v1 - v0));
    put_chunk_size(&chunk, large, vb);
    lp__buf_align(&chunk, 8, 0xfe);
    if (has_rep) {
      for (size_t i = lev0; i < lev1; i++) lp__buf_u16le(&chunk, l->rep[i]);
      lp__buf_align(&chunk, 8, 0xfe);
    }
    if (has_def) {
      for (size_t i = lev0; i < lev1; i++) lp__buf_u16le(&chunk, li->def_of[l->code[i]]);
      lp__buf_align(&chunk, 8, 0xfe);
    }
    if (l->has_item_nulls) {
      put_item_bits(&chunk, l, leaf, v0, v1); /* buffer 0: item validity; buffer 1: the items */
      lp__buf_align(&chunk, 8, 0xfe);
    }
    miniblock_values(&chunk, l, leaf, v0, v1);
    lp__buf_align(&chunk, 8, 0xfe);
    if ((rc = lp__buf_status(&chunk, leaf->name, err)) != LP_OK) break;
    int log2n = last ? 0 : bit_len((unsigned)n) - 1;
    put_chunk_size(&meta, large, ((chunk.len / 8 - 1) << 4) | (unsigned)log2n);
    lp__buf_put(&data, chunk.data, chunk.len);
    if (has_rep) {
      /* repetition index: rows finishing in the chunk, and levels continuing into the next */
      uint64_t ends = 0, partial = 0;
      size_t last_start = SIZE_MAX;
      for (size_t i = lev0; i < lev1; i++)
        if (l->rep[i] == li->max_rep) {
          if (i > lev0) ends++;
          last_start = i;
        }
      if (last)
        ends++;
      else
        partial = last_start == SIZE_MAX ? lev1 - lev0 : lev1 - last_start;
      if (n_chunks > 0 && prev_partial > 0 && l->rep[lev0] == li->max_rep) {
        /* the previous chunk's trailing row actually ended there */
        size_t at = repidx.len - 16;
        uint64_t pe = 0;
        for (int k = 0; k < 8; k++) pe |= (uint64_t)repidx.data[at + k] << (8 * k);
        pe++;
        repidx.len = at;
        lp__buf_u64le(&repidx, pe);
        lp__buf_u64le(&repidx, 0);
      }
      lp__buf_u64le(&repidx, ends);
      lp__buf_u64le(&repidx, partial);
      prev_partial = partial;
    }
    n_chunks++;
    v0 = v1;
    lev0 = lev1;
  }
  free(vpos);
  if (rc == LP_OK) rc = lp__buf_status(&meta, leaf->name, err);
  if (rc == LP_OK) rc = lp__buf_status(&data, leaf->name, err);
  if (rc == LP_OK) rc = lp__buf_status(&repidx, leaf->name, err);
  uint64_t offs[3], sizes[3] = {meta.len, data.len, repidx.len};
  size_t n_bufs = has_rep ? 3 : 2;
  if (rc == LP_OK) rc = put_buffer(w, meta.data, meta.len, &offs[0], err);
  if (rc == LP_OK) rc = put_buffer(w, data.data, data.len, &offs[1], err);
  if (rc == LP_OK && has_rep) rc = put_buffer(w, repidx.data, repidx.len, &offs[2], err);
  if (rc == LP_OK) {
    lp__arena *a = w->arena;
    Lance__Encodings21__MiniBlockLayout *mb = lp__arena_msg(a, &lance__encodings21__mini_block_layout__descriptor);
    if (mb) {
      if (has_rep) mb->rep_compression = ce_flat(a, 16); /* levels: raw u16 */
      if (has_def) mb->def_compression = ce_flat(a, 16);
      mb->value_compression = ce_values(a, leaf, l->has_item_nulls);
      mb->layers = layers_pb(a, li);
      mb->n_layers = (size_t)li->n_layers;
      mb->num_buffers = l->has_item_nulls ? 2 : 1;
      mb->repetition_index_depth = has_rep ? 1 : 0;
      mb->num_items = l->n_visible;
      mb->has_large_chunk = large;
    }
    rc = add_page(w, col, offs, sizes, n_bufs, rows, first_row,
                  page_layout(a, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT, mb), err);
    if (rc == LP_OK && lp__arena_failed(a)) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  }
  lp__buf_reset(&meta);
  lp__buf_reset(&data);
  lp__buf_reset(&repidx);
  lp__buf_reset(&chunk);
  return rc;
}

/* Encode rows [r0, r0 + n) of the batch for leaf column `col` as one page. */
static lp_status write_page(lp__dfw *w, size_t col, const struct ArrowArray *batch, int64_t r0, int64_t n,
                            lp_error *err) {
  const leaf_path *p = &w->leaves[col];
  const lp__field *leaf = p->node[p->depth - 1];
  levels_clear(&w->lv);
  emit_ctx c = {p, &w->lv, slot_width(leaf), lp__wtype_is_varwidth(leaf->type),
                leaf->type == LP__TYPE_LARGE_UTF8 || leaf->type == LP__TYPE_LARGE_BINARY, p->node[0]->name, err};
  const struct ArrowArray *arr = batch->children[p->top];
  for (int64_t r = r0; r < r0 + n; r++) LP_TRY(emit(&c, 0, arr, batch->offset + r, (uint16_t)p->n_lists));
  return LP_OK;
}

static lp_status flush_page(lp__dfw *w, size_t col, uint64_t rows, uint64_t first_row, lp_error *err) {
  const leaf_path *p = &w->leaves[col];
  layer_info li;
  compute_layers(p, &w->lv, &li);
  if (w->lv.n_valid == 0 && (p->depth == 1 || w->lv.n_visible == 0))
    return write_all_null_page(w, col, p, &li, rows, first_row, err);
  if (w->lv.max_value_bytes >= FULLZIP_MIN_VALUE) return write_fullzip_page(w, col, p, &li, rows, first_row, err);
  return write_miniblock_page(w, col, p, &li, rows, first_row, err);
}

/* ---- the file ----------------------------------------------------------------------------------- */

static lp_status collect_leaves(lp__dfw *w, const lp__field *f, leaf_path *cur, size_t top, lp_error *err) {
  if (cur->depth >= MAX_PATH_DEPTH) return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": nested too deeply", f->name);
  cur->node[cur->depth++] = f;
  bool is_list = f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST;
  if (is_list) cur->n_lists++;
  if (f->n_children == 0 || f->type == LP__TYPE_FIXED_SIZE_LIST) {
    leaf_path *nl = realloc(w->leaves, (w->n_leaves + 1) * sizeof *nl);
    if (nl == NULL) return lp_error_set(err, LP_ENOMEM, "data file: out of memory");
    w->leaves = nl;
    cur->leaf_id = f->id;
    cur->top = top;
    w->leaves[w->n_leaves++] = *cur;
  } else {
    for (size_t i = 0; i < f->n_children; i++) {
      cur->child_pos[cur->depth - 1] = (int)i;
      LP_TRY(collect_leaves(w, &f->children[i], cur, top, err));
    }
  }
  if (is_list) cur->n_lists--;
  cur->depth--;
  return LP_OK;
}

const char *lp__file_version_name(lp__file_version v) {
  return v == LP__FILE_V2_0 ? "2.0" : v == LP__FILE_V2_2 ? "2.2" : "2.1";
}

void lp__file_version_numbers(lp__file_version v, uint32_t *major, uint32_t *minor) {
  *major = 2;
  *minor = v == LP__FILE_V2_0 ? 0 : v == LP__FILE_V2_2 ? 2 : 1;
}

/* 2.0: one column per field in pre-order; only leaf_id of each entry of w->leaves is used (the field id). */
static lp_status columns_v20(lp__dfw *w, lp_error *err) {
  size_t n = lp__dfw20_count_columns(w->schema);
  int32_t *ids = calloc(n ? n : 1, sizeof *ids);
  w->leaves = calloc(n ? n : 1, sizeof *w->leaves);
  w->column_rows = calloc(n ? n : 1, sizeof *w->column_rows);
  if (ids == NULL || w->leaves == NULL || w->column_rows == NULL) {
    free(ids);
    return lp_error_set(err, LP_ENOMEM, "data file: out of memory");
  }
  lp__dfw20_column_ids(w->schema, ids);
  for (size_t i = 0; i < n; i++) w->leaves[i].leaf_id = ids[i];
  w->n_leaves = n;
  free(ids);
  return LP_OK;
}

lp_status lp__dfw_open(const char *data_dir, const lp__schema *schema, const lp__dfw_options *opts, lp__dfw **out,
                       lp_error *err) {
  lp__dfw *w = calloc(1, sizeof *w);
  if (w == NULL) return lp_error_set(err, LP_ENOMEM, "data file: out of memory");
  w->fd = -1;
  w->schema = schema;
  w->opts.page_rows = 65536;
  w->opts.durable = true;
  if (opts) w->opts = *opts;
  if (w->opts.page_rows == 0) w->opts.page_rows = 65536;
  lp_status rc = LP_OK;
  snprintf(w->dir, sizeof w->dir, "%s", data_dir);
  if (mkdir(data_dir, 0755) != 0 && errno != EEXIST) {
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create directory", data_dir);
    goto fail;
  }
  if (snprintf(w->tmp_path, sizeof w->tmp_path, "%s/.tmpXXXXXX", data_dir) >= (int)sizeof w->tmp_path) {
    rc = lp_error_set(err, LP_EINVAL, "%s: path too long", data_dir);
    goto fail;
  }
  w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
  if (w->fd < 0) {
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create a data file", data_dir);
    goto fail;
  }
  if (w->opts.version == LP__FILE_V2_0) {
    rc = columns_v20(w, err);
  } else {
    leaf_path cur;
    memset(&cur, 0, sizeof cur);
    for (size_t i = 0; i < schema->n_fields && rc == LP_OK; i++) rc = collect_leaves(w, &schema->fields[i], &cur, i, err);
  }
  if (rc != LP_OK) goto fail;
  w->arena = lp__arena_new();
  w->pages = calloc(w->n_leaves ? w->n_leaves : 1, sizeof *w->pages);
  if (w->arena == NULL || w->pages == NULL) {
    rc = lp_error_set(err, LP_ENOMEM, "data file: out of memory");
    goto fail;
  }
  *out = w;
  return LP_OK;
fail:
  lp__dfw_abort(w);
  return rc;
}

uint64_t lp__dfw_rows(const lp__dfw *w) { return w->n_rows; }

lp_status lp__dfw_write(lp__dfw *w, const struct ArrowArray *batch, int64_t row_start, int64_t n_rows, lp_error *err) {
  if (w->sticky != LP_OK) return lp_error_set(err, w->sticky, "%s: an earlier write failed", w->tmp_path);
  if (n_rows <= 0) return LP_OK;
  if (w->opts.version == LP__FILE_V2_0) {
    lp_status rc = lp__dfw20_write(w, batch, row_start, n_rows, err);
    if (rc != LP_OK) w->sticky = rc;
    else w->n_rows += (uint64_t)n_rows;
    return rc;
  }
  for (size_t col = 0; col < w->n_leaves; col++) {
    const leaf_path *p = &w->leaves[col];
    const lp__field *leaf = p->node[p->depth - 1];
    uint64_t step = w->opts.page_rows;
    size_t wd = slot_width(leaf);
    if (p->n_lists == 0 && wd > 0 && step * wd > PAGE_TARGET_BYTES) step = PAGE_TARGET_BYTES / wd ? PAGE_TARGET_BYTES / wd : 1;
    for (int64_t r = 0; r < n_rows; r += (int64_t)step) {
      int64_t n = n_rows - r < (int64_t)step ? n_rows - r : (int64_t)step;
      lp_status rc = write_page(w, col, batch, row_start + r, n, err);
      if (rc == LP_OK) rc = flush_page(w, col, (uint64_t)n, w->n_rows + (uint64_t)r, err);
      if (rc != LP_OK) {
        w->sticky = rc;
        return rc;
      }
    }
  }
  w->n_rows += (uint64_t)n_rows;
  return LP_OK;
}

static void random_name(char *out) {
  uint8_t r[16];
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t k = getrandom(r + got, sizeof r - got, 0);
    if (k > 0) got += (size_t)k;
  }
  size_t n = 0;
  for (int i = 0; i < 24; i++) out[n++] = (char)('0' + ((r[i / 8] >> (7 - i % 8)) & 1));
  for (int i = 3; i < 16; i++) n += (size_t)sprintf(out + n, "%02x", r[i]);
  strcpy(out + n, ".lance");
}

/* Global buffer 0: FileDescriptor{schema{fields, metadata}, length}, packed by protobuf-c (malloc'd). */
static lp_status pack_descriptor(const lp__dfw *w, uint8_t **out, size_t *out_len, lp_error *err) {
  lp__arena *a = lp__arena_new();
  if (a == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  Lance__File__FileDescriptor *fd = lp__arena_msg(a, &lance__file__file_descriptor__descriptor);
  Lance__File__Schema *sm = lp__arena_msg(a, &lance__file__schema__descriptor);
  lp_status rc = fd && sm ? LP_OK : lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  if (rc == LP_OK && w->file_schema == NULL) rc = lp__wschema_to_pb(w->schema, a, &sm->fields, &sm->n_fields, err);
  if (rc == LP_OK && w->file_schema == NULL)
    rc = lp__wschema_metadata_to_pb(w->schema, a, &lance__file__schema__metadata_entry__descriptor,
                                    (void ***)&sm->metadata, &sm->n_metadata, err);
  if (rc == LP_OK) {
    fd->schema = w->file_schema ? (Lance__File__Schema *)w->file_schema : sm;
    fd->length = w->n_rows;
    *out_len = protobuf_c_message_get_packed_size(&fd->base);
    *out = malloc(*out_len ? *out_len : 1);
    if (*out == NULL)
      rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
    else
      protobuf_c_message_pack(&fd->base, *out);
  }
  lp__arena_free(a);
  return rc;
}

lp_status lp__dfw_finish(lp__dfw *w, lp__dfw_result *res, lp_error *err) {
  memset(res, 0, sizeof *res);
  lp_status rc = w->sticky != LP_OK ? lp_error_set(err, w->sticky, "%s: an earlier write failed", w->tmp_path) : LP_OK;
  if (rc == LP_OK && w->opts.version == LP__FILE_V2_0) rc = lp__dfw20_finish(w, err);
  /* global buffer 0: FileDescriptor{schema{fields, metadata}, length} */
  size_t pad = (size_t)((PAGE_ALIGN - w->pos % PAGE_ALIGN) % PAGE_ALIGN);
  lp__buf_fill(&w->out, 0, pad);
  w->pos += pad;
  lp__buf tail;
  lp__buf_init(&tail);
  uint8_t *fd_msg = NULL;
  size_t fd_len = 0;
  if (rc == LP_OK) rc = pack_descriptor(w, &fd_msg, &fd_len, err);
  uint64_t gbo_pos = w->pos, gbo_size = fd_len;
  lp__buf_put(&tail, fd_msg, fd_len);
  free(fd_msg);
  uint64_t colmeta_start = gbo_pos + gbo_size;
  uint64_t *cmo = calloc(w->n_leaves ? w->n_leaves * 2 : 1, sizeof *cmo);
  if (cmo == NULL && rc == LP_OK) rc = lp_error_set(err, LP_ENOMEM, "data file: out of memory");
  /* every column's encoding: ColumnEncoding{values: Empty} (plain values, no column-level buffers) */
  Lance__Encodings__ColumnEncoding *ce = lp__arena_msg(w->arena, &lance__encodings__column_encoding__descriptor);
  Google__Protobuf__Empty *empty = lp__arena_msg(w->arena, &google__protobuf__empty__descriptor);
  Lance__File__V2__Encoding *col_enc = NULL;
  if (ce && empty) {
    ce->column_encoding_case = LANCE__ENCODINGS__COLUMN_ENCODING__COLUMN_ENCODING_VALUES;
    ce->values = empty;
    col_enc = direct_any(w->arena, "/lance.encodings.ColumnEncoding", &ce->base);
  }
  if (col_enc == NULL && rc == LP_OK) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
  for (size_t i = 0; rc == LP_OK && cmo && i < w->n_leaves; i++) {
    Lance__File__V2__ColumnMetadata cm = LANCE__FILE__V2__COLUMN_METADATA__INIT;
    cm.encoding = col_enc;
    cm.n_pages = w->pages[i].n;
    cm.pages = (Lance__File__V2__ColumnMetadata__Page **)w->pages[i].v;
    size_t n = protobuf_c_message_get_packed_size(&cm.base);
    cmo[2 * i] = gbo_pos + tail.len;
    cmo[2 * i + 1] = n;
    uint8_t *bytes = malloc(n ? n : 1);
    if (bytes == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", w->tmp_path);
      break;
    }
    protobuf_c_message_pack(&cm.base, bytes);
    lp__buf_put(&tail, bytes, n);
    free(bytes);
  }
  uint64_t cmo_pos = gbo_pos + tail.len;
  for (size_t i = 0; cmo && i < 2 * w->n_leaves; i++) lp__buf_u64le(&tail, cmo[i]);
  uint64_t gbot_pos = gbo_pos + tail.len;
  lp__buf_u64le(&tail, gbo_pos);
  lp__buf_u64le(&tail, gbo_size);
  for (uint32_t i = 0; i < w->n_gb; i++) {
    lp__buf_u64le(&tail, w->gb_off[i]);
    lp__buf_u64le(&tail, w->gb_len[i]);
  }
  lp__buf_u64le(&tail, colmeta_start);
  lp__buf_u64le(&tail, cmo_pos);
  lp__buf_u64le(&tail, gbot_pos);
  lp__buf_u32le(&tail, 1 + w->n_gb);
  lp__buf_u32le(&tail, (uint32_t)w->n_leaves);
  bool v20 = w->opts.version == LP__FILE_V2_0; /* 2.0 files say 0.3 in the footer */
  uint32_t major = 0, minor = 0;
  lp__file_version_numbers(w->opts.version, &major, &minor);
  lp__buf_u16le(&tail, v20 ? 0 : (uint16_t)major);
  lp__buf_u16le(&tail, v20 ? 3 : (uint16_t)minor);
  lp__buf_put(&tail, "LANC", 4);
  free(cmo);
  if (rc == LP_OK) rc = lp__buf_status(&tail, w->tmp_path, err);
  if (rc == LP_OK) {
    lp__buf_put(&w->out, tail.data, tail.len);
    w->pos += tail.len;
    rc = flush_out(w, err);
  }
  lp__buf_reset(&tail);
  if (rc == LP_OK && w->opts.durable && fsync(w->fd) != 0)
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: fsync failed", w->tmp_path);
  if (rc == LP_OK) {
    res->field_ids = malloc((w->n_leaves ? w->n_leaves : 1) * sizeof *res->field_ids);
    if (res->field_ids == NULL) rc = lp_error_set(err, LP_ENOMEM, "data file: out of memory");
  }
  if (rc == LP_OK) {
    for (size_t i = 0; i < w->n_leaves; i++) res->field_ids[i] = w->leaves[i].leaf_id;
    res->n_columns = w->n_leaves;
    res->version = w->opts.version;
    res->n_rows = w->n_rows;
    res->size_bytes = w->pos;
    char final_path[4096 + 64];
    random_name(res->name);
    snprintf(final_path, sizeof final_path, "%s/%s", w->dir, res->name);
    if (rename(w->tmp_path, final_path) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: rename failed", final_path);
    else w->tmp_path[0] = 0;
  }
  if (rc != LP_OK) lp__dfw_result_reset(res);
  lp__dfw_abort(w);
  return rc;
}

void lp__dfw_abort(lp__dfw *w) {
  if (w == NULL) return;
  if (w->fd >= 0) close(w->fd);
  if (w->tmp_path[0] && w->fd >= 0) unlink(w->tmp_path);
  lp__arena_free(w->arena);
  free(w->pages);
  free(w->leaves);
  free(w->column_rows);
  free(w->gb_off);
  free(w->gb_len);
  levels_free(&w->lv);
  lp__buf_reset(&w->out);
  free(w);
}

void lp__dfw_result_reset(lp__dfw_result *r) {
  if (r == NULL) return;
  free(r->field_ids);
  memset(r, 0, sizeof *r);
}
