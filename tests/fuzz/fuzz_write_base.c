/* Fuzz target: a manifest file as the write path reads it before a commit (footer, sections, raw field
 * walk kept for verbatim carry-over, decoded view), then what a commit does with it: rebuild every
 * fragment with a replaced deletion file, re-decode the schema from the raw Field messages, and re-encode
 * it. */
#include <stdint.h>
#include <stdlib.h>

#include "lance/commit.h"
#include "lance/write_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__base b;
  if (lp__base_from_bytes(data, size, "fuzz.manifest", &b, NULL) != LP_OK) return 0;
  lp__buf out;
  lp__buf_init(&out);
  lp__deletion_ref d = {1, b.version, 42, 1};
  for (size_t i = 0; i < b.n_frag_raw; i++) lp__encode_fragment_with_deletion(&out, 2, &b.frag_raw[i], i % 2 ? &d : NULL);
  (void)lp__base_txn_op(&b);
  /* the schema again, from the raw Field messages */
  lp__pb_reader r = {b.msg, b.msg_len};
  lp__pb_field f, *fields = NULL;
  size_t n = 0;
  bool done;
  while (lp__pb_next(&r, &f, &done, "fuzz", NULL) == LP_OK && !done) {
    if (f.number != 1 || f.wire_type != 2) continue;
    lp__pb_field *nf = realloc(fields, (n + 1) * sizeof *nf);
    if (nf == NULL) break;
    fields = nf;
    fields[n++] = f;
  }
  lp__schema s;
  if (lp__wschema_decode_fields(fields, n, &s, NULL) == LP_OK) {
    lp__wschema_encode_fields(&s, &out, 1);
    struct ArrowSchema as;
    if (lp__wschema_to_arrow(&s, &as, NULL) == LP_OK) as.release(&as);
    lp__wschema_reset(&s);
  }
  free(fields);
  lp__buf_reset(&out);
  lp__base_reset(&b);
  return 0;
}
