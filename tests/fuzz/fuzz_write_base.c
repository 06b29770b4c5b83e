/* Fuzz target: a manifest file as the write path reads it before a commit (footer, sections, the Manifest
 * and Transaction messages unpacked by protobuf-c, the decoded view), then what a commit does with it:
 * rebuild every other fragment with a new deletion file, build the next version's manifest file over it
 * (schema re-encoded as in an overwrite on odd sizes), and read that file back: it must parse and hold
 * the same fragments. */
#include <stdint.h>
#include <stdlib.h>

#include "write/commit.h"
#include "format/write_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__base b;
  if (lp__base_from_bytes(data, size, "fuzz.manifest", &b, NULL) != LP_OK) return 0;
  (void)lp__base_txn_op(&b);
  lp__plan plan;
  if (lp__plan_init(&plan, NULL) != LP_OK) {
    lp__base_reset(&b);
    return 0;
  }
  lp__deletion_ref d = {1, b.version, 42, 1};
  for (size_t i = 0; i < b.pb->n_fragments; i++) {
    Lance__Table__DataFragment *f = lp__fragment_with_deletion(plan.arena, b.pb->fragments[i], i % 2 ? &d : NULL);
    if (f) lp__ptrvec_push(plan.arena, &plan.fragments, f);
  }
  plan.schema = size % 2 ? &b.m->schema : NULL;
  plan.keep_index = true;
  uint8_t *file = NULL;
  size_t len = 0;
  static const uint8_t txn[] = {0x08, 0x01}; /* Transaction{read_version: 1} */
  if (lp__plan_status(&plan, "fuzz", NULL) == LP_OK &&
      lp__manifest_file_build(&plan, &b, b.index != NULL, txn, sizeof txn, b.version + 1, "1-x.txn", &file, &len,
                              NULL) == LP_OK) {
    lp__base again;
    if (lp__base_from_bytes(file, len, "rebuilt.manifest", &again, NULL) == LP_OK) {
      if (again.pb->n_fragments != b.pb->n_fragments) abort(); /* a commit lost or invented fragments */
      lp__base_reset(&again);
    }
    free(file);
  }
  struct ArrowSchema as;
  if (lp__wschema_to_arrow(&b.m->schema, &as, NULL) == LP_OK) as.release(&as);
  lp__plan_reset(&plan);
  lp__base_reset(&b);
  return 0;
}
