/* Fuzz target: manifest file bytes -> section layout, lance.table.Manifest protobuf, schema tree, fragments
 * and data files; the decoded schema is also exported as Arrow and its logical types formatted again. */
#include <stdint.h>
#include <stdlib.h>

#include "table/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__manifest *m = NULL;
  if (lp__manifest_decode(data, size, "fuzz.manifest", &m, NULL) != LP_OK) return 0;
  (void)lp__manifest_live_rows(m);
  for (size_t i = 0; i < m->schema.n_fields; i++) {
    struct ArrowSchema s;
    if (lp__field_to_arrow(&m->schema.fields[i], &s, NULL) == LP_OK) s.release(&s);
    free(lp__logical_type_format(&m->schema.fields[i]));
    (void)lp__field_first_leaf_id(&m->schema.fields[i]);
  }
  lp__manifest_unref(m);
  return 0;
}
