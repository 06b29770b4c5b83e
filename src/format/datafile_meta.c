/* Data-file metadata: footer, column-metadata and global-buffer offset tables, the schema buffer and every
 * column's pages with their unpacked page layouts. See file-format-2.1.md sections 1-6 and 13. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encodings20.pb-c.h"
#include "file.pb-c.h"
#include "format/datafile_int.h"
#include "wellknown.pb-c.h"

#define FOOTER_BYTES 40
#define MAX_COLUMNS 100000u
#define MAX_GLOBAL_BUFFERS 1024u
#define MAX_META_BYTES (UINT64_C(1) << 31) /* cap on the metadata tail we read into memory */

static const char URL_PAGE21[] = "/lance.encodings21.PageLayout";
static const char URL_PAGE20[] = "/lance.encodings.ArrayEncoding";

static uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void meta_free(lp__datafile_meta *m) {
  if (m == NULL) return;
  for (uint32_t c = 0; m->columns != NULL && c < m->n_columns; c++) {
    lp__column *col = &m->columns[c];
    for (size_t p = 0; p < col->n_pages; p++) {
      if (col->pages[p].layout) lance__encodings21__page_layout__free_unpacked(col->pages[p].layout, NULL);
      if (col->pages[p].enc20)
        lance__encodings__array_encoding__free_unpacked((Lance__Encodings__ArrayEncoding *)col->pages[p].enc20,
                                                        NULL);
    }
    free(col->pages);
    if (col->cm) lance__file__v2__column_metadata__free_unpacked(col->cm, NULL);
  }
  free(m->columns);
  for (size_t i = 0; i < m->n_schema_meta; i++) {
    free(m->schema_meta[i].key);
    free(m->schema_meta[i].value);
  }
  free(m->schema_meta);
  free(m->gb_off);
  free(m->gb_len);
  free(m->path);
  free(m);
}

lp__datafile_meta *lp__datafile_meta_ref(lp__datafile_meta *m) {
  if (m != NULL) atomic_fetch_add_explicit((_Atomic int *)&m->refs, 1, memory_order_relaxed);
  return m;
}

void lp__datafile_meta_unref(lp__datafile_meta *m) {
  if (m == NULL) return;
  if (atomic_fetch_sub_explicit((_Atomic int *)&m->refs, 1, memory_order_acq_rel) == 1) meta_free(m);
}

size_t lp__datafile_meta_size_bytes(const lp__datafile_meta *m) { return m ? m->size_bytes : 0; }
uint64_t lp__datafile_meta_num_rows(const lp__datafile_meta *m) { return m->num_rows; }
uint32_t lp__datafile_meta_num_columns(const lp__datafile_meta *m) { return m->n_columns; }

/* Unpack the Any inside a page's Encoding into the 2.1 PageLayout or the 2.0 ArrayEncoding. */
static lp_status page_decode(lp__datafile_meta *m, uint32_t c, size_t pi, const Lance__File__V2__ColumnMetadata__Page *pg,
                             lp__page *out, lp_error *err) {
  const char *path = m->path;
  if (pg->n_buffer_offsets != pg->n_buffer_sizes)
    return lp_error_set(err, LP_ECORRUPT, "%s: column %u page %zu: %zu buffer offsets but %zu sizes", path, c, pi,
                        pg->n_buffer_offsets, pg->n_buffer_sizes);
  out->n_rows = pg->length;
  out->n_bufs = pg->n_buffer_offsets;
  out->buf_off = pg->buffer_offsets;
  out->buf_size = pg->buffer_sizes;
  if (pg->encoding == NULL || pg->encoding->location_case != LANCE__FILE__V2__ENCODING__LOCATION_DIRECT ||
      pg->encoding->direct == NULL)
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: column %u page %zu: page encoding is not a direct encoding",
                        path, c, pi);
  ProtobufCBinaryData raw = pg->encoding->direct->encoding;
  Google__Protobuf__Any *any = google__protobuf__any__unpack(NULL, raw.len, raw.data);
  if (any == NULL)
    return lp_error_set(err, LP_ECORRUPT, "%s: column %u page %zu: page encoding is not a valid Any message", path,
                        c, pi);
  lp_status rc = LP_OK;
  const char *url = any->type_url ? any->type_url : "";
  if (strcmp(url, URL_PAGE21) == 0 && !lp__meta_is_v20(m)) {
    out->layout = lance__encodings21__page_layout__unpack(NULL, any->value.len, any->value.data);
    if (out->layout == NULL)
      rc = lp_error_set(err, LP_ECORRUPT, "%s: column %u page %zu: PageLayout does not parse", path, c, pi);
  } else if (strcmp(url, URL_PAGE20) == 0 && lp__meta_is_v20(m)) {
    out->enc20 = lance__encodings__array_encoding__unpack(NULL, any->value.len, any->value.data);
    if (out->enc20 == NULL)
      rc = lp_error_set(err, LP_ECORRUPT, "%s: column %u page %zu: ArrayEncoding does not parse", path, c, pi);
  } else {
    rc = lp_error_set(err, LP_EUNSUPPORTED, "%s: column %u page %zu: page encoding type \"%.80s\" in a %u.%u file",
                      path, c, pi, url, m->major, m->minor);
  }
  google__protobuf__any__free_unpacked(any, NULL);
  return rc;
}

static lp_status check_range(const char *path, const char *what, uint64_t off, uint64_t len, uint64_t limit,
                             lp_error *err) {
  if (off > limit || len > limit - off)
    return lp_error_set(err, LP_ECORRUPT, "%s: %s [%llu, +%llu) lies outside [0, %llu)", path, what,
                        (unsigned long long)off, (unsigned long long)len, (unsigned long long)limit);
  return LP_OK;
}

/* Keep the schema-level metadata of the FileDescriptor (index files' parameters live there). */
static lp_status keep_schema_meta(lp__datafile_meta *m, const Lance__File__FileDescriptor *fd, lp_error *err) {
  if (fd->schema == NULL || fd->schema->n_metadata == 0) return LP_OK;
  size_t n = fd->schema->n_metadata;
  m->schema_meta = calloc(n, sizeof *m->schema_meta);
  if (m->schema_meta == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", m->path);
  for (size_t i = 0; i < n; i++) {
    const Lance__File__Schema__MetadataEntry *e = fd->schema->metadata[i];
    lp__kv *kv = &m->schema_meta[m->n_schema_meta++];
    kv->key = strdup(e->key ? e->key : "");
    kv->value = malloc(e->value.len + 1);
    if (kv->key == NULL || kv->value == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", m->path);
    if (e->value.len) memcpy(kv->value, e->value.data, e->value.len);
    kv->value[e->value.len] = 0;
    kv->value_len = e->value.len;
    m->size_bytes += strlen(kv->key) + kv->value_len;
  }
  return LP_OK;
}

/* Keep the global buffer table (offsets and sizes), each entry checked to lie inside the body. */
static lp_status keep_global_buffers(lp__datafile_meta *m, const uint8_t *tail, uint64_t tail_off, uint64_t gbo_off,
                                     uint32_t n_gb, uint64_t body, lp_error *err) {
  m->gb_off = calloc(n_gb, sizeof *m->gb_off);
  m->gb_len = calloc(n_gb, sizeof *m->gb_len);
  if (m->gb_off == NULL || m->gb_len == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", m->path);
  m->n_gb = n_gb;
  for (uint32_t i = 0; i < n_gb; i++) {
    const uint8_t *e = tail + (gbo_off - tail_off) + (uint64_t)i * 16;
    m->gb_off[i] = rd64(e);
    m->gb_len[i] = rd64(e + 8);
    LP_TRY(check_range(m->path, "global buffer", m->gb_off[i], m->gb_len[i], body, err));
  }
  return LP_OK;
}

const uint8_t *lp__datafile_meta_schema_value(const lp__datafile_meta *m, const char *key, size_t *len) {
  for (size_t i = 0; i < m->n_schema_meta; i++)
    if (strcmp(m->schema_meta[i].key, key) == 0) {
      *len = m->schema_meta[i].value_len;
      return m->schema_meta[i].value;
    }
  return NULL;
}

bool lp__datafile_meta_global_buffer(const lp__datafile_meta *m, uint32_t i, uint64_t *off, uint64_t *len) {
  if (i >= m->n_gb) return false;
  *off = m->gb_off[i];
  *len = m->gb_len[i];
  return true;
}

/* Parse the file's tail. `tail` holds bytes [tail_off, file_size) of the file. */
static lp_status parse_tail(lp__datafile_meta *m, const uint8_t *tail, uint64_t tail_off, uint64_t file_size,
                            lp_error *err) {
  const char *path = m->path;
  const uint8_t *f = tail + (file_size - FOOTER_BYTES - tail_off);
  uint64_t cm_start = rd64(f), cmo_off = rd64(f + 8), gbo_off = rd64(f + 16);
  uint32_t n_gb = rd32(f + 24), n_cols = rd32(f + 28);
  if (n_cols > MAX_COLUMNS || n_gb > MAX_GLOBAL_BUFFERS)
    return lp_error_set(err, LP_ECORRUPT, "%s: footer claims %u columns and %u global buffers", path, n_cols, n_gb);
  uint64_t body = file_size - FOOTER_BYTES;
  LP_TRY(check_range(path, "column metadata offset table", cmo_off, (uint64_t)n_cols * 16, body, err));
  LP_TRY(check_range(path, "global buffer offset table", gbo_off, (uint64_t)n_gb * 16, body, err));
  if (cm_start > cmo_off || cm_start < tail_off || cmo_off < tail_off || gbo_off < tail_off)
    return lp_error_set(err, LP_ECORRUPT, "%s: metadata start %llu after the offset table at %llu", path,
                        (unsigned long long)cm_start, (unsigned long long)cmo_off);
  if (n_gb < 1) return lp_error_set(err, LP_ECORRUPT, "%s: no global buffers (schema expected)", path);
  /* global buffer 0: the schema and the row count */
  uint64_t gb0 = rd64(tail + (gbo_off - tail_off)), gb0_len = rd64(tail + (gbo_off - tail_off) + 8);
  LP_TRY(check_range(path, "global buffer 0", gb0, gb0_len, body, err));
  if (gb0 < tail_off) return lp_error_set(err, LP_ECORRUPT, "%s: global buffer 0 before the metadata tail", path);
  Lance__File__FileDescriptor *fd = lance__file__file_descriptor__unpack(NULL, gb0_len, tail + (gb0 - tail_off));
  if (fd == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: global buffer 0 is not a FileDescriptor", path);
  m->num_rows = fd->length;
  lp_status krc = keep_schema_meta(m, fd, err);
  lance__file__file_descriptor__free_unpacked(fd, NULL);
  LP_TRY(krc);
  LP_TRY(keep_global_buffers(m, tail, tail_off, gbo_off, n_gb, body, err));

  m->columns = calloc(n_cols ? n_cols : 1, sizeof *m->columns);
  if (m->columns == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  m->n_columns = n_cols;
  m->size_bytes = sizeof *m + n_cols * sizeof *m->columns;
  for (uint32_t c = 0; c < n_cols; c++) {
    const uint8_t *e = tail + (cmo_off - tail_off) + (uint64_t)c * 16;
    uint64_t pos = rd64(e), len = rd64(e + 8);
    LP_TRY(check_range(path, "column metadata", pos, len, body, err));
    if (pos < tail_off) return lp_error_set(err, LP_ECORRUPT, "%s: column %u metadata before the tail", path, c);
    lp__column *col = &m->columns[c];
    col->cm = lance__file__v2__column_metadata__unpack(NULL, len, tail + (pos - tail_off));
    if (col->cm == NULL)
      return lp_error_set(err, LP_ECORRUPT, "%s: column %u metadata (%llu bytes at %llu) does not parse", path, c,
                          (unsigned long long)len, (unsigned long long)pos);
    m->size_bytes += len * 4;
    col->pages = calloc(col->cm->n_pages ? col->cm->n_pages : 1, sizeof *col->pages);
    if (col->pages == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
    col->n_pages = col->cm->n_pages;
    uint64_t row = 0;
    for (size_t p = 0; p < col->n_pages; p++) {
      LP_TRY(page_decode(m, c, p, col->cm->pages[p], &col->pages[p], err));
      col->pages[p].row_start = row;
      if (col->pages[p].n_rows > UINT64_MAX / 2 - row)
        return lp_error_set(err, LP_ECORRUPT, "%s: column %u: page row counts overflow", path, c);
      row += col->pages[p].n_rows;
      for (size_t b = 0; b < col->pages[p].n_bufs; b++)
        LP_TRY(check_range(path, "page buffer", col->pages[p].buf_off[b], col->pages[p].buf_size[b], body, err));
    }
    if (!lp__meta_is_v20(m) && row != m->num_rows)
      return lp_error_set(err, LP_ECORRUPT, "%s: column %u pages hold %llu rows, the file has %llu", path, c,
                          (unsigned long long)row, (unsigned long long)m->num_rows);
  }
  return LP_OK;
}

static lp_status meta_begin(const char *path, const uint8_t footer[FOOTER_BYTES], uint64_t file_size,
                            lp__datafile_meta **out, uint64_t *tail_off, lp_error *err) {
  if (memcmp(footer + 36, "LANC", 4) != 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: no \"LANC\" magic at the end of the file", path);
  uint16_t major, minor;
  memcpy(&major, footer + 32, 2);
  memcpy(&minor, footer + 34, 2);
  if (!((major == 2 && minor >= 1 && minor <= 3) || (major == 0 && minor == 3)))
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: data file version %u.%u (only 2.0 to 2.3 are read)", path, major,
                        minor);
  uint64_t cm_start = rd64(footer), gbo_off = rd64(footer + 16), cmo_off = rd64(footer + 8);
  uint64_t body = file_size - FOOTER_BYTES;
  if (cm_start > body || cmo_off > body || gbo_off > body)
    return lp_error_set(err, LP_ECORRUPT, "%s: footer offsets (%llu, %llu, %llu) beyond the file's %llu bytes", path,
                        (unsigned long long)cm_start, (unsigned long long)cmo_off, (unsigned long long)gbo_off,
                        (unsigned long long)file_size);
  /* The tail we need starts at the smallest of the schema buffer and the metadata; the schema position is
   * in the GBO table, read by the caller together with the tail. Start with the metadata start. */
  *tail_off = cm_start;
  lp__datafile_meta *m = calloc(1, sizeof *m);
  if (m == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  m->refs = 1;
  m->major = major;
  m->minor = minor;
  m->path = strdup(path ? path : "(data file)");
  if (m->path == NULL) {
    free(m);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  }
  *out = m;
  return LP_OK;
}

lp_status lp__datafile_meta_parse(const uint8_t *file, size_t file_size, const char *path,
                                  lp__datafile_meta **out, lp_error *err) {
  *out = NULL;
  if (path == NULL) path = "(data file)";
  if (file_size < FOOTER_BYTES)
    return lp_error_set(err, LP_ECORRUPT, "%s: %zu bytes is too short for a Lance data file", path, file_size);
  lp__datafile_meta *m = NULL;
  uint64_t tail_off = 0;
  LP_TRY(meta_begin(path, file + file_size - FOOTER_BYTES, file_size, &m, &tail_off, err));
  lp_status rc = parse_tail(m, file, 0, file_size, err);
  if (rc != LP_OK) {
    meta_free(m);
    return rc;
  }
  *out = m;
  return LP_OK;
}

static lp_status pread_all(int fd, uint64_t off, uint64_t len, void *dst, const char *path, lp_error *err) {
  uint8_t *p = dst;
  while (len > 0) {
    ssize_t got = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
    if (got < 0) {
      if (errno == EINTR) continue;
      return lp_error_set_errno(err, LP_EIO, errno, "%s: read of %llu bytes at %llu", path, (unsigned long long)len,
                                (unsigned long long)off);
    }
    if (got == 0)
      return lp_error_set(err, LP_ECORRUPT, "%s: file ends before byte %llu", path, (unsigned long long)(off + len));
    p += got;
    off += (uint64_t)got;
    len -= (uint64_t)got;
  }
  return LP_OK;
}

/* A ranged read of exactly len bytes of a store's object into dst. */
static lp_status store_read_all(lp__storage *store, uint64_t off, uint64_t len, void *dst, const char *path,
                                lp_error *err) {
  if (len > (uint64_t)INT64_MAX) return lp_error_set(err, LP_ECORRUPT, "%s: read of %llu bytes", path, (unsigned long long)len);
  uint8_t *bytes = NULL;
  size_t got = 0;
  LP_TRY(lp__storage_read(store, path, off, (int64_t)len, &bytes, &got, err));
  lp_status rc = LP_OK;
  if (got != len) rc = lp_error_set(err, LP_ECORRUPT, "%s: object ends before byte %llu", path, (unsigned long long)(off + len));
  else memcpy(dst, bytes, len);
  free(bytes);
  return rc;
}

lp_status lp__src_read(const lp__datafile_src *src, uint64_t off, uint64_t len, void *dst, lp_error *err) {
  if (src->bytes != NULL) {
    memcpy(dst, src->bytes + off, len); /* ranges were checked against the file size when parsing */
    return LP_OK;
  }
  if (src->store != NULL) return store_read_all(src->store, off, len, dst, src->path ? src->path : src->meta->path, err);
  return pread_all(src->fd, off, len, dst, src->path ? src->path : src->meta->path, err);
}

/* Where the metadata reader gets its bytes: a local file (fd) or a store's object. */
typedef struct meta_source {
  int fd;
  lp__storage *store;
} meta_source;

static lp_status source_read(const meta_source *s, uint64_t off, uint64_t len, void *dst, const char *path, lp_error *err) {
  return s->store ? store_read_all(s->store, off, len, dst, path, err) : pread_all(s->fd, off, len, dst, path, err);
}

static lp_status meta_read(const meta_source *s, uint64_t file_size, const char *path, lp__datafile_meta **out,
                           lp_error *err) {
  *out = NULL;
  if (path == NULL) path = "(data file)";
  if (file_size < FOOTER_BYTES)
    return lp_error_set(err, LP_ECORRUPT, "%s: %llu bytes is too short for a Lance data file", path,
                        (unsigned long long)file_size);
  uint8_t footer[FOOTER_BYTES];
  LP_TRY(source_read(s, file_size - FOOTER_BYTES, FOOTER_BYTES, footer, path, err));
  lp__datafile_meta *m = NULL;
  uint64_t tail_off = 0;
  LP_TRY(meta_begin(path, footer, file_size, &m, &tail_off, err));
  /* the schema buffer normally sits just before the column metadata: include it in the tail */
  uint64_t gbo_off = rd64(footer + 16);
  uint8_t gbo[16];
  lp_status rc = source_read(s, gbo_off, 16, gbo, path, err);
  if (rc == LP_OK && rd64(gbo) < tail_off) tail_off = rd64(gbo);
  uint64_t tail_len = file_size - tail_off;
  uint8_t *tail = NULL;
  if (rc == LP_OK && tail_len > MAX_META_BYTES)
    rc = lp_error_set(err, LP_ECORRUPT, "%s: %llu bytes of metadata is too much", path, (unsigned long long)tail_len);
  if (rc == LP_OK) {
    tail = malloc(tail_len);
    if (tail == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  }
  if (rc == LP_OK) rc = source_read(s, tail_off, tail_len, tail, path, err);
  if (rc == LP_OK) rc = parse_tail(m, tail, tail_off, file_size, err);
  free(tail);
  if (rc != LP_OK) {
    meta_free(m);
    return rc;
  }
  *out = m;
  return LP_OK;
}

lp_status lp__datafile_meta_read(int fd, uint64_t file_size, const char *path, lp__datafile_meta **out,
                                 lp_error *err) {
  meta_source s = {fd, NULL};
  return meta_read(&s, file_size, path, out, err);
}

lp_status lp__datafile_meta_read_store(lp__storage *store, const char *path, uint64_t file_size,
                                       lp__datafile_meta **out, lp_error *err) {
  meta_source s = {-1, store};
  return meta_read(&s, file_size, path, out, err);
}

lp_status lp__datafile_global_buffer_read(const lp__datafile_src *src, uint32_t i, size_t max_bytes, uint8_t **out,
                                          size_t *out_len, lp_error *err) {
  *out = NULL;
  *out_len = 0;
  uint64_t off, len;
  if (!lp__datafile_meta_global_buffer(src->meta, i, &off, &len))
    return lp_error_set(err, LP_ECORRUPT, "%s: no global buffer %u", src->path, i);
  if (len > max_bytes) return lp_error_set(err, LP_ECORRUPT, "%s: global buffer %u is too large", src->path, i);
  uint8_t *b = malloc(len ? len : 1);
  if (b == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", src->path);
  lp_status rc = src->bytes ? LP_OK : lp__src_read(src, off, len, b, err);
  if (src->bytes) memcpy(b, src->bytes + off, len); /* inside the file: checked when the metadata was read */
  if (rc != LP_OK) {
    free(b);
    return rc;
  }
  *out = b;
  *out_len = (size_t)len;
  return LP_OK;
}
