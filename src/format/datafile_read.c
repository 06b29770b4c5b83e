/* Reading a field's rows from a data file: map the field to its leaf columns, decode the pages that hold
 * the rows asked for into lp__leafbuf (per leaf), then assemble Arrow arrays from the levels
 * (datafile_assemble.c). */
#include <stdlib.h>
#include <string.h>

#include "format/arrow_util.h"
#include "format/datafile_int.h"

#define MAX_LEAVES 4096

static int type_bits(lp__type t) {
  switch (t) {
    case LP__TYPE_BOOL: return 1;
    case LP__TYPE_INT8: case LP__TYPE_UINT8: return 8;
    case LP__TYPE_INT16: case LP__TYPE_UINT16: case LP__TYPE_FLOAT16: return 16;
    case LP__TYPE_INT32: case LP__TYPE_UINT32: case LP__TYPE_FLOAT32: case LP__TYPE_DATE32: return 32;
    case LP__TYPE_INT64: case LP__TYPE_UINT64: case LP__TYPE_FLOAT64: case LP__TYPE_TIMESTAMP: return 64;
    default: return 0;
  }
}

/* Fill leaves[*n] .. for every leaf under f, given the layers of f's ancestors (outermost first). */
static lp_status collect_leaves(const lp__field *f, bool *anc, uint32_t n_anc, lp__leafbuf *leaves, size_t *n,
                                size_t cap, lp_error *err) {
  if (n_anc + 1 > LP__MAX_LAYERS) return lp_error_set(err, LP_EUNSUPPORTED, "field %s: nested too deeply", f->name);
  bool packed = lp__field_is_packed(f);
  if ((f->type == LP__TYPE_STRUCT && !packed) || f->type == LP__TYPE_LIST || f->type == LP__TYPE_LARGE_LIST) {
    if (f->type != LP__TYPE_STRUCT && f->n_children != 1)
      return lp_error_set(err, LP_EINVAL, "list field %s has %zu children", f->name, f->n_children);
    if (f->type == LP__TYPE_STRUCT && f->n_children == 0)
      return lp_error_set(err, LP_EUNSUPPORTED, "struct field %s has no children", f->name);
    anc[n_anc] = f->type != LP__TYPE_STRUCT;
    for (size_t i = 0; i < f->n_children; i++)
      LP_TRY(collect_leaves(&f->children[i], anc, n_anc + 1, leaves, n, cap, err));
    return LP_OK;
  }
  if (*n >= cap) return lp_error_set(err, LP_EUNSUPPORTED, "field %s: more than %zu leaf columns", f->name, cap);
  lp__leafbuf *b = &leaves[*n];
  switch (f->type) {
    case LP__TYPE_UTF8: case LP__TYPE_LARGE_UTF8: case LP__TYPE_BINARY: case LP__TYPE_LARGE_BINARY:
      lp__leafbuf_init(b, LP__V_VAR, 0, 0);
      break;
    case LP__TYPE_FIXED_SIZE_LIST: {
      int eb = type_bits(f->elem_type);
      if (eb < 8 || f->list_size <= 0 || f->list_size > (1 << 20))
        return lp_error_set(err, LP_EUNSUPPORTED, "field %s: fixed-size list of %d items of a %d-bit type", f->name,
                            f->list_size, eb);
      lp__leafbuf_init(b, LP__V_FIXED, (uint32_t)(eb * f->list_size), (uint32_t)f->list_size);
      break;
    }
    case LP__TYPE_STRUCT: { /* packed */
      uint32_t sum = 0;
      for (size_t i = 0; i < f->n_children; i++) {
        int cb = type_bits(f->children[i].type);
        if (cb < 8) return lp_error_set(err, LP_EUNSUPPORTED, "packed struct %s: child %s is not fixed-width bytes",
                                        f->name, f->children[i].name);
        sum += (uint32_t)cb;
      }
      lp__leafbuf_init(b, LP__V_FIXED, sum, 0);
      break;
    }
    default: {
      int bits = type_bits(f->type);
      if (bits == 0) return lp_error_set(err, LP_EUNSUPPORTED, "field %s: type %d is not read", f->name, (int)f->type);
      lp__leafbuf_init(b, LP__V_FIXED, (uint32_t)bits, 0);
    }
  }
  anc[n_anc] = false;
  b->n_layers = n_anc + 1;
  for (uint32_t j = 0; j < b->n_layers; j++) {
    b->layer_is_list[j] = anc[n_anc - j];
    b->max_rep += b->layer_is_list[j];
  }
  b->has_rep = b->max_rep > 0;
  (*n)++;
  return LP_OK;
}

static lp_status column_of(const lp__datafile_src *src, uint32_t c, const lp__column **out, lp_error *err) {
  if (c >= src->meta->n_columns)
    return lp_error_set(err, LP_EINVAL, "%s: column %u, the file has %u", src->meta->path, c, src->meta->n_columns);
  *out = &src->meta->columns[c];
  return LP_OK;
}

static lp_status page_read(const lp__datafile_src *src, const lp__page *p, uint64_t lo, uint64_t hi, lp__leafbuf *b,
                           lp_error *err) {
  if (p->enc20 != NULL) return lp_error_set(err, LP_EUNSUPPORTED, "format 2.0 pages are not read yet");
  if (p->layout == NULL) return lp_error_set(err, LP_ECORRUPT, "page has no layout");
  switch (p->layout->layout_case) {
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT: return lp__page_miniblock_read(src, p, lo, hi, b, err);
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT: return lp__page_fullzip_read(src, p, lo, hi, b, err);
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT: return lp__page_allnull_read(src, p, lo, hi, b, err);
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT__NOT_SET:
      return lp_error_set(err, LP_EUNSUPPORTED, "page layout unknown to this reader (unset, or a newer writer's)");
    default: return lp_error_set(err, LP_EUNSUPPORTED, "page layout %d (blob?) is not read", (int)p->layout->layout_case);
  }
}

/* First page whose rows end after `row`. */
static size_t page_of_row(const lp__column *col, uint64_t row) {
  size_t lo = 0, hi = col->n_pages;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (col->pages[mid].row_start + col->pages[mid].n_rows <= row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static lp_status leaf_read_range(const lp__datafile_src *src, uint32_t c, uint64_t row_start, uint64_t n_rows,
                                 lp__leafbuf *b, lp_error *err) {
  const lp__column *col = NULL;
  LP_TRY(column_of(src, c, &col, err));
  uint64_t end = row_start + n_rows;
  if (b->max_rep == 0 && b->kind == LP__V_FIXED) { /* one value per row: size the output once */
    LP_TRY(lp__leafbuf_reserve_values(b, n_rows, 0, err));
    LP_TRY(lp__leafbuf_reserve_levels(b, n_rows, err));
  }
  for (size_t p = page_of_row(col, row_start); p < col->n_pages && n_rows > 0; p++) {
    const lp__page *pg = &col->pages[p];
    if (pg->row_start >= end) break;
    uint64_t lo = row_start > pg->row_start ? row_start - pg->row_start : 0;
    uint64_t hi = end - pg->row_start < pg->n_rows ? end - pg->row_start : pg->n_rows;
    lp_status rc = page_read(src, pg, lo, hi, b, err);
    if (rc != LP_OK) {
      lp_error_wrap(err, "%s: column %u page %zu: ", src->meta->path, c, p);
      return rc;
    }
  }
  uint64_t got = lp__leafbuf_count_rows(b);
  if (got != n_rows)
    return lp_error_set(err, LP_ECORRUPT, "%s: column %u: decoded %llu rows, expected %llu", src->meta->path, c,
                        (unsigned long long)got, (unsigned long long)n_rows);
  return LP_OK;
}

static lp_status leaf_take(const lp__datafile_src *src, uint32_t c, const uint64_t *rows, size_t n, lp__leafbuf *b,
                           lp_error *err) {
  const lp__column *col = NULL;
  LP_TRY(column_of(src, c, &col, err));
  uint64_t *rel = malloc((n ? n : 1) * sizeof *rel);
  if (rel == NULL) return lp_error_set(err, LP_ENOMEM, "take: out of memory");
  lp_status rc = LP_OK;
  size_t i = 0;
  while (rc == LP_OK && i < n) {
    size_t p = page_of_row(col, rows[i]);
    if (p >= col->n_pages) {
      rc = lp_error_set(err, LP_EINVAL, "%s: take: row %llu beyond the column's rows", src->meta->path,
                        (unsigned long long)rows[i]);
      break;
    }
    const lp__page *pg = &col->pages[p];
    size_t k = 0;
    while (i + k < n && rows[i + k] < pg->row_start + pg->n_rows) {
      if (k > 0 && rows[i + k] <= rows[i + k - 1]) {
        rc = lp_error_set(err, LP_EINVAL, "take: rows are not strictly ascending at position %zu", i + k);
        break;
      }
      rel[k] = rows[i + k] - pg->row_start;
      k++;
    }
    if (rc != LP_OK) break;
    if (pg->layout && pg->layout->layout_case == LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT) {
      rc = lp__page_miniblock_take(src, pg, rel, k, b, err);
    } else {
      for (size_t q = 0; rc == LP_OK && q < k; q++) {
        uint64_t run = 1; /* read runs of consecutive rows at once */
        while (q + run < k && rel[q + run] == rel[q] + run) run++;
        rc = page_read(src, pg, rel[q], rel[q] + run, b, err);
        q += run - 1;
      }
    }
    if (rc != LP_OK) lp_error_wrap(err, "%s: column %u page %zu: ", src->meta->path, c, p);
    i += k;
  }
  free(rel);
  if (rc == LP_OK && lp__leafbuf_count_rows(b) != n)
    rc = lp_error_set(err, LP_ECORRUPT, "%s: column %u: take decoded %llu rows, expected %zu", src->meta->path, c,
                      (unsigned long long)lp__leafbuf_count_rows(b), n);
  return rc;
}

/* 2.0: a range is one pass; a take reads each run of consecutive rows and concatenates the pieces. */
static lp_status read_v20(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                          uint64_t row_start, uint64_t n_rows, const uint64_t *rows, size_t n_take,
                          struct ArrowArray *out, lp_error *err) {
  lp_status rc;
  if (rows == NULL) {
    if (row_start + n_rows > src->meta->num_rows)
      return lp_error_set(err, LP_EINVAL, "%s: rows [%llu, %llu) beyond the file's %llu", src->meta->path,
                          (unsigned long long)row_start, (unsigned long long)(row_start + n_rows),
                          (unsigned long long)src->meta->num_rows);
    rc = lp__datafile_v20_read(src, field, first_column, row_start, n_rows, out, err);
  } else {
    struct ArrowSchema schema;
    rc = lp__field_to_arrow(field, &schema, err);
    if (rc != LP_OK) return rc;
    struct ArrowArray *parts = calloc(n_take + 1, sizeof *parts);
    size_t np = 0;
    if (parts == NULL) rc = lp_error_set(err, LP_ENOMEM, "take: out of memory");
    for (size_t i = 0; rc == LP_OK && i < n_take;) {
      size_t k = 1;
      while (i + k < n_take && rows[i + k] == rows[i] + k) k++;
      if ((i > 0 && rows[i] <= rows[i - 1]) || rows[i] + k > src->meta->num_rows)
        rc = lp_error_set(err, LP_EINVAL, "take: row %llu out of order or beyond the file", (unsigned long long)rows[i]);
      else rc = lp__datafile_v20_read(src, field, first_column, rows[i], k, &parts[np++], err);
      i += k;
    }
    if (rc == LP_OK) rc = lp__arrow_concat(parts, np, &schema, out, err);
    else for (size_t i = 0; i < np; i++) lp__arrow_release(&parts[i]);
    free(parts);
    schema.release(&schema);
  }
  if (rc != LP_OK && err && strncmp(err->message, src->meta->path, strlen(src->meta->path)) != 0)
    lp_error_wrap(err, "%s: field %s: ", src->meta->path, field->name);
  return rc;
}

static lp_status read_common(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                             uint64_t row_start, uint64_t n_rows, const uint64_t *rows, size_t n_take,
                             struct ArrowArray *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (src == NULL || src->meta == NULL || field == NULL)
    return lp_error_set(err, LP_EINVAL, "data file read: missing source or field");
  if (lp__meta_is_v20(src->meta)) return read_v20(src, field, first_column, row_start, n_rows, rows, n_take, out, err);
  lp__leafbuf *leaves = calloc(MAX_LEAVES, sizeof *leaves);
  if (leaves == NULL) return lp_error_set(err, LP_ENOMEM, "data file read: out of memory");
  bool anc[LP__MAX_LAYERS];
  size_t n = 0;
  lp_status rc = collect_leaves(field, anc, 0, leaves, &n, MAX_LEAVES, err);
  if (rc == LP_OK && (uint64_t)first_column + n > src->meta->n_columns)
    rc = lp_error_set(err, LP_EINVAL, "%s: field %s needs columns %u..%zu, the file has %u", src->meta->path,
                      field->name, first_column, first_column + n - 1, src->meta->n_columns);
  if (rc == LP_OK && rows == NULL && row_start + n_rows > src->meta->num_rows)
    rc = lp_error_set(err, LP_EINVAL, "%s: rows [%llu, %llu) beyond the file's %llu", src->meta->path,
                      (unsigned long long)row_start, (unsigned long long)(row_start + n_rows),
                      (unsigned long long)src->meta->num_rows);
  for (size_t i = 0; rc == LP_OK && i < n; i++) {
    if (rows != NULL) rc = leaf_take(src, first_column + (uint32_t)i, rows, n_take, &leaves[i], err);
    else rc = leaf_read_range(src, first_column + (uint32_t)i, row_start, n_rows, &leaves[i], err);
  }
  if (rc == LP_OK) rc = lp__levels_to_arrow(field, leaves, n, rows ? n_take : n_rows, out, err);
  if (rc != LP_OK && n > 0 && err && strncmp(err->message, src->meta->path, strlen(src->meta->path)) != 0)
    lp_error_wrap(err, "%s: field %s: ", src->meta->path, field->name);
  for (size_t i = 0; i < n; i++) lp__leafbuf_reset(&leaves[i]);
  free(leaves);
  return rc;
}

lp_status lp__datafile_read_range(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                                  uint64_t row_start, uint64_t n_rows, struct ArrowArray *out, lp_error *err) {
  return read_common(src, field, first_column, row_start, n_rows, NULL, 0, out, err);
}

lp_status lp__datafile_take(const lp__datafile_src *src, const lp__field *field, uint32_t first_column,
                            const uint64_t *rows, size_t n_rows, struct ArrowArray *out, lp_error *err) {
  static const uint64_t none = 0;
  return read_common(src, field, first_column, 0, 0, rows ? rows : &none, n_rows, out, err);
}

void lp__datafile_meta_version(const lp__datafile_meta *m, uint16_t *major, uint16_t *minor) {
  *major = m->major;
  *minor = m->minor;
}

uint32_t lp__datafile_field_num_columns(const lp__datafile_meta *m, const lp__field *f) {
  bool v20 = lp__meta_is_v20(m);
  bool nested = (f->type == LP__TYPE_STRUCT && (v20 || !lp__field_is_packed(f))) || f->type == LP__TYPE_LIST ||
                f->type == LP__TYPE_LARGE_LIST;
  if (!nested) return 1;
  uint32_t n = v20 ? 1 : 0;
  for (size_t i = 0; i < f->n_children; i++) n += lp__datafile_field_num_columns(m, &f->children[i]);
  return n;
}
