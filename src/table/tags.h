/* LanceDB's tags: named versions, one JSON file per tag in <table>/_refs/tags/<name>.json. Internal; the
 * public calls are lp_db_tags, lp_db_tag_version, lp_db_tag_create and lp_db_tag_delete in lance.h. */
#ifndef LP_TABLE_TAGS_H
#define LP_TABLE_TAGS_H

#include <stdbool.h>

#include "io/storage.h"
#include "lancepool/lance.h"

/* LanceDB's rule for tag names, kept strict: [A-Za-z0-9_.-]+, not starting with '.' or '-', no "..", not
 * ending in ".lock". LP_EINVAL naming the tag otherwise. */
lp_status lp__tag_name_check(const char *tag, lp_error *err);

/* The main-line version the bytes of tag file `tag` name. LP_ECORRUPT when they are not a tag (not JSON,
 * no version >= 1), LP_EUNSUPPORTED when the tag names a version of a branch. */
lp_status lp__tag_parse(const uint8_t *bytes, size_t len, const char *tag, uint64_t *out, lp_error *err);

/* Where a table's files are: a storage and the table's folder in it. For a local database a storage is
 * opened on the table folder (*owned: close it with lp__storage_close). The table must exist. */
typedef struct lp__table_place {
  lp__storage *st;
  bool owned;
  char prefix[4200]; /* "<name>.lance/" in the store, "" for a local table folder */
} lp__table_place;
lp_status lp__table_place_open(lp_db *db, const char *table, lp__table_place *out, lp_error *err);
void lp__table_place_close(lp__table_place *p);

/* "<prefix>_refs/tags/<tag>.json" into out (4400 bytes). */
void lp__tag_path(const lp__table_place *p, const char *tag, char out[4400]);

#endif
