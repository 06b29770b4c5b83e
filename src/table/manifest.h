/* Decoded manifests: one version of a table (schema, fragments, data files, deletion files). Internal.
 *
 * A manifest is immutable once decoded and reference counted, so the session cache can share it. */
#ifndef LP_TABLE_MANIFEST_H
#define LP_TABLE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/deletion.h"
#include "format/schema.h"
#include "lancepool/error.h"

/* Reader feature flags this engine understands: deletion files (1), stable row ids (2, which a reader
 * that exposes no row ids may ignore), the legacy v2 marker (4), table config (8), base paths (16, refused
 * separately below when actually used) and disabled transaction files (32). */
#define LP__KNOWN_READER_FLAGS 0x3Full

typedef struct lp__data_file {
  char *path;              /* relative to the table's data/ directory */
  int32_t *fields;         /* leaf field ids stored in the file (-2 = tombstone) */
  int32_t *column_indices; /* column of each field inside the file; same length */
  size_t n_fields;
  uint32_t major, minor;   /* data file format version */
  uint64_t size_bytes;     /* 0 = unknown */
} lp__data_file;

typedef struct lp__fragment {
  uint64_t id;
  lp__data_file *files;
  size_t n_files;
  uint64_t physical_rows;          /* rows in the data files, deleted ones included */
  bool has_deletion;
  lp__deletion_kind deletion_kind; /* when has_deletion */
  uint64_t deletion_read_version;
  uint64_t deletion_id;
  uint64_t num_deleted_rows;
  uint8_t *row_ids;                /* stable row ids: the inline RowIdSequence bytes (format/rowids.h), or NULL */
  size_t row_ids_len;
  bool row_ids_external;           /* stable row ids kept in a file of their own (not read yet) */
} lp__fragment;

typedef struct lp__manifest {
  int refs; /* atomic */
  uint64_t version;
  int64_t timestamp_us;
  uint64_t reader_flags, writer_flags;
  lp__schema schema;
  lp__fragment *fragments;
  size_t n_fragments;
  char data_format[16];      /* data_format.version, e.g. "2.1"; empty when absent */
  bool has_index_section;    /* the version lists indexes (read them with table/indices.h) */
  uint8_t *index_section;    /* the IndexSection message's bytes (decoded on demand, e.g. by full-text
                                search), or NULL when the version lists no index */
  size_t index_section_len;
  char **config_keys;        /* the table config entries whose key begins with "lancepool." (lancepool's */
  char **config_values;      /* own settings, e.g. its full-text indexes); other entries are not kept */
  size_t n_config;
  size_t size_bytes;         /* approximate memory held, for the cache budget */
} lp__manifest;

/* Decode a manifest file's bytes (section layout + lance.table.Manifest). `path` names the file in messages.
 * Refuses unknown reader flags (LP_EUNSUPPORTED), unsupported data formats, and anything inconsistent
 * (LP_ECORRUPT). New reference in *out. */
lp_status lp__manifest_decode(const uint8_t *bytes, size_t size, const char *path, lp__manifest **out,
                              lp_error *err);

/* Read and decode the manifest file at path. */
lp_status lp__manifest_read(const char *path, lp__manifest **out, lp_error *err);

lp__manifest *lp__manifest_ref(lp__manifest *m); /* thread-safe */
void lp__manifest_unref(lp__manifest *m);        /* thread-safe; accepts NULL */

/* The value of lancepool config entry `key` ("lancepool.*"), or NULL. Borrowed from m. */
const char *lp__manifest_config(const lp__manifest *m, const char *key);

/* Live rows of the table at this version: sum of physical_rows - num_deleted_rows. */
uint64_t lp__manifest_live_rows(const lp__manifest *m);

#endif
