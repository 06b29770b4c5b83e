/* The index section of a manifest (see indices.h): the protoc-c decoded lance.table.IndexSection turned into
 * the engine's own structs, so nothing outside this file depends on the generated code. */
#include "table/indices.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/deletion.h"
#include "io/io.h"
#include "table.pb-c.h"
#include "table/table.h"
#include "table/versions.h"
#include "vector_index.pb-c.h"

#define FOOTER_BYTES 16

static uint32_t ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

static void meta_reset(lp__index_meta *m) {
  free(m->name);
  free(m->fields);
  free(m->fragments);
  free(m->details_type);
  free(m->details);
  memset(m, 0, sizeof *m);
}

void lp__index_list_reset(lp__index_list *l) {
  if (l == NULL) return;
  for (size_t i = 0; i < l->n; i++) meta_reset(&l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

static void uuid_format(const uint8_t *b, char out[37]) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = '\0';
}

/* The fragment bitmap shares the portable roaring format of `.bin` deletion files, so the deletion-file
 * decoder (which checks sizes and order) reads it. */
static lp_status bitmap_decode(const ProtobufCBinaryData *b, const char *what, lp__index_meta *m, lp_error *err) {
  lp__deletion_vec *v = NULL;
  LP_TRY(lp__deletion_parse(b->data, b->len, LP__DELETION_BITMAP, what, &v, err));
  m->fragments = malloc((v->n_rows ? v->n_rows : 1) * sizeof *m->fragments);
  if (m->fragments == NULL) {
    lp__deletion_vec_unref(v);
    return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  }
  if (v->n_rows) memcpy(m->fragments, v->rows, v->n_rows * sizeof *m->fragments);
  m->n_fragments = v->n_rows;
  m->has_fragment_bitmap = true;
  lp__deletion_vec_unref(v);
  return LP_OK;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static lp_status meta_convert(const Lance__Table__IndexMetadata *pm, const char *path, size_t i, lp__index_meta *m,
                              lp_error *err) {
  char what[4200];
  snprintf(what, sizeof what, "%s: index %zu", path, i);
  if (pm->uuid == NULL || pm->uuid->uuid.len != 16)
    return lp_error_set(err, LP_ECORRUPT, "%s has no 16-byte uuid", what);
  uuid_format(pm->uuid->uuid.data, m->uuid);
  m->name = dup_or_empty(pm->name);
  m->details_type = dup_or_empty(pm->index_details ? pm->index_details->type_url : NULL);
  if (m->name == NULL || m->details_type == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  if (pm->index_details && pm->index_details->value.len) {
    m->details = malloc(pm->index_details->value.len);
    if (m->details == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
    memcpy(m->details, pm->index_details->value.data, pm->index_details->value.len);
    m->details_len = pm->index_details->value.len;
  }
  if (pm->n_fields) {
    m->fields = malloc(pm->n_fields * sizeof *m->fields);
    if (m->fields == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
    memcpy(m->fields, pm->fields, pm->n_fields * sizeof *m->fields);
    m->n_fields = pm->n_fields;
  }
  m->dataset_version = pm->dataset_version;
  m->has_index_version = pm->opt_index_version_case == LANCE__TABLE__INDEX_METADATA__OPT_INDEX_VERSION_INDEX_VERSION;
  m->index_version = pm->index_version;
  if (pm->fragment_bitmap.len == 0) return LP_OK; /* absent (proto3 bytes): no bitmap */
  char bm[4300];
  snprintf(bm, sizeof bm, "%s (%s) fragment bitmap", what, m->name);
  return bitmap_decode(&pm->fragment_bitmap, bm, m, err);
}

lp_status lp__index_section_decode(const uint8_t *bytes, size_t len, const char *path, lp__index_list *out,
                                   lp_error *err) {
  memset(out, 0, sizeof *out);
  Lance__Table__IndexSection *s = lance__table__index_section__unpack(NULL, len, bytes);
  if (s == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: index section (%zu bytes) does not decode", path, len);
  lp_status rc = LP_OK;
  out->v = calloc(s->n_indices + 1, sizeof *out->v);
  if (out->v == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  for (size_t i = 0; rc == LP_OK && i < s->n_indices; i++) {
    out->n++;
    rc = meta_convert(s->indices[i], path, i, &out->v[i], err);
  }
  lance__table__index_section__free_unpacked(s, NULL);
  if (rc != LP_OK) lp__index_list_reset(out);
  return rc;
}

/* [u32 len][payload] at `off`: the payload, checked to lie inside the file before `end`. */
static lp_status section_at(const uint8_t *bytes, size_t end, uint64_t off, const char *path, const uint8_t **out,
                            size_t *out_len, lp_error *err) {
  if (off > end || end - off < 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: index section offset %" PRIu64 " outside the file", path, off);
  uint32_t n = ld32(bytes + off);
  if (n > end - off - 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: index section at %" PRIu64 " overruns the file", path, off);
  *out = bytes + off + 4;
  *out_len = n;
  return LP_OK;
}

lp_status lp__index_list_from_manifest_file(const uint8_t *bytes, size_t size, const char *path, lp__index_list *out,
                                            lp_error *err) {
  memset(out, 0, sizeof *out);
  if (size < FOOTER_BYTES + 4 || memcmp(bytes + size - 4, "LANC", 4) != 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: not a Lance manifest (no LANC footer)", path);
  size_t end = size - FOOTER_BYTES;
  const uint8_t *msg = NULL; /* set by section_at; initialised for GCC's -O3 flow analysis */
  size_t msg_len = 0;
  LP_TRY(section_at(bytes, end, ld64(bytes + end), path, &msg, &msg_len, err));
  Lance__Table__Manifest *pm = lance__table__manifest__unpack(NULL, msg_len, msg);
  if (pm == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: the Manifest message does not decode", path);
  bool has = pm->opt_index_section_case == LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION_INDEX_SECTION;
  uint64_t off = pm->index_section;
  lance__table__manifest__free_unpacked(pm, NULL);
  if (!has) return LP_OK;
  const uint8_t *sec = NULL;
  size_t sec_len = 0;
  LP_TRY(section_at(bytes, end, off, path, &sec, &sec_len, err));
  return lp__index_section_decode(sec, sec_len, path, out, err);
}

lp_status lp__index_list_read(const char *table_dir, uint64_t version, lp__index_list *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  char *path = NULL;
  LP_TRY(lp__version_manifest_path(table_dir, version, &path, err));
  uint8_t *bytes = NULL;
  size_t size = 0;
  lp_status rc = lp__read_file(path, LP__MAX_META_FILE_BYTES, &bytes, &size, err);
  if (rc == LP_OK) rc = lp__index_list_from_manifest_file(bytes, size, path, out, err);
  free(bytes);
  free(path);
  return rc;
}

bool lp__index_covers(const lp__index_meta *m, uint64_t fragment_id) {
  if (!m->has_fragment_bitmap) return true;
  if (fragment_id > UINT32_MAX) return false;
  size_t lo = 0, hi = m->n_fragments;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->fragments[mid] < fragment_id) lo = mid + 1;
    else hi = mid;
  }
  return lo < m->n_fragments && m->fragments[lo] == fragment_id;
}

bool lp__index_list_covers(const lp__index_list *l, uint64_t fragment_id) {
  for (size_t i = 0; i < l->n; i++)
    if (lp__index_covers(&l->v[i], fragment_id)) return true;
  return false;
}

/* ---- the table's indexes as LanceDB lists them ---------------------------------------------------- */

static const char *suffix_after_slash(const char *url) {
  const char *slash = strrchr(url, '/');
  return slash ? slash + 1 : url;
}

static const char *vector_type_name(const lp__index_meta *m) {
  Lance__Index__Pb__VectorIndexDetails *d =
      lance__index__pb__vector_index_details__unpack(NULL, m->details_len, m->details);
  if (d == NULL) return "Unknown";
  bool hnsw = d->hnsw_index_config != NULL;
  const char *name = "Unknown"; /* empty details: LanceDB reads the type from index.idx, lancepool does not yet */
  switch (d->compression_case) {
  case LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_PQ: name = hnsw ? "IvfHnswPq" : "IvfPq"; break;
  case LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_SQ: name = hnsw ? "IvfHnswSq" : "IvfSq"; break;
  case LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_RQ: name = "IvfRq"; break;
  case LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_FLAT: name = hnsw ? "IvfHnswFlat" : "IvfFlat"; break;
  default: break;
  }
  lance__index__pb__vector_index_details__free_unpacked(d, NULL);
  return name;
}

/* LanceDB's name for the type of an index entry, from its details message. */
static const char *type_name(const lp__index_meta *m) {
  static const struct {
    const char *details, *name;
  } scalar[] = {
      {"lance.table.BTreeIndexDetails", "BTree"},
      {"lance.table.BitmapIndexDetails", "Bitmap"},
      {"lance.table.LabelListIndexDetails", "LabelList"},
      {"lance.table.InvertedIndexDetails", "FTS"},
  };
  const char *details = suffix_after_slash(m->details_type);
  if (strcmp(details, "lance.index.pb.VectorIndexDetails") == 0) return vector_type_name(m);
  for (size_t i = 0; i < sizeof scalar / sizeof *scalar; i++)
    if (strcmp(details, scalar[i].details) == 0) return scalar[i].name;
  return "Unknown";
}

/* LanceDB's own bookkeeping indexes (fragment reuse, memory WAL) are not user indexes. */
static bool is_system_index(const lp__index_meta *m) { return strncmp(m->name, "__lance_", 8) == 0; }

/* The dotted path of field `id` below `fields` into buf; false when absent. */
static bool field_path(const lp__field *fields, size_t n, int32_t id, char *buf, size_t cap) {
  for (size_t i = 0; i < n; i++) {
    const lp__field *f = &fields[i];
    if (f->id == id) {
      snprintf(buf, cap, "%s", f->name);
      return true;
    }
    char below[512];
    if (field_path(f->children, f->n_children, id, below, sizeof below)) {
      int w = snprintf(buf, cap, "%s.%s", f->name, below);
      return w >= 0 && (size_t)w < cap; /* a path too long for buf is not returned cut short */
    }
  }
  return false;
}

static char *columns_text(const lp__schema *s, const lp__index_meta *m) {
  char out[2048] = "";
  size_t len = 0;
  for (size_t i = 0; i < m->n_fields && len < sizeof out; i++) {
    char path[600];
    if (!field_path(s->fields, s->n_fields, m->fields[i], path, sizeof path))
      snprintf(path, sizeof path, "<field %" PRId32 ">", m->fields[i]);
    len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "," : "", path);
  }
  return strdup(out);
}

/* Is fragment `id` covered by any entry named `name`? */
static bool name_covers(const lp__index_list *l, const char *name, uint64_t id) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0 && lp__index_covers(&l->v[i], id)) return true;
  return false;
}

static void summarize(const lp__manifest *man, const lp__index_list *l, const lp__index_meta *first,
                      lp_index_info *out) {
  for (size_t i = 0; i < l->n; i++) out->n_deltas += strcmp(l->v[i].name, first->name) == 0;
  for (size_t i = 0; i < man->n_fragments; i++) {
    const lp__fragment *f = &man->fragments[i];
    uint64_t live = f->physical_rows - (f->has_deletion ? f->num_deleted_rows : 0);
    if (name_covers(l, first->name, f->id)) out->indexed_rows += live;
    else out->unindexed_rows += live;
  }
}

static int cmp_info(const void *a, const void *b) {
  return strcmp(((const lp_index_info *)a)->name, ((const lp_index_info *)b)->name);
}

void lp_index_info_free(lp_index_info *v, size_t n) {
  if (v == NULL) return;
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].type);
    free(v[i].columns);
  }
  free(v);
}

/* The first entry of each name: out gets one lp_index_info per user index. */
static lp_status infos_build(const lp__manifest *man, const lp__index_list *l, lp_index_info **out, size_t *out_n,
                             lp_error *err) {
  lp_index_info *v = calloc(l->n + 1, sizeof *v);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++) {
    const lp__index_meta *m = &l->v[i];
    bool seen = is_system_index(m);
    for (size_t j = 0; j < n && !seen; j++) seen = strcmp(v[j].name, m->name) == 0;
    if (seen) continue;
    lp_index_info *info = &v[n++];
    info->name = strdup(m->name);
    info->type = strdup(type_name(m));
    info->columns = columns_text(&man->schema, m);
    if (info->name == NULL || info->type == NULL || info->columns == NULL) {
      lp_index_info_free(v, n);
      return lp_error_set(err, LP_ENOMEM, "out of memory");
    }
    summarize(man, l, m, info);
  }
  if (n > 1) qsort(v, n, sizeof *v, cmp_info);
  *out = v;
  *out_n = n;
  return LP_OK;
}

lp_status lp_table_indices(lp_table *t, lp_index_info **out, size_t *out_n, lp_error *err) {
  if (out == NULL || out_n == NULL) return lp_error_set(err, LP_EINVAL, "lp_table_indices: out and out_n are required");
  *out = NULL;
  *out_n = 0;
  if (t == NULL) return lp_error_set(err, LP_EINVAL, "lp_table_indices: no table");
  lp__index_list l;
  LP_TRY(lp__index_list_read(t->dir, t->m->version, &l, err));
  lp_status rc = infos_build(t->m, &l, out, out_n, err);
  lp__index_list_reset(&l);
  if (rc != LP_OK) lp_error_wrap(err, "indices of %s: ", t->name);
  return rc;
}
