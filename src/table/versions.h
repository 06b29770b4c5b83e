/* The versions of a table: manifest file names in _versions/ (V1 "<n>.manifest" and V2 "<20 digits of
 * u64::MAX - n>.manifest"), listing and resolving. Internal. */
#ifndef LP_TABLE_VERSIONS_H
#define LP_TABLE_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/storage.h"
#include "lancepool/error.h"

/* Parse a file name of _versions/: true and *version for a manifest name; *is_v2 tells the scheme. Names
 * that are not manifests (the hint, temp and staging files, detached versions) give false. */
bool lp__version_parse_name(const char *name, uint64_t *version, bool *is_v2);

/* Every version in table_dir/_versions, ascending (caller frees *out). LP_ENOTFOUND when the directory
 * is missing or holds no manifest (not a Lance table); LP_ECORRUPT when both naming schemes are mixed. */
lp_status lp__versions_list(const char *table_dir, uint64_t **out, size_t *out_n, lp_error *err);

/* The same for a table in a store (table_dir relative to it): one listing of _versions/. */
lp_status lp__versions_list_store(lp__storage *store, const char *table_dir, uint64_t **out, size_t *out_n,
                                  lp_error *err);

/* The file name of version's manifest in _versions/ under either scheme ("<n>.manifest" for V1). */
void lp__version_manifest_name(uint64_t version, bool v2, char out[32]);

/* Path of version `version`'s manifest: the V2 name when that file exists, else the V1 name. Caller frees
 * *out. LP_ENOTFOUND when neither exists. */
lp_status lp__version_manifest_path(const char *table_dir, uint64_t version, char **out, lp_error *err);

/* Remembered latest versions of tables (a few dozen, by table directory), shared by the connections of a
 * session. Thread-safe. */
typedef struct lp__version_hints lp__version_hints;
lp__version_hints *lp__version_hints_new(void); /* NULL when out of memory */
void lp__version_hints_free(lp__version_hints *h);
/* Remember that `version` of table_dir exists (v1: its manifests have V1 names). h may be NULL. */
void lp__version_hint_put(lp__version_hints *h, const char *table_dir, uint64_t version, bool v1);

/* The latest version of table_dir: from the remembered one with a stat() or two when hints knows the table
 * (see versions.c for why that is exact), else by listing _versions/ (hints may be NULL). *out_v1 (may
 * be NULL): the table uses V1 manifest names. Errors as lp__versions_list. */
lp_status lp__version_latest(const char *table_dir, lp__version_hints *hints, uint64_t *out, bool *out_v1,
                             lp_error *err);

#endif
