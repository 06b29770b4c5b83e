/* Unit tests of the page layouts on hand-built files (tests/unit/datafile_builder.h): mini-block with
 * several chunks, a last partial chunk, a chunk of exactly the 32 KiB maximum, an empty page and a
 * one-row page; lists with rep/def levels and a repetition index whose rows cross chunk boundaries;
 * full-zip with control words and a repetition index; all-null pages; and truncated or damaged files,
 * which must fail with a message, never crash. */
#include <inttypes.h>

#include "datafile_builder.h"
#include "format/arrow_util.h"
#include "format/datafile_int.h"

typedef Lance__Encodings21__CompressiveEncoding cenc;

static cenc *flat(uint64_t bits) {
  cenc *e = calloc(1, sizeof *e);
  Lance__Encodings21__Flat *f = calloc(1, sizeof *f);
  lance__encodings21__compressive_encoding__init(e);
  lance__encodings21__flat__init(f);
  f->bits_per_value = bits;
  e->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT;
  e->flat = f;
  return e;
}

static cenc *variable32(void) {
  cenc *e = calloc(1, sizeof *e);
  Lance__Encodings21__Variable *v = calloc(1, sizeof *v);
  lance__encodings21__compressive_encoding__init(e);
  lance__encodings21__variable__init(v);
  v->offsets = flat(32);
  e->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE;
  e->variable = v;
  return e;
}

static Lance__Encodings21__PageLayout *mb_layout(cenc *values, cenc *rep, cenc *def, const int *layers, size_t nl,
                                                 uint64_t num_items) {
  Lance__Encodings21__PageLayout *pl = calloc(1, sizeof *pl);
  Lance__Encodings21__MiniBlockLayout *mb = calloc(1, sizeof *mb);
  lance__encodings21__page_layout__init(pl);
  lance__encodings21__mini_block_layout__init(mb);
  mb->value_compression = values;
  mb->rep_compression = rep;
  mb->def_compression = def;
  mb->n_layers = nl;
  mb->layers = calloc(nl, sizeof *mb->layers);
  for (size_t i = 0; i < nl; i++) mb->layers[i] = (Lance__Encodings21__RepDefLayer)layers[i];
  mb->num_buffers = 1;
  mb->repetition_index_depth = rep ? 1 : 0;
  mb->num_items = num_items;
  pl->layout_case = LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT;
  pl->mini_block_layout = mb;
  return pl;
}

static void layout_free(Lance__Encodings21__PageLayout *pl) {
  protobuf_c_message_free_unpacked(&pl->base, NULL);
}

/* Append a chunk: header (num_levels, [rep_size, def_size,] value size), padded parts; metadata word. */
static void add_chunk(tb *meta, tb *data, uint16_t n_levels, const tb *rep, const tb *def, const tb *vals,
                      unsigned log2n) {
  size_t start = data->len;
  tb_u16(data, n_levels);
  if (rep) tb_u16(data, (uint16_t)rep->len);
  if (def) tb_u16(data, (uint16_t)def->len);
  tb_u16(data, (uint16_t)vals->len);
  tb_pad(data, 8, 0xfe);
  if (rep) {
    tb_put(data, rep->p, rep->len);
    tb_pad(data, 8, 0xfe);
  }
  if (def) {
    tb_put(data, def->p, def->len);
    tb_pad(data, 8, 0xfe);
  }
  tb_put(data, vals->p, vals->len);
  tb_pad(data, 8, 0xfe);
  size_t size = data->len - start;
  tb_u16(meta, (uint16_t)(((size / 8 - 1) << 4) | log2n));
}

static lp__field prim_field(const char *name, lp__type t) {
  lp__field f;
  memset(&f, 0, sizeof f);
  f.name = (char *)name;
  f.type = t;
  f.nullable = true;
  f.parent_id = -1;
  return f;
}

static void read_ok(const lp__datafile_src *src, const lp__field *f, uint32_t col, uint64_t start, uint64_t n,
                    struct ArrowArray *a) {
  lp_error err;
  CHECK_OK(lp__datafile_read_range(src, f, col, start, n, a, &err), &err);
  CHECK_EQ(a->length, (int64_t)n);
}

/* int64 flat mini-block: page 0 empty, page 1 one row, page 2 = chunks of 1024, 1024 and a last partial
 * chunk of 500; column 1 is a single last chunk of exactly 32 768 bytes (4 095 int64). */
static void test_miniblock_chunks(void) {
  tcol cols[2];
  memset(cols, 0, sizeof cols);
  int l1[1] = {1};
  /* page 0: empty */
  cols[0].pages[0].n_rows = 0;
  cols[0].pages[0].layout = mb_layout(flat(64), NULL, NULL, l1, 1, 0);
  cols[0].pages[0].n_bufs = 2;
  /* page 1: one row, value 77 */
  tb v = {0};
  tb_u64(&v, 77);
  cols[0].pages[1].n_rows = 1;
  cols[0].pages[1].layout = mb_layout(flat(64), NULL, NULL, l1, 1, 1);
  cols[0].pages[1].n_bufs = 2;
  add_chunk(&cols[0].pages[1].bufs[0], &cols[0].pages[1].bufs[1], 0, NULL, NULL, &v, 0);
  /* page 2: 2548 rows, value = 1000 + row */
  tpage *p = &cols[0].pages[2];
  p->n_rows = 2548;
  p->layout = mb_layout(flat(64), NULL, NULL, l1, 1, 2548);
  p->n_bufs = 2;
  uint64_t row = 0;
  unsigned counts[3] = {1024, 1024, 500};
  for (int c = 0; c < 3; c++) {
    v.len = 0;
    for (unsigned i = 0; i < counts[c]; i++) tb_u64(&v, 1000 + row++);
    add_chunk(&p->bufs[0], &p->bufs[1], 0, NULL, NULL, &v, c < 2 ? 10 : 0);
  }
  /* page 3: 1546 more rows in one chunk, so the file has 4095 rows */
  tpage *p3 = &cols[0].pages[3];
  p3->n_rows = 1546;
  p3->layout = mb_layout(flat(64), NULL, NULL, l1, 1, 1546);
  p3->n_bufs = 2;
  v.len = 0;
  for (unsigned i = 0; i < 1546; i++) tb_u64(&v, 5000 + i);
  add_chunk(&p3->bufs[0], &p3->bufs[1], 0, NULL, NULL, &v, 0);
  cols[0].n_pages = 4;
  /* column 1: one page, one chunk of 8 + 4095 * 8 = 32 768 bytes, the largest a chunk can be */
  tpage *q = &cols[1].pages[0];
  q->n_rows = 4095;
  q->layout = mb_layout(flat(64), NULL, NULL, l1, 1, 4095);
  q->n_bufs = 2;
  v.len = 0;
  for (unsigned i = 0; i < 4095; i++) tb_u64(&v, (uint64_t)i * 3);
  add_chunk(&q->bufs[0], &q->bufs[1], 0, NULL, NULL, &v, 0);
  CHECK_EQ(q->bufs[1].len, 32768);
  uint16_t word;
  memcpy(&word, q->bufs[0].p, 2);
  CHECK_EQ(word, 0xfff0);
  cols[1].n_pages = 1;
  size_t len;
  uint8_t *file = tb_build_file(cols, 2, 4095, &len);
  lp_error err;
  lp__datafile_meta *m = NULL;
  CHECK_OK(lp__datafile_meta_parse(file, len, "mem.lance", &m, &err), &err);
  CHECK_EQ(lp__datafile_meta_num_rows(m), 4095);
  lp__datafile_src src = {.fd = -1, .bytes = file, .path = "mem.lance", .meta = m};
  lp__field f = prim_field("x", LP__TYPE_INT64);
  struct ArrowArray a;
  read_ok(&src, &f, 0, 0, 4095, &a);
  const int64_t *x = a.buffers[1];
  CHECK_EQ(x[4094], 5000 + 1545);
  CHECK_EQ(x[0], 77);
  CHECK_EQ(x[1], 1000);
  CHECK_EQ(x[1025], 2024);
  CHECK_EQ(x[2548], 1000 + 2547);
  CHECK_EQ(a.null_count, 0);
  lp__arrow_release(&a);
  read_ok(&src, &f, 0, 1020, 520, &a); /* crosses the chunk boundary at page row 1024 */
  x = a.buffers[1];
  for (int i = 0; i < 520; i++) CHECK_EQ(x[i], 1000 + 1019 + i);
  lp__arrow_release(&a);
  read_ok(&src, &f, 0, 2548, 1, &a); /* the last row, in the last partial chunk */
  CHECK_EQ(((const int64_t *)a.buffers[1])[0], 1000 + 2547);
  lp__arrow_release(&a);
  uint64_t rows[5] = {0, 5, 1030, 2047, 2548};
  CHECK_OK(lp__datafile_take(&src, &f, 0, rows, 5, &a, &err), &err);
  x = a.buffers[1];
  CHECK(x[0] == 77 && x[1] == 1004 && x[2] == 2029 && x[3] == 3046 && x[4] == 3547);
  lp__arrow_release(&a);
  read_ok(&src, &f, 1, 0, 4095, &a);
  CHECK_EQ(((const int64_t *)a.buffers[1])[4094], 4094 * 3);
  lp__arrow_release(&a);
  read_ok(&src, &f, 1, 4000, 95, &a);
  CHECK_EQ(((const int64_t *)a.buffers[1])[0], 4000 * 3);
  lp__arrow_release(&a);
  /* errors: rows beyond the file, rows not ascending */
  CHECK_EQ(lp__datafile_read_range(&src, &f, 0, 4000, 600, &a, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "mem.lance");
  uint64_t bad_rows[2] = {5, 5};
  CHECK_EQ(lp__datafile_take(&src, &f, 0, bad_rows, 2, &a, &err), LP_EINVAL);
  lp__datafile_meta_unref(m);
  free(file);
  free(v.p);
  for (int pg = 0; pg < 4; pg++) layout_free(cols[0].pages[pg].layout);
  layout_free(q->layout);
  tcols_free(cols, 2);
}

/* list<int32>, layers [ALL_VALID_ITEM, NULL_AND_EMPTY_LIST]: rows r have (r % 4) items, row % 5 == 3
 * is a null list, and row % 4 == 0 an empty one; chunks of 8 values, so rows cross chunk boundaries.
 * Levels are Flat(16); the repetition index is built like LanceDB's writer. */
static void test_miniblock_lists(void) {
  enum { NROWS = 40 };
  uint16_t rep[400], def[400];
  int32_t items[400];
  size_t nl = 0, ni = 0;
  for (int r = 0; r < NROWS; r++) {
    if (r % 5 == 3) { rep[nl] = 1; def[nl++] = 1; continue; }  /* null list */
    if (r % 4 == 0) { rep[nl] = 1; def[nl++] = 2; continue; }  /* empty list */
    for (int k = 0; k < r % 4; k++) {
      rep[nl] = k == 0;
      def[nl++] = 0;
      items[ni++] = r * 100 + k;
    }
  }
  /* cut chunks by 8 values; invisible levels after a chunk's last value go to the next chunk */
  tcol col;
  memset(&col, 0, sizeof col);
  int layers[2] = {1, 6};
  tpage *p = &col.pages[0];
  p->n_rows = NROWS;
  p->layout = mb_layout(flat(32), flat(16), flat(16), layers, 2, ni);
  p->n_bufs = 3;
  size_t lv = 0, vi = 0;
  uint64_t ends_partial[64][2];
  size_t nc = 0;
  while (lv < nl) {
    size_t take_vals = ni - vi > 8 ? 8 : ni - vi, l0 = lv, seen = 0;
    bool last = vi + take_vals == ni;
    while (lv < nl && (last || seen < take_vals)) {
      if (def[lv] == 0) seen++;
      lv++;
    }
    tb r = {0}, d = {0}, vals = {0};
    tb_put(&r, rep + l0, (lv - l0) * 2);
    tb_put(&d, def + l0, (lv - l0) * 2);
    tb_put(&vals, items + vi, take_vals * 4);
    add_chunk(&p->bufs[0], &p->bufs[1], (uint16_t)(lv - l0), &r, &d, &vals, last ? 0 : 3);
    /* rep index: ends = row starts after position 0 (+1 for the last chunk); partial = levels after the
     * last row start when not last */
    uint64_t ends = 0, lastpos = l0;
    bool any = false;
    for (size_t i = l0; i < lv; i++)
      if (rep[i] == 1) {
        if (i > l0) ends++;
        lastpos = i;
        any = true;
      }
    uint64_t partial = last ? 0 : (any ? lv - lastpos : lv - l0);
    if (last) ends++;
    ends_partial[nc][0] = ends;
    ends_partial[nc][1] = partial;
    if (nc > 0 && rep[l0] == 1 && ends_partial[nc - 1][1] > 0) {
      ends_partial[nc - 1][0]++;
      ends_partial[nc - 1][1] = 0;
    }
    nc++;
    vi += take_vals;
    free(r.p);
    free(d.p);
    free(vals.p);
  }
  for (size_t c = 0; c < nc; c++) {
    tb_u64(&p->bufs[2], ends_partial[c][0]);
    tb_u64(&p->bufs[2], ends_partial[c][1]);
  }
  col.n_pages = 1;
  size_t len;
  uint8_t *file = tb_build_file(&col, 1, NROWS, &len);
  lp_error err;
  lp__datafile_meta *m = NULL;
  CHECK_OK(lp__datafile_meta_parse(file, len, "list.lance", &m, &err), &err);
  lp__datafile_src src = {.fd = -1, .bytes = file, .path = "list.lance", .meta = m};
  lp__field item = prim_field("item", LP__TYPE_INT32);
  lp__field f = prim_field("l", LP__TYPE_LIST);
  f.children = &item;
  f.n_children = 1;
  for (uint64_t start = 0; start < NROWS; start += 3) {
    for (uint64_t n = 1; start + n <= NROWS; n += 7) {
      struct ArrowArray a;
      read_ok(&src, &f, 0, start, n, &a);
      const int32_t *off = a.buffers[1];
      const int32_t *vals = a.children[0]->buffers[1];
      for (uint64_t i = 0; i < n; i++) {
        int r = (int)(start + i);
        bool valid = a.buffers[0] == NULL || lp__bit_get(a.buffers[0], (int64_t)i);
        if (r % 5 == 3) {
          if (valid) LP_FAIL("row %d should be null", r);
          continue;
        }
        CHECK(valid);
        int expect = r % 4 == 0 ? 0 : r % 4;
        CHECK_EQ(off[i + 1] - off[i], expect);
        for (int k = 0; k < expect; k++) CHECK_EQ(vals[off[i] + k], r * 100 + k);
      }
      lp__arrow_release(&a);
    }
  }
  uint64_t rows[6] = {1, 2, 3, 17, 38, 39};
  struct ArrowArray a;
  CHECK_OK(lp__datafile_take(&src, &f, 0, rows, 6, &a, &err), &err);
  const int32_t *off = a.buffers[1];
  CHECK_EQ(off[1] - off[0], 1);
  CHECK_EQ(off[2] - off[1], 2);
  CHECK(!lp__bit_get(a.buffers[0], 2));
  CHECK_EQ(off[4] - off[3], 1); /* row 17 */
  CHECK_EQ(((const int32_t *)a.children[0]->buffers[1])[off[3]], 1700);
  CHECK_EQ(off[6] - off[5], 3); /* row 39 */
  lp__arrow_release(&a);
  lp__datafile_meta_unref(m);
  free(file);
  layout_free(p->layout);
  tcols_free(&col, 1);
}

/* full-zip utf8 with nulls (bits_def 1) and a u16 repetition index; then an all-null page. */
static void test_fullzip_and_allnull(void) {
  tcol col;
  memset(&col, 0, sizeof col);
  tpage *p = &col.pages[0];
  enum { N = 50 };
  Lance__Encodings21__PageLayout *pl = calloc(1, sizeof *pl);
  Lance__Encodings21__FullZipLayout *fz = calloc(1, sizeof *fz);
  lance__encodings21__page_layout__init(pl);
  lance__encodings21__full_zip_layout__init(fz);
  fz->bits_def = 1;
  fz->details_case = LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET;
  fz->bits_per_offset = 32;
  fz->num_items = N;
  fz->value_compression = variable32();
  fz->n_layers = 1;
  fz->layers = calloc(1, sizeof *fz->layers);
  fz->layers[0] = LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM;
  pl->layout_case = LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT;
  pl->full_zip_layout = fz;
  p->layout = pl;
  p->n_rows = N;
  p->n_bufs = 2;
  char s[400];
  for (int r = 0; r < N; r++) {
    tb_u16(&p->bufs[1], (uint16_t)p->bufs[0].len);
    uint8_t cw = r % 7 == 2;
    tb_put(&p->bufs[0], &cw, 1);
    if (cw) continue;
    int l = 256 + r;
    for (int i = 0; i < l; i++) s[i] = (char)('a' + (r + i) % 26);
    tb_u32(&p->bufs[0], (uint32_t)l);
    tb_put(&p->bufs[0], s, (size_t)l);
  }
  tb_u16(&p->bufs[1], (uint16_t)p->bufs[0].len);
  /* page 2: all null, simple layout */
  Lance__Encodings21__PageLayout *an = calloc(1, sizeof *an);
  Lance__Encodings21__ConstantLayout *cl = calloc(1, sizeof *cl);
  lance__encodings21__page_layout__init(an);
  lance__encodings21__constant_layout__init(cl);
  cl->n_layers = 1;
  cl->layers = calloc(1, sizeof *cl->layers);
  cl->layers[0] = LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM;
  an->layout_case = LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT;
  an->constant_layout = cl;
  col.pages[1].layout = an;
  col.pages[1].n_rows = 10;
  col.n_pages = 2;
  size_t len;
  uint8_t *file = tb_build_file(&col, 1, N + 10, &len);
  lp_error err;
  lp__datafile_meta *m = NULL;
  CHECK_OK(lp__datafile_meta_parse(file, len, "fz.lance", &m, &err), &err);
  lp__datafile_src src = {.fd = -1, .bytes = file, .path = "fz.lance", .meta = m};
  lp__field f = prim_field("s", LP__TYPE_UTF8);
  struct ArrowArray a;
  read_ok(&src, &f, 0, 45, 15, &a); /* crosses into the all-null page */
  const int32_t *off = a.buffers[1];
  for (int i = 0; i < 15; i++) {
    int r = 45 + i;
    bool valid = lp__bit_get(a.buffers[0], i);
    if (r >= N || r % 7 == 2) {
      CHECK(!valid);
      continue;
    }
    CHECK(valid);
    CHECK_EQ(off[i + 1] - off[i], 256 + r);
    CHECK_EQ(((const char *)a.buffers[2])[off[i]], 'a' + r % 26);
  }
  CHECK_EQ(a.null_count, 10); /* rows 50..59 (row 51 among them) */
  lp__arrow_release(&a);
  uint64_t rows[3] = {0, 9, 55};
  CHECK_OK(lp__datafile_take(&src, &f, 0, rows, 3, &a, &err), &err);
  off = a.buffers[1];
  CHECK_EQ(off[1] - off[0], 256);
  CHECK(!lp__bit_get(a.buffers[0], 1));
  CHECK(!lp__bit_get(a.buffers[0], 2));
  lp__arrow_release(&a);
  lp__datafile_meta_unref(m);

  /* damage: every truncation of the file fails cleanly; flipped bytes in the page data give a value or an
   * error, never a crash (run under ASan) */
  for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 7)) {
    lp__datafile_meta *mm = NULL;
    if (lp__datafile_meta_parse(file, cut, "cut.lance", &mm, &err) == LP_OK) {
      LP_FAIL("truncated file of %zu bytes parsed", cut);
    }
    CHECK_CONTAINS(err.message, "cut.lance");
  }
  for (size_t pos = 0; pos < col.pages[0].bufs[0].len + 64; pos += 3) {
    uint8_t *copy = malloc(len);
    memcpy(copy, file, len);
    copy[pos] ^= 0x5a;
    lp__datafile_meta *mm = NULL;
    if (lp__datafile_meta_parse(copy, len, "flip.lance", &mm, &err) == LP_OK) {
      lp__datafile_src s2 = {.fd = -1, .bytes = copy, .path = "flip.lance", .meta = mm};
      if (lp__datafile_read_range(&s2, &f, 0, 0, N + 10, &a, &err) == LP_OK) lp__arrow_release(&a);
      else CHECK(err.message[0] != '\0');
      lp__datafile_meta_unref(mm);
    }
    free(copy);
  }
  free(file);
  layout_free(pl);
  layout_free(an);
  tcols_free(&col, 1);
}

/* A newer writer's encoding: a CompressiveEncoding or PageLayout whose variant this reader does not know
 * (an unknown oneof member, so protobuf-c leaves the case unset and keeps the bytes as an unknown field)
 * must fail with LP_EUNSUPPORTED naming the file, column and page; never read as something else. */
static void test_unknown_encodings(void) {
  /* protobuf-c stores an unknown length-delimited field with its length prefix: here 2 bytes, field 1 = 1 */
  static uint8_t blob[3] = {2, 8, 1};
  ProtobufCMessageUnknownField unk = {.tag = 30, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, .len = 3,
                                      .data = blob};
  int l1[1] = {1};
  for (int which = 0; which < 3; which++) {
    tcol col;
    memset(&col, 0, sizeof col);
    cenc *values = flat(64);
    if (which == 0) { /* the value encoding is an unknown variant */
      protobuf_c_message_free_unpacked(&values->flat->base, NULL);
      values->flat = NULL;
      values->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION__NOT_SET;
    }
    tpage *p = &col.pages[0];
    p->n_rows = 2;
    p->layout = mb_layout(values, NULL, NULL, l1, 1, 2);
    if (which == 1) { /* the page layout is an unknown variant */
      protobuf_c_message_free_unpacked(&p->layout->mini_block_layout->base, NULL);
      p->layout->mini_block_layout = NULL;
      p->layout->layout_case = LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT__NOT_SET;
    }
    if (which == 2) { /* a bit width no decoder has */
      p->layout->mini_block_layout->value_compression->flat->bits_per_value = 48;
    }
    if (which < 2) {
      ProtobufCMessage *m = which == 0 ? &values->base : &p->layout->base;
      m->n_unknown_fields = 1;
      m->unknown_fields = malloc(sizeof unk);
      *m->unknown_fields = unk;
      m->unknown_fields->data = malloc(sizeof blob);
      memcpy(m->unknown_fields->data, blob, sizeof blob);
    }
    p->n_bufs = 2;
    tb v = {0};
    tb_u64(&v, 5);
    tb_u64(&v, 6);
    add_chunk(&p->bufs[0], &p->bufs[1], 0, NULL, NULL, &v, 0);
    free(v.p);
    col.n_pages = 1;
    size_t len;
    uint8_t *file = tb_build_file(&col, 1, 2, &len);
    lp_error err = {0};
    lp__datafile_meta *m = NULL;
    lp_status rc = lp__datafile_meta_parse(file, len, "newer.lance", &m, &err);
    if (rc == LP_OK) {
      lp__datafile_src src = {.fd = -1, .bytes = file, .path = "newer.lance", .meta = m};
      lp__field f = prim_field("x", LP__TYPE_INT64);
      struct ArrowArray a;
      rc = lp__datafile_read_range(&src, &f, 0, 0, 2, &a, &err);
      if (rc == LP_OK) LP_FAIL("case %d: an unknown encoding decoded to %" PRId64 " rows", which, a.length);
      uint64_t row = 1;
      CHECK(lp__datafile_take(&src, &f, 0, &row, 1, &a, &err) != LP_OK);
      lp__datafile_meta_unref(m);
    }
    fprintf(stderr, "unknown encoding case %d: %s: %s\n", which, lp_status_name(rc), err.message);
    CHECK(rc == LP_EUNSUPPORTED || rc == LP_ECORRUPT);
    if (which < 2) CHECK_EQ(rc, LP_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "newer.lance");
    free(file);
    layout_free(col.pages[0].layout);
    tcols_free(&col, 1);
  }
}

int main(void) {
  RUN_TEST(test_miniblock_chunks);
  RUN_TEST(test_miniblock_lists);
  RUN_TEST(test_fullzip_and_allnull);
  RUN_TEST(test_unknown_encodings);
  return 0;
}
