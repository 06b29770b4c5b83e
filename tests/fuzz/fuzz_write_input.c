/* Fuzz target: the write path's untrusted text input. The first line is a CLI schema spec; the rest are
 * JSON Lines rows, converted to an Arrow batch of that schema, which is then checked against the schema's
 * Arrow form and released. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_json.h"
#include "format/write_schema.h"

#define MAX_ROWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  char *nl = strchr(text, '\n');
  if (nl) *nl = 0;
  lp__schema s;
  if (lp__wschema_parse_spec(text, &s, NULL) == LP_OK) {
    json_t *rows[MAX_ROWS];
    size_t lines[MAX_ROWS], n = 0;
    char *p = nl ? nl + 1 : NULL;
    while (p && *p && n < MAX_ROWS) {
      char *e = strchr(p, '\n');
      if (e) *e = 0;
      json_t *v = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
      if (v) {
        rows[n] = v;
        lines[n] = n + 1;
        n++;
      }
      p = e ? e + 1 : NULL;
    }
    struct ArrowArray a;
    if (lp__json_rows_to_batch(&s, rows, lines, n, &a, NULL) == LP_OK) {
      struct ArrowSchema as;
      if (lp__wschema_to_arrow(&s, &as, NULL) == LP_OK) {
        (void)lp__wschema_check_arrow(&s, &as, NULL);
        as.release(&as);
      }
      a.release(&a);
    }
    for (size_t i = 0; i < n; i++) json_decref(rows[i]);
    lp__wschema_reset(&s);
  }
  free(text);
  return 0;
}
