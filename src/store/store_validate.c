/* Input checks for writes: everything is checked before anything is committed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

lp_status lp__store_validate(const lp_store_record *recs, size_t n, uint32_t dim, lp_error *err) {
  if (n > 0 && recs == NULL) return lp_error_set(err, LP_EINVAL, "store: records is NULL");
  for (size_t i = 0; i < n; i++) {
    const lp_store_record *r = &recs[i];
    if (r->id == NULL || r->id[0] == '\0') return lp_error_set(err, LP_EINVAL, "store: record %zu: empty id", i);
    if (r->vector == NULL)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): vector of dimension %u is NULL", i,
                          r->id, dim);
    if (r->dim != dim)
      return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): vector has dimension %u, the store's is %u",
                          i, r->id, r->dim, dim);
    if (r->metadata != NULL) {
      json_error_t je;
      json_t *j = json_loads(r->metadata, JSON_DECODE_ANY, &je);
      bool ok = j != NULL && json_is_object(j);
      json_decref(j);
      if (!ok)
        return lp_error_set(err, LP_EINVAL, "store: record %zu (id '%.64s'): metadata is not a JSON object%s%s", i,
                            r->id, j == NULL ? ": " : "", j == NULL ? je.text : "");
    }
  }
  if (n < 2) return LP_OK;
  const char **ids = malloc(n * sizeof *ids);
  if (ids == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory checking ids");
  for (size_t i = 0; i < n; i++) ids[i] = recs[i].id;
  qsort(ids, n, sizeof *ids, cmp_str);
  lp_status rc = LP_OK;
  for (size_t i = 1; i < n && rc == LP_OK; i++)
    if (strcmp(ids[i - 1], ids[i]) == 0)
      rc = lp_error_set(err, LP_EINVAL, "store: id '%.64s' appears more than once in one call", ids[i]);
  free(ids);
  return rc;
}
