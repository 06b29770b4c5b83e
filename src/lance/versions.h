/* The versions of a table: manifest file names in _versions/ (V1 "<n>.manifest" and V2 "<20 digits of
 * u64::MAX - n>.manifest"), listing and resolving. Internal. */
#ifndef LP_LANCE_VERSIONS_H
#define LP_LANCE_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

/* Parse a file name of _versions/: true and *version for a manifest name; *is_v2 tells the scheme. Names
 * that are not manifests (the hint, temp and staging files, detached versions) give false. */
bool lp__version_parse_name(const char *name, uint64_t *version, bool *is_v2);

/* Every version in table_dir/_versions, ascending (caller frees *out). LP_ENOTFOUND when the directory
 * is missing or holds no manifest (not a Lance table); LP_ECORRUPT when both naming schemes are mixed. */
lp_status lp__versions_list(const char *table_dir, uint64_t **out, size_t *out_n, lp_error *err);

/* Path of version `version`'s manifest: the V2 name when that file exists, else the V1 name. Caller frees
 * *out. LP_ENOTFOUND when neither exists. */
lp_status lp__version_manifest_path(const char *table_dir, uint64_t version, char **out, lp_error *err);

#endif
