/* The index section of a manifest: the list of LanceDB indexes (_indices/<uuid>/) a version has, each
 * with the fragments it covers. Internal.
 *
 * The section is `[u32 len][lance.table.IndexSection]` at the offset Manifest.index_section names;
 * fragment_bitmap is a portable 32-bit roaring bitmap of fragment ids (see
 * ../shared/lance-format/indices.md, section 1). */
#ifndef LP_TABLE_INDICES_H
#define LP_TABLE_INDICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__index_meta {
  char uuid[37];            /* lower-case hyphenated: the directory name under _indices/ */
  char *name;               /* e.g. "vec_idx"; several entries (deltas) may share a name */
  int32_t *fields;          /* indexed field ids */
  size_t n_fields;
  uint64_t dataset_version; /* the version the index was built from */
  uint32_t *fragments;      /* covered fragment ids, strictly ascending */
  size_t n_fragments;
  bool has_fragment_bitmap; /* false: an entry of an old writer that does not say which fragments it holds */
  char *details_type;       /* index_details.type_url, "" when absent */
  uint8_t *details;         /* index_details.value */
  size_t details_len;
  bool has_index_version;
  int32_t index_version;
} lp__index_meta;

typedef struct lp__index_list {
  lp__index_meta *v;
  size_t n;
} lp__index_list;

/* Decode an IndexSection message (the payload after its u32 length). `path` names the manifest in messages.
 * LP_ECORRUPT for bytes that are not a valid section (bad protobuf, uuid not 16 bytes, bad bitmap). */
lp_status lp__index_section_decode(const uint8_t *bytes, size_t len, const char *path, lp__index_list *out,
                                   lp_error *err);

/* The index list of a whole manifest file (no index section: an empty list). */
lp_status lp__index_list_from_manifest_file(const uint8_t *bytes, size_t size, const char *path, lp__index_list *out,
                                            lp_error *err);

/* Read the manifest file of `version` of the table at table_dir and decode its index list. */
lp_status lp__index_list_read(const char *table_dir, uint64_t version, lp__index_list *out, lp_error *err);

void lp__index_list_reset(lp__index_list *l);

/* May the index hold rows of fragment `fragment_id`? An entry without a bitmap may hold any fragment's. */
bool lp__index_covers(const lp__index_meta *m, uint64_t fragment_id);

/* May any index of the list hold rows of fragment `fragment_id`? */
bool lp__index_list_covers(const lp__index_list *l, uint64_t fragment_id);

#endif
