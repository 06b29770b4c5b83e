/* Test helper: builds Lance 2.1 data files in memory from hand-made page layouts and buffers, laid out as
 * file-format-2.1.md describes (64-aligned page buffers, schema buffer, column metadata, offset tables,
 * footer). Header-only, for unit tests. */
#ifndef LP_TEST_DATAFILE_BUILDER_H
#define LP_TEST_DATAFILE_BUILDER_H

#include <stdlib.h>
#include <string.h>

#include "encodings21.pb-c.h"
#include "file.pb-c.h"
#include "file2.pb-c.h"
#include "lp_test.h"
#include "wellknown.pb-c.h"

typedef struct tb {
  uint8_t *p;
  size_t len, cap;
} tb;

static inline void tb_put(tb *b, const void *d, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
  }
  if (n) memcpy(b->p + b->len, d, n);
  b->len += n;
}
static inline void tb_u16(tb *b, uint16_t v) { tb_put(b, &v, 2); }
static inline void tb_u32(tb *b, uint32_t v) { tb_put(b, &v, 4); }
static inline void tb_u64(tb *b, uint64_t v) { tb_put(b, &v, 8); }
static inline void tb_pad(tb *b, size_t align, uint8_t fill) {
  while (b->len % align) tb_put(b, &fill, 1);
}

typedef struct tpage {
  uint64_t n_rows;
  Lance__Encodings21__PageLayout *layout;
  size_t n_bufs;
  tb bufs[4];
} tpage;

typedef struct tcol {
  size_t n_pages;
  tpage pages[4];
} tcol;

static inline void pack_any(const char *url, const ProtobufCMessage *msg, ProtobufCBinaryData *out) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *v = malloc(n + 1);
  protobuf_c_message_pack(msg, v);
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = (char *)url;
  any.value.data = v;
  any.value.len = n;
  out->len = google__protobuf__any__get_packed_size(&any);
  out->data = malloc(out->len + 1);
  google__protobuf__any__pack(&any, out->data);
  free(v);
}

/* Build the file; n_rows is the file's row count. Caller frees the returned bytes. */
static inline uint8_t *tb_build_file(tcol *cols, size_t n_cols, uint64_t n_rows, size_t *out_len) {
  tb f = {0};
  uint64_t offs[16][4][4];
  for (size_t c = 0; c < n_cols; c++)
    for (size_t p = 0; p < cols[c].n_pages; p++)
      for (size_t k = 0; k < cols[c].pages[p].n_bufs; k++) {
        tb_pad(&f, 64, 0x48);
        offs[c][p][k] = f.len;
        tb_put(&f, cols[c].pages[p].bufs[k].p, cols[c].pages[p].bufs[k].len);
      }
  tb_pad(&f, 64, 0x48);
  Lance__File__FileDescriptor fd = LANCE__FILE__FILE_DESCRIPTOR__INIT;
  Lance__File__Schema schema = LANCE__FILE__SCHEMA__INIT;
  fd.schema = &schema;
  fd.length = n_rows;
  uint64_t gb0 = f.len, gb0_len = lance__file__file_descriptor__get_packed_size(&fd);
  uint8_t *tmp = malloc(gb0_len + 1);
  lance__file__file_descriptor__pack(&fd, tmp);
  tb_put(&f, tmp, gb0_len);
  free(tmp);
  uint64_t cm_start = f.len, cm_pos[16], cm_len[16];
  for (size_t c = 0; c < n_cols; c++) {
    Lance__File__V2__ColumnMetadata cm = LANCE__FILE__V2__COLUMN_METADATA__INIT;
    Lance__File__V2__Encoding cenc = LANCE__FILE__V2__ENCODING__INIT;
    Lance__File__V2__DirectEncoding cdir = LANCE__FILE__V2__DIRECT_ENCODING__INIT;
    static const uint8_t col_enc[] = {0x0a, 0x1f, '/', 'l', 'a', 'n', 'c', 'e', '.', 'e', 'n', 'c', 'o', 'd', 'i', 'n',
                                      'g', 's', '.', 'C', 'o', 'l', 'u', 'm', 'n', 'E', 'n', 'c', 'o', 'd', 'i', 'n',
                                      'g', 0x12, 0x02, 0x0a, 0x00};
    cdir.encoding.data = (uint8_t *)col_enc;
    cdir.encoding.len = sizeof col_enc;
    cenc.location_case = LANCE__FILE__V2__ENCODING__LOCATION_DIRECT;
    cenc.direct = &cdir;
    cm.encoding = &cenc;
    Lance__File__V2__ColumnMetadata__Page pages[4], *pp[4];
    Lance__File__V2__Encoding pe[4];
    Lance__File__V2__DirectEncoding pd[4];
    uint64_t sizes[4][4];
    uint64_t row = 0;
    for (size_t p = 0; p < cols[c].n_pages; p++) {
      tpage *tp = &cols[c].pages[p];
      lance__file__v2__column_metadata__page__init(&pages[p]);
      lance__file__v2__encoding__init(&pe[p]);
      lance__file__v2__direct_encoding__init(&pd[p]);
      pack_any("/lance.encodings21.PageLayout", &tp->layout->base, &pd[p].encoding);
      pe[p].location_case = LANCE__FILE__V2__ENCODING__LOCATION_DIRECT;
      pe[p].direct = &pd[p];
      for (size_t k = 0; k < tp->n_bufs; k++) sizes[p][k] = tp->bufs[k].len;
      pages[p].n_buffer_offsets = pages[p].n_buffer_sizes = tp->n_bufs;
      pages[p].buffer_offsets = offs[c][p];
      pages[p].buffer_sizes = sizes[p];
      pages[p].length = tp->n_rows;
      pages[p].priority = row;
      pages[p].encoding = &pe[p];
      row += tp->n_rows;
      pp[p] = &pages[p];
    }
    cm.n_pages = cols[c].n_pages;
    cm.pages = pp;
    cm_pos[c] = f.len;
    cm_len[c] = lance__file__v2__column_metadata__get_packed_size(&cm);
    tmp = malloc(cm_len[c] + 1);
    lance__file__v2__column_metadata__pack(&cm, tmp);
    tb_put(&f, tmp, cm_len[c]);
    free(tmp);
    for (size_t p = 0; p < cols[c].n_pages; p++) free(pd[p].encoding.data);
  }
  uint64_t cmo = f.len;
  for (size_t c = 0; c < n_cols; c++) {
    tb_u64(&f, cm_pos[c]);
    tb_u64(&f, cm_len[c]);
  }
  uint64_t gbo = f.len;
  tb_u64(&f, gb0);
  tb_u64(&f, gb0_len);
  tb_u64(&f, cm_start);
  tb_u64(&f, cmo);
  tb_u64(&f, gbo);
  tb_u32(&f, 1);
  tb_u32(&f, (uint32_t)n_cols);
  tb_u16(&f, 2);
  tb_u16(&f, 1);
  tb_put(&f, "LANC", 4);
  *out_len = f.len;
  return f.p;
}

static inline void tcols_free(tcol *cols, size_t n) {
  for (size_t c = 0; c < n; c++)
    for (size_t p = 0; p < cols[c].n_pages; p++)
      for (size_t k = 0; k < cols[c].pages[p].n_bufs; k++) free(cols[c].pages[p].bufs[k].p);
}

#endif
