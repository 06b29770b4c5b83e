/* Fuzz target: manifest file bytes -> its index section (u32-length-prefixed lance.table.IndexSection at
 * Manifest.index_section) -> index entries with uuids, fields, details and roaring fragment bitmaps. The
 * same bytes are also decoded as a bare IndexSection message. */
#include <stdint.h>
#include <stdlib.h>

#include "table/indices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const lp__index_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    const lp__index_meta *m = &l->v[i];
    for (size_t j = 0; j < m->n_fragments; j++) (void)lp__index_covers(m, m->fragments[j]);
    (void)lp__index_list_covers(l, 0);
    (void)lp__index_list_covers(l, UINT64_MAX);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__index_list l;
  if (lp__index_list_from_manifest_file(data, size, "fuzz.manifest", &l, NULL) == LP_OK) {
    exercise(&l);
    lp__index_list_reset(&l);
  }
  if (lp__index_section_decode(data, size, "fuzz.section", &l, NULL) == LP_OK) {
    exercise(&l);
    lp__index_list_reset(&l);
  }
  return 0;
}
