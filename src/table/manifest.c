/* Manifest files: the section layout (u32-length-prefixed protobuf sections and a 16-byte footer) and the
 * conversion of the protoc-c decoded lance.table.Manifest into the engine's own immutable structs, so
 * nothing outside this file depends on the generated code. */
#include "table/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "table.pb-c.h"

#define FOOTER_BYTES 16
#define MAX_FIELDS 100000 /* schemas wider than this are refused */
#define MAX_TIMESTAMP_S ((int64_t)1 << 42) /* seconds: far beyond any real date, and * 1e6 fits int64 */

static uint32_t ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

lp__manifest *lp__manifest_ref(lp__manifest *m) {
  if (m) __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
  return m;
}

static void manifest_free(lp__manifest *m) {
  lp__schema_reset(&m->schema);
  for (size_t i = 0; i < m->n_fragments; i++) {
    lp__fragment *f = &m->fragments[i];
    for (size_t j = 0; j < f->n_files; j++) {
      free(f->files[j].path);
      free(f->files[j].fields);
      free(f->files[j].column_indices);
    }
    free(f->files);
    free(f->row_ids);
  }
  free(m->fragments);
  free(m->index_section);
  for (size_t i = 0; i < m->n_config; i++) {
    free(m->config_keys[i]);
    free(m->config_values[i]);
  }
  free(m->config_keys);
  free(m->config_values);
  free(m);
}

const char *lp__manifest_config(const lp__manifest *m, const char *key) {
  for (size_t i = 0; i < m->n_config; i++)
    if (strcmp(m->config_keys[i], key) == 0) return m->config_values[i];
  return NULL;
}


void lp__manifest_unref(lp__manifest *m) {
  if (m == NULL || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  manifest_free(m);
}

uint64_t lp__manifest_live_rows(const lp__manifest *m) {
  uint64_t n = 0;
  for (size_t i = 0; i < m->n_fragments; i++) n += m->fragments[i].physical_rows - m->fragments[i].num_deleted_rows;
  return n;
}

/* ---- conversion from the generated structs -------------------------------------------------------- */

static lp_status oom(const char *path, lp_error *err) {
  return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
}

#define OWN_CONFIG_PREFIX "lancepool."

/* Keep the config entries that are lancepool's own. */
static lp_status keep_own_config(const Lance__Table__Manifest *pm, const char *path, lp__manifest *m, lp_error *err) {
  if (pm->n_config == 0) return LP_OK;
  m->config_keys = calloc(pm->n_config, sizeof *m->config_keys);
  m->config_values = calloc(pm->n_config, sizeof *m->config_values);
  if (m->config_keys == NULL || m->config_values == NULL) return oom(path, err);
  for (size_t i = 0; i < pm->n_config; i++) {
    const char *k = pm->config[i]->key, *v = pm->config[i]->value;
    if (k == NULL || v == NULL || strncmp(k, OWN_CONFIG_PREFIX, strlen(OWN_CONFIG_PREFIX)) != 0) continue;
    m->config_keys[m->n_config] = strdup(k);
    m->config_values[m->n_config] = strdup(v);
    m->n_config++;
    if (m->config_keys[m->n_config - 1] == NULL || m->config_values[m->n_config - 1] == NULL) return oom(path, err);
    m->size_bytes += strlen(k) + strlen(v) + 2;
  }
  return LP_OK;
}

static lp_status copy_kvs(const char *key_of_each[], const ProtobufCBinaryData *val_of_each, size_t n,
                          lp__kv **out, size_t *out_n) {
  *out = NULL;
  *out_n = 0;
  if (n == 0) return LP_OK;
  lp__kv *kv = calloc(n, sizeof *kv);
  if (kv == NULL) return LP_ENOMEM;
  *out = kv;
  for (size_t i = 0; i < n; i++) {
    kv[i].key = strdup(key_of_each[i] ? key_of_each[i] : "");
    kv[i].value = malloc(val_of_each[i].len ? val_of_each[i].len : 1);
    if (kv[i].key == NULL || kv[i].value == NULL) {
      *out_n = i + 1;
      return LP_ENOMEM;
    }
    if (val_of_each[i].len) memcpy(kv[i].value, val_of_each[i].data, val_of_each[i].len);
    kv[i].value_len = val_of_each[i].len;
    *out_n = i + 1;
  }
  return LP_OK;
}

/* Copy a map<string, bytes> (repeated entries with key and value). */
#define COPY_MAP(entries, n, out, out_n, rc)                                  \
  do {                                                                        \
    const char **keys_ = calloc((n) ? (n) : 1, sizeof *keys_);                \
    ProtobufCBinaryData *vals_ = calloc((n) ? (n) : 1, sizeof *vals_);        \
    if (keys_ == NULL || vals_ == NULL) {                                     \
      (rc) = LP_ENOMEM;                                                       \
    } else {                                                                  \
      for (size_t i_ = 0; i_ < (n); i_++) {                                   \
        keys_[i_] = (entries)[i_]->key;                                       \
        vals_[i_] = (entries)[i_]->value;                                     \
      }                                                                       \
      (rc) = copy_kvs(keys_, vals_, (n), (out), (out_n));                     \
    }                                                                         \
    free(keys_);                                                              \
    free(vals_);                                                              \
  } while (0)

static lp_status convert_schema(const Lance__Table__Manifest *pm, const char *path, lp__schema *out,
                                lp_error *err) {
  size_t n = pm->n_fields;
  if (n > MAX_FIELDS) return lp_error_set(err, LP_ECORRUPT, "%s: %zu schema fields, more than %d", path, n, MAX_FIELDS);
  lp__field *flat = calloc(n ? n : 1, sizeof *flat);
  if (flat == NULL) return oom(path, err);
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n && rc == LP_OK; i++) {
    const Lance__File__Field *pf = pm->fields[i];
    flat[i].name = strdup(pf->name ? pf->name : "");
    flat[i].logical_type = strdup(pf->logical_type ? pf->logical_type : "");
    flat[i].id = pf->id;
    flat[i].parent_id = pf->parent_id;
    flat[i].nullable = pf->nullable;
    if (flat[i].name == NULL || flat[i].logical_type == NULL) rc = LP_ENOMEM;
    if (rc == LP_OK) COPY_MAP(pf->metadata, pf->n_metadata, &flat[i].metadata, &flat[i].n_metadata, rc);
  }
  if (rc != LP_OK) {
    for (size_t i = 0; i < n; i++) lp__field_reset(&flat[i]);
    free(flat);
    return oom(path, err);
  }
  rc = lp__schema_from_flat(flat, n, path, out, err);
  free(flat);
  if (rc != LP_OK) return rc;
  COPY_MAP(pm->schema_metadata, pm->n_schema_metadata, &out->metadata, &out->n_metadata, rc);
  if (rc != LP_OK) {
    lp__schema_reset(out);
    return oom(path, err);
  }
  return LP_OK;
}

/* A data file path must be one plain name inside data/: no directory parts, so a manifest cannot point
 * the reader at files outside the table. */
static bool plain_name(const char *s) {
  return s != NULL && s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static lp_status convert_file(const Lance__Table__DataFile *pf, uint64_t frag_id, const char *path,
                              lp__data_file *out, lp_error *err) {
  if (!plain_name(pf->path))
    return lp_error_set(err, LP_ECORRUPT, "%s: fragment %" PRIu64 ": data file path \"%s\" is not a file name", path,
                        frag_id, pf->path ? pf->path : "");
  if (pf->n_column_indices != pf->n_fields)
    return lp_error_set(err, LP_ECORRUPT, "%s: fragment %" PRIu64 ": data file %s lists %zu fields but %zu columns",
                        path, frag_id, pf->path, pf->n_fields, pf->n_column_indices);
  if (pf->file_major_version != 2 || pf->file_minor_version > 3)
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: fragment %" PRIu64 ": data file %s has format version %u.%u "
                        "(supported: 2.0 to 2.3)", path, frag_id, pf->path, pf->file_major_version,
                        pf->file_minor_version);
  out->path = strdup(pf->path);
  size_t n = pf->n_fields;
  out->fields = malloc((n ? n : 1) * sizeof(int32_t));
  out->column_indices = malloc((n ? n : 1) * sizeof(int32_t));
  if (out->path == NULL || out->fields == NULL || out->column_indices == NULL) return oom(path, err);
  if (n) {
    memcpy(out->fields, pf->fields, n * sizeof(int32_t));
    memcpy(out->column_indices, pf->column_indices, n * sizeof(int32_t));
  }
  out->n_fields = n;
  out->major = pf->file_major_version;
  out->minor = pf->file_minor_version;
  out->size_bytes = pf->file_size_bytes;
  return LP_OK;
}

static lp_status convert_fragment(const Lance__Table__DataFragment *pf, const char *path, lp__fragment *out,
                                  lp_error *err) {
  out->id = pf->id;
  out->physical_rows = pf->physical_rows;
  if (pf->physical_rows > UINT32_MAX + 1ull)
    return lp_error_set(err, LP_ECORRUPT, "%s: fragment %" PRIu64 " claims %" PRIu64 " rows (at most 2^32)", path,
                        pf->id, pf->physical_rows);
  if (pf->deletion_file != NULL) {
    const Lance__Table__DeletionFile *d = pf->deletion_file;
    if (d->file_type != 0 && d->file_type != 1)
      return lp_error_set(err, LP_EUNSUPPORTED, "%s: fragment %" PRIu64 ": unknown deletion file type %d", path, pf->id,
                          (int)d->file_type);
    if (d->num_deleted_rows > pf->physical_rows)
      return lp_error_set(err, LP_ECORRUPT, "%s: fragment %" PRIu64 ": %" PRIu64 " deleted rows of %" PRIu64, path,
                          pf->id, d->num_deleted_rows, pf->physical_rows);
    out->has_deletion = true;
    out->deletion_kind = d->file_type == 1 ? LP__DELETION_BITMAP : LP__DELETION_ARROW;
    out->deletion_read_version = d->read_version;
    out->deletion_id = d->id;
    out->num_deleted_rows = d->num_deleted_rows;
  }
  if (pf->row_id_sequence_case == LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS) {
    out->row_ids = malloc(pf->inline_row_ids.len ? pf->inline_row_ids.len : 1);
    if (out->row_ids == NULL) return oom(path, err);
    if (pf->inline_row_ids.len) memcpy(out->row_ids, pf->inline_row_ids.data, pf->inline_row_ids.len);
    out->row_ids_len = pf->inline_row_ids.len;
  }
  out->row_ids_external = pf->row_id_sequence_case == LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS;
  if (pf->n_files == 0) return LP_OK;
  out->files = calloc(pf->n_files, sizeof *out->files);
  if (out->files == NULL) return oom(path, err);
  for (size_t i = 0; i < pf->n_files; i++) {
    lp_status rc = convert_file(pf->files[i], pf->id, path, &out->files[out->n_files], err);
    out->n_files++;
    if (rc != LP_OK) return rc;
  }
  return LP_OK;
}

static size_t estimate_size(const lp__manifest *m) {
  size_t s = sizeof *m + m->n_fragments * sizeof(lp__fragment);
  for (size_t i = 0; i < m->n_fragments; i++)
    for (size_t j = 0; j < m->fragments[i].n_files; j++)
      s += sizeof(lp__data_file) + 64 + m->fragments[i].files[j].n_fields * 8;
  for (size_t i = 0; i < m->n_fragments; i++) s += m->fragments[i].row_ids_len;
  s += m->schema.n_fields * (sizeof(lp__field) + 64);
  return s;
}

/* The data storage versions whose files the format layer decodes (2.2 and 2.3 are 2.1's layout with more
 * encodings; their files' footers say 2.2 and 2.3). */
static bool storage_version_readable(const char *v) {
  return strcmp(v, "2.0") == 0 || strcmp(v, "2.1") == 0 || strcmp(v, "2.2") == 0 || strcmp(v, "2.3") == 0;
}

static lp_status check_flags(const Lance__Table__Manifest *pm, const char *path, lp_error *err) {
  if (pm->reader_feature_flags & ~LP__KNOWN_READER_FLAGS)
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: unknown reader feature flags 0x%" PRIx64 " (flags 0x%" PRIx64
                        "): this table needs a newer reader", path, (uint64_t)(pm->reader_feature_flags & ~LP__KNOWN_READER_FLAGS),
                        pm->reader_feature_flags);
  if (pm->n_base_paths > 0)
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: table uses base paths (files outside the table), not supported",
                        path);
  if (pm->data_format != NULL && pm->data_format->version != NULL && pm->data_format->version[0] != '\0' &&
      !storage_version_readable(pm->data_format->version))
    return lp_error_set(err, LP_EUNSUPPORTED,
                        "%s: the table uses data storage version %s%s (data format %s %s), which lancepool neither reads "
                        "nor writes (it reads 2.0, 2.1, 2.2 and 2.3)",
                        path, pm->data_format->version, pm->data_format->version[0] == '0' ? " (legacy)" : "",
                        pm->data_format->file_format ? pm->data_format->file_format : "", pm->data_format->version);
  return LP_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static lp_status check_unique_ids(const lp__manifest *m, const char *path, lp_error *err) {
  if (m->n_fragments < 2) return LP_OK;
  uint64_t *ids = malloc(m->n_fragments * sizeof *ids);
  if (ids == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  for (size_t i = 0; i < m->n_fragments; i++) ids[i] = m->fragments[i].id;
  qsort(ids, m->n_fragments, sizeof *ids, cmp_u64);
  lp_status rc = LP_OK;
  for (size_t i = 1; i < m->n_fragments && rc == LP_OK; i++)
    if (ids[i] == ids[i - 1])
      rc = lp_error_set(err, LP_ECORRUPT, "%s: fragment id %" PRIu64 " appears twice", path, ids[i]);
  free(ids);
  return rc;
}

static lp_status convert_manifest(const Lance__Table__Manifest *pm, const char *path, lp__manifest *m,
                                  lp_error *err) {
  LP_TRY(check_flags(pm, path, err));
  m->version = pm->version;
  m->reader_flags = pm->reader_feature_flags;
  m->has_index_section = pm->opt_index_section_case == LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION_INDEX_SECTION;
  m->writer_flags = pm->writer_feature_flags;
  if (pm->timestamp != NULL) {
    int64_t sec = pm->timestamp->seconds;
    int32_t ns = pm->timestamp->nanos;
    if (sec > MAX_TIMESTAMP_S || sec < -MAX_TIMESTAMP_S || ns < 0 || ns >= 1000000000)
      return lp_error_set(err, LP_ECORRUPT, "%s: commit timestamp %" PRId64 " s %d ns is out of range", path,
                          sec, (int)ns);
    m->timestamp_us = sec * 1000000 + ns / 1000;
  }
  if (pm->data_format != NULL && pm->data_format->version != NULL)
    snprintf(m->data_format, sizeof m->data_format, "%s", pm->data_format->version);
  LP_TRY(convert_schema(pm, path, &m->schema, err));
  if (pm->n_fragments > 0) {
    m->fragments = calloc(pm->n_fragments, sizeof *m->fragments);
    if (m->fragments == NULL) return oom(path, err);
  }
  bool any_deletion = false;
  for (size_t i = 0; i < pm->n_fragments; i++) {
    lp_status rc = convert_fragment(pm->fragments[i], path, &m->fragments[m->n_fragments], err);
    m->n_fragments++;
    if (rc != LP_OK) return rc;
    any_deletion |= m->fragments[i].has_deletion;
  }
  /* Fragment ids are unique but not necessarily ascending: a compaction (Rewrite) puts the new fragment,
   * with a new, higher id, where the fragments it replaces were, so that row order is kept. */
  LP_TRY(check_unique_ids(m, path, err));
  if (any_deletion && !(m->reader_flags & 1))
    return lp_error_set(err, LP_ECORRUPT, "%s: fragments have deletion files but reader flag 1 is not set", path);
  m->size_bytes = estimate_size(m);
  return keep_own_config(pm, path, m, err);
}

/* Copy the [u32 len][IndexSection] section at file offset `at` (it must end before `end`). */
static lp_status keep_index_section(const uint8_t *bytes, size_t end, uint64_t at, const char *path, lp__manifest *m,
                                    lp_error *err) {
  if (at > end || end - at < 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: index section at %" PRIu64 " lies outside the manifest", path, at);
  uint32_t len = ld32(bytes + at);
  if (len > end - at - 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: index section at %" PRIu64 " has length %u, past the manifest", path, at, len);
  if ((m->index_section = malloc(len ? len : 1)) == NULL) return oom(path, err);
  memcpy(m->index_section, bytes + at + 4, len);
  m->index_section_len = len;
  m->size_bytes += len;
  return LP_OK;
}

lp_status lp__manifest_decode(const uint8_t *bytes, size_t size, const char *path, lp__manifest **out,
                              lp_error *err) {
  *out = NULL;
  if (size < FOOTER_BYTES + 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: %zu bytes, too short for a manifest (at least %d)", path, size,
                        FOOTER_BYTES + 4);
  const uint8_t *foot = bytes + size - FOOTER_BYTES;
  if (memcmp(foot + 12, "LANC", 4) != 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: no LANC magic at the end of the manifest", path);
  uint64_t pos = ld64(foot);
  if (pos > size - FOOTER_BYTES - 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: manifest position %" PRIu64 " lies outside the %zu-byte file", path,
                        pos, size);
  uint32_t len = ld32(bytes + pos);
  if (pos + 4 + len != size - FOOTER_BYTES)
    return lp_error_set(err, LP_ECORRUPT, "%s: manifest at %" PRIu64 " has length %u, but the footer starts at %zu",
                        path, pos, len, size - FOOTER_BYTES);
  Lance__Table__Manifest *pm = lance__table__manifest__unpack(NULL, len, bytes + pos + 4);
  if (pm == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: manifest protobuf (%u bytes) does not decode", path, len);
  lp__manifest *m = calloc(1, sizeof *m);
  if (m == NULL) {
    lance__table__manifest__free_unpacked(pm, NULL);
    return oom(path, err);
  }
  m->refs = 1;
  lp_status rc = convert_manifest(pm, path, m, err);
  if (rc == LP_OK && pm->opt_index_section_case == LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION_INDEX_SECTION)
    rc = keep_index_section(bytes, size - FOOTER_BYTES, pm->index_section, path, m, err);
  lance__table__manifest__free_unpacked(pm, NULL);
  if (rc != LP_OK) {
    manifest_free(m);
    return rc;
  }
  *out = m;
  return LP_OK;
}

lp_status lp__manifest_read(const char *path, lp__manifest **out, lp_error *err) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  *out = NULL;
  LP_TRY(lp__read_file(path, LP__MAX_META_FILE_BYTES, &bytes, &size, err));
  lp_status rc = lp__manifest_decode(bytes, size, path, out, err);
  free(bytes);
  return rc;
}
