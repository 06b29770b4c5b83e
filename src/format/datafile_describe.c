/* Human-readable descriptions of pages: layout, levels and the encoding tree, for `lancepool dump`, tests
 * and error reports. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format/datafile_int.h"

typedef Lance__Encodings21__CompressiveEncoding cenc;
#define C_(x) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##x

typedef struct sbuf {
  char *p;
  size_t cap, len;
} sbuf;

static void put(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *s, const char *fmt, ...) {
  if (s->len >= s->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
  va_end(ap);
  if (n > 0) s->len = s->len + (size_t)n < s->cap ? s->len + (size_t)n : s->cap - 1;
}

static const char *scheme(const Lance__Encodings21__BufferCompression *b) {
  if (b == NULL) return "none";
  return b->scheme == 1 ? "lz4" : b->scheme == 2 ? "zstd" : "unspecified";
}

static void enc(sbuf *s, const cenc *e, int depth) {
  if (e == NULL || depth > 8) {
    put(s, "-");
    return;
  }
  switch (e->compression_case) {
    case C_(FLAT):
      put(s, "flat(%llu%s%s)", (unsigned long long)e->flat->bits_per_value, e->flat->data ? "," : "",
          e->flat->data ? scheme(e->flat->data) : "");
      return;
    case C_(VARIABLE):
      put(s, "variable(");
      enc(s, e->variable->offsets, depth + 1);
      put(s, ")");
      return;
    case C_(CONSTANT): put(s, "constant"); return;
    case C_(OUT_OF_LINE_BITPACKING):
      put(s, "out_of_line_bitpacking(%llu,", (unsigned long long)e->out_of_line_bitpacking->uncompressed_bits_per_value);
      enc(s, e->out_of_line_bitpacking->values, depth + 1);
      put(s, ")");
      return;
    case C_(INLINE_BITPACKING):
      put(s, "inline_bitpacking(%llu)", (unsigned long long)e->inline_bitpacking->uncompressed_bits_per_value);
      return;
    case C_(FSST):
      put(s, "fsst(");
      enc(s, e->fsst->values, depth + 1);
      put(s, ")");
      return;
    case C_(DICTIONARY): put(s, "dictionary"); return;
    case C_(RLE):
      put(s, "rle(");
      enc(s, e->rle->values, depth + 1);
      put(s, ",");
      enc(s, e->rle->run_lengths, depth + 1);
      put(s, ")");
      return;
    case C_(BYTE_STREAM_SPLIT):
      put(s, "byte_stream_split(");
      enc(s, e->byte_stream_split->values, depth + 1);
      put(s, ")");
      return;
    case C_(GENERAL):
      put(s, "general(%s,", scheme(e->general->compression));
      enc(s, e->general->values, depth + 1);
      put(s, ")");
      return;
    case C_(FIXED_SIZE_LIST):
      put(s, "fixed_size_list(%llu%s,", (unsigned long long)e->fixed_size_list->items_per_value,
          e->fixed_size_list->has_validity ? ",validity" : "");
      enc(s, e->fixed_size_list->values, depth + 1);
      put(s, ")");
      return;
    case C_(PACKED_STRUCT):
      put(s, "packed_struct(");
      enc(s, e->packed_struct->values, depth + 1);
      put(s, ")");
      return;
    case C_(VARIABLE_PACKED_STRUCT): put(s, "variable_packed_struct"); return;
    default: put(s, "?");
  }
}

static void layers(sbuf *s, const Lance__Encodings21__RepDefLayer *l, size_t n) {
  put(s, "[");
  for (size_t i = 0; i < n; i++) put(s, "%s%d", i ? "," : "", (int)l[i]);
  put(s, "]");
}

lp_status lp__datafile_describe_page(const lp__datafile_meta *m, uint32_t column, size_t page, char *buf, size_t cap,
                                     lp_error *err) {
  if (cap == 0) return lp_error_set(err, LP_EINVAL, "describe: empty buffer");
  buf[0] = '\0';
  if (column >= m->n_columns || page >= m->columns[column].n_pages)
    return lp_error_set(err, LP_EINVAL, "%s: no page %zu in column %u", m->path, page, column);
  const lp__page *p = &m->columns[column].pages[page];
  sbuf s = {buf, cap, 0};
  put(&s, "rows %llu+%llu ", (unsigned long long)p->row_start, (unsigned long long)p->n_rows);
  if (p->enc20 != NULL || p->layout == NULL) {
    put(&s, "format-2.0 page, %zu buffers", p->n_bufs);
    return LP_OK;
  }
  switch (p->layout->layout_case) {
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT: {
      const Lance__Encodings21__MiniBlockLayout *mb = p->layout->mini_block_layout;
      put(&s, "mini_block layers");
      layers(&s, mb->layers, mb->n_layers);
      put(&s, " values=");
      enc(&s, mb->value_compression, 0);
      if (mb->dictionary) {
        put(&s, " dictionary[%llu]=", (unsigned long long)mb->num_dictionary_items);
        enc(&s, mb->dictionary, 0);
      }
      if (mb->rep_compression) {
        put(&s, " rep=");
        enc(&s, mb->rep_compression, 0);
      }
      if (mb->def_compression) {
        put(&s, " def=");
        enc(&s, mb->def_compression, 0);
      }
      put(&s, " chunks=%llu", p->n_bufs ? (unsigned long long)p->buf_size[0] / 2 : 0ull);
      break;
    }
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT: {
      const Lance__Encodings21__FullZipLayout *fz = p->layout->full_zip_layout;
      put(&s, "full_zip layers");
      layers(&s, fz->layers, fz->n_layers);
      put(&s, " bits_rep=%u bits_def=%u %s=%u values=", fz->bits_rep, fz->bits_def,
          fz->details_case == LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET ? "bits_per_offset" : "bits_per_value",
          fz->bits_per_value);
      enc(&s, fz->value_compression, 0);
      put(&s, p->n_bufs > 1 ? " rep_index" : "");
      break;
    }
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT:
      put(&s, "all_null layers");
      layers(&s, p->layout->constant_layout->layers, p->layout->constant_layout->n_layers);
      put(&s, p->n_bufs ? " complex" : " simple");
      break;
    default: put(&s, "layout %d", (int)p->layout->layout_case);
  }
  return LP_OK;
}

size_t lp__datafile_column_num_pages(const lp__datafile_meta *m, uint32_t column) {
  return column < m->n_columns ? m->columns[column].n_pages : 0;
}
