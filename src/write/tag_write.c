/* Creating and deleting LanceDB's tags (the reading side is table/tags.c): a tag file is written once with
 * the fields and layout LanceDB 0.31.0 writes (2-space indented JSON, RFC 3339 times in nanoseconds, UTC),
 * never over an existing tag. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "table/table.h"
#include "table/tags.h"
#include "table/versions.h"
#include "write/write_int.h"

/* "2026-12-08T00:33:04.745069316Z" */
static void now_rfc3339(char out[40]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char day[24];
  strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
  if (snprintf(out, 40, "%s.%09ldZ", day, (long)ts.tv_nsec) >= 40) out[0] = '\0';
}

/* The size of version's manifest (V2 name, else V1); LP_ENOTFOUND when the version does not exist. */
static lp_status manifest_size(const lp__table_place *p, uint64_t version, uint64_t *out, lp_error *err) {
  char name[32], path[4400];
  lp_status rc = LP_ENOTFOUND;
  for (int v2 = 1; v2 >= 0 && rc == LP_ENOTFOUND; v2--) {
    lp__version_manifest_name(version, v2, name);
    snprintf(path, sizeof path, "%s_versions/%s", p->prefix, name);
    lp_error ignored = {0};
    rc = lp__storage_size(p->st, path, out, &ignored);
    if (rc != LP_OK && rc != LP_ENOTFOUND) return lp_error_set(err, rc, "%s", ignored.message);
  }
  if (rc == LP_ENOTFOUND) return lp_error_set(err, LP_ENOTFOUND, "version %" PRIu64 " does not exist", version);
  return rc;
}

lp_status lp_db_tag_create(lp_db *db, const char *table, const char *tag, uint64_t version, lp_error *err) {
  LP_TRY(lp__tag_name_check(tag, err));
  if (version == 0) return lp_error_set(err, LP_EINVAL, "tag \"%s\": version 0 does not exist", tag);
  lp__table_place p;
  LP_TRY(lp__table_place_open(db, table, &p, err));
  uint64_t size = 0;
  lp_status rc = manifest_size(&p, version, &size, err);
  char now[40], text[600], path[4400];
  now_rfc3339(now);
  int n = snprintf(text, sizeof text,
                   "{\n  \"branch\": null,\n  \"version\": %" PRIu64 ",\n  \"createdAt\": \"%s\",\n  \"updatedAt\": \"%s\",\n"
                   "  \"manifestSize\": %" PRIu64 ",\n  \"metadata\": {}\n}",
                   version, now, now, size);
  if (rc == LP_OK && (n < 0 || (size_t)n >= sizeof text)) rc = lp_error_set(err, LP_EINVAL, "tag: text too long");
  lp__tag_path(&p, tag, path);
  if (rc == LP_OK) rc = lp__storage_put(p.st, path, text, (size_t)n, true, err);
  if (rc == LP_ECONFLICT) rc = lp_error_set(err, LP_EEXIST, "tag \"%s\" already exists", tag);
  lp__table_place_close(&p);
  if (rc != LP_OK) lp_error_wrap(err, "tag %s of %s: ", tag, table ? table : "");
  return rc;
}

lp_status lp_db_tag_delete(lp_db *db, const char *table, const char *tag, lp_error *err) {
  uint64_t version = 0;
  LP_TRY(lp_db_tag_version(db, table, tag, &version, err)); /* a missing tag is an error, as in LanceDB */
  lp__table_place p;
  LP_TRY(lp__table_place_open(db, table, &p, err));
  char path[4400];
  lp__tag_path(&p, tag, path);
  lp_status rc = lp__storage_delete(p.st, path, err);
  lp__table_place_close(&p);
  return rc;
}
