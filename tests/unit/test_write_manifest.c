/* What a commit writes into the manifest, decoded back with protobuf-c: a field a newer writer added that
 * this code does not know (Manifest field 99, spliced into a committed manifest) survives the next commits
 * (append, delete, compaction) byte for byte; max_fragment_id is written even when it is 0
 * and transaction_section always; the inline transaction matches the transaction file; the flags follow the
 * deletions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/commit.h"
#include "io/io.h"
#include "table/versions.h"
#include "write/write_json.h"
#include "format/write_schema.h"
#include "lancepool/lance.h"
#include "lp_test.h"

static char db_dir[4096], table_dir[4200];
static lp__schema schema;

static void add_rows(lp_db *db, int first, int n) {
  lp_error err = {0};
  json_t *rows[8] = {0};
  size_t lines[8] = {0};
  for (int i = 0; i < n; i++) {
    char buf[96];
    snprintf(buf, sizeof buf, "{\"id\": %d, \"s\": \"r%d\"}", first + i, first + i);
    rows[i] = json_loads(buf, 0, NULL);
    lines[i] = (size_t)i + 1;
  }
  struct ArrowArray *b = calloc(1, sizeof *b);
  CHECK_OK(lp__json_rows_to_batch(&schema, rows, lines, (size_t)n, b, &err), &err);
  for (int i = 0; i < n; i++) json_decref(rows[i]);
  struct ArrowArrayStream st;
  CHECK_OK(lp__batches_stream(&schema, b, 1, &st, &err), &err);
  uint64_t v;
  CHECK_OK(lp_db_add(db, "t", &st, NULL, &v, &err), &err);
}

static void load(uint64_t version, lp__base *b) {
  lp_error err = {0};
  CHECK_OK(lp__base_load(table_dir, version, b, &err), &err);
}

/* The unknown field `number` of a message, or NULL. */
static const ProtobufCMessageUnknownField *unknown(const ProtobufCMessage *m, uint32_t number) {
  for (unsigned i = 0; i < m->n_unknown_fields; i++)
    if (m->unknown_fields[i].tag == number) return &m->unknown_fields[i];
  return NULL;
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrite the manifest file of `version` in place with extra bytes appended to the Manifest message. */
static void splice_into_manifest(uint64_t version, const uint8_t *extra, size_t n_extra) {
  lp_error err = {0};
  char *path = NULL;
  CHECK_OK(lp__version_manifest_path(table_dir, version, &path, &err), &err);
  uint8_t *f = NULL;
  size_t len = 0;
  CHECK_OK(lp__read_file(path, 1 << 20, &f, &len, &err), &err);
  uint64_t pos = 0;
  for (int i = 7; i >= 0; i--) pos = pos << 8 | f[len - 16 + (size_t)i];
  uint32_t msg_len = (uint32_t)f[pos] | (uint32_t)f[pos + 1] << 8 | (uint32_t)f[pos + 2] << 16 | (uint32_t)f[pos + 3] << 24;
  CHECK_EQ(pos + 4 + msg_len, len - 16);
  uint8_t *g = malloc(len + n_extra);
  memcpy(g, f, len - 16);
  memcpy(g + len - 16, extra, n_extra);
  memcpy(g + len - 16 + n_extra, f + len - 16, 16);
  put_u32(g + pos, msg_len + (uint32_t)n_extra);
  FILE *o = fopen(path, "wb");
  CHECK(o != NULL);
  CHECK_EQ(fwrite(g, 1, len + n_extra, o), len + n_extra);
  CHECK_EQ(fclose(o), 0);
  free(g);
  free(f);
  free(path);
}

int main(void) {
  const char *tmp = getenv("LP_TEST_TMP");
  CHECK(tmp != NULL);
  snprintf(db_dir, sizeof db_dir, "%s/write_manifest", tmp);
  snprintf(table_dir, sizeof table_dir, "%s/t.lance", db_dir);
  char cmd[3 * sizeof db_dir];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", db_dir, db_dir);
  CHECK_EQ(system(cmd), 0);
  lp_error err = {0};
  lp_db *db = NULL;
  CHECK_OK(lp_db_open(db_dir, NULL, &db, &err), &err);
  CHECK_OK(lp__wschema_parse_spec("id:int64 not null, s:utf8", &schema, &err), &err);
  struct ArrowSchema as;
  CHECK_OK(lp__wschema_to_arrow(&schema, &as, &err), &err);
  uint64_t v;
  CHECK_OK(lp_db_create_table(db, "t", &as, NULL, false, NULL, &v, &err), &err);
  as.release(&as);

  /* v1: empty table: no max_fragment_id yet, a transaction section, the data format */
  lp__base b;
  load(1, &b);
  CHECK_EQ(b.pb->opt_max_fragment_id_case, LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID__NOT_SET);
  CHECK_EQ(b.pb->opt_transaction_section_case, LANCE__TABLE__MANIFEST__OPT_TRANSACTION_SECTION_TRANSACTION_SECTION);
  CHECK(b.txn != NULL);
  CHECK_EQ(b.txn->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_OVERWRITE);
  CHECK_EQ(b.pb->data_format != NULL && strcmp(b.pb->data_format->version, "2.1") == 0, 1);
  lp__base_reset(&b);

  /* v2: fragment 0, so max_fragment_id is present with the value 0 */
  add_rows(db, 0, 3);
  load(2, &b);
  CHECK_EQ(b.pb->opt_max_fragment_id_case, LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID_MAX_FRAGMENT_ID);
  CHECK_EQ(b.pb->max_fragment_id, 0);
  CHECK_EQ(b.pb->n_fragments, 1);
  CHECK_EQ(b.txn->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_APPEND);
  CHECK_EQ(b.txn->read_version, 1);
  CHECK_EQ(b.txn->append->n_fragments, 1);
  CHECK_EQ(b.txn->append->fragments[0]->id, 0);
  CHECK_EQ(b.txn->append->fragments[0]->physical_rows, 3);
  /* the transaction file holds the same transaction as the manifest */
  char txn_path[4400];
  snprintf(txn_path, sizeof txn_path, "%s/_transactions/%s", table_dir, b.pb->transaction_file);
  uint8_t *tb = NULL;
  size_t tl = 0;
  CHECK_OK(lp__read_file(txn_path, 1 << 20, &tb, &tl, &err), &err);
  Lance__Table__Transaction *tf = lance__table__transaction__unpack(NULL, tl, tb);
  CHECK(tf != NULL);
  CHECK_EQ(strcmp(tf->uuid, b.txn->uuid), 0);
  CHECK_EQ(tf->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_APPEND);
  lance__table__transaction__free_unpacked(tf, NULL);
  free(tb);
  lp__base_reset(&b);

  /* a newer writer's field: Manifest field 99 (bytes "future") */
  static const uint8_t extra[] = {0x9a, 0x06, 0x06, 'f', 'u', 't', 'u', 'r', 'e'}; /* field 99, wire type 2 */
  splice_into_manifest(2, extra, sizeof extra);
  load(2, &b);
  const ProtobufCMessageUnknownField *u = unknown(&b.pb->base, 99);
  CHECK(u != NULL);
  lp__base_reset(&b);

  /* v3 append, v4 delete (one row: a deletion file, the deletion flag), v5 compaction */
  add_rows(db, 3, 2);
  uint64_t n_del = 0;
  CHECK_OK(lp_db_delete(db, "t", "id = 1", NULL, &n_del, &v, &err), &err);
  CHECK_EQ(n_del, 1);
  CHECK_EQ(v, 4);
  load(4, &b);
  CHECK_EQ(b.pb->reader_feature_flags & 1, 1);
  CHECK_EQ(b.txn->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_DELETE);
  CHECK_EQ(b.txn->delete_->n_updated_fragments, 1);
  CHECK(b.txn->delete_->updated_fragments[0]->deletion_file != NULL);
  CHECK_EQ(b.txn->delete_->updated_fragments[0]->deletion_file->num_deleted_rows, 1);
  CHECK_EQ(strcmp(b.txn->delete_->predicate, "id = 1"), 0);
  lp__base_reset(&b);
  uint64_t rewritten = 0;
  CHECK_OK(lp_db_compact(db, "t", NULL, &v, &rewritten, &err), &err);
  CHECK_EQ(rewritten, 2);
  for (uint64_t ver = 3; ver <= 5; ver++) {
    load(ver, &b);
    u = unknown(&b.pb->base, 99);
    if (u == NULL) LP_FAIL("version %" PRIu64 ": the unknown manifest field was dropped", ver);
    CHECK_EQ(u->wire_type, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    CHECK_EQ(u->len, 7); /* length prefix + "future" */
    CHECK_EQ(memcmp(u->data + 1, "future", 6), 0);
    lp__base_reset(&b);
  }
  load(5, &b);
  CHECK_EQ(b.pb->reader_feature_flags & 1, 0); /* compaction removed the deleted row: no deletion files */
  CHECK_EQ(b.pb->n_fragments, 1);
  CHECK_EQ(b.pb->fragments[0]->physical_rows, 4);
  CHECK_EQ(b.txn->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_REWRITE);
  CHECK_EQ(b.txn->rewrite->n_groups, 1);
  CHECK_EQ(b.txn->rewrite->groups[0]->n_old_fragments, 2);
  CHECK_EQ(b.txn->rewrite->groups[0]->n_new_fragments, 1);
  CHECK_EQ(b.pb->max_fragment_id, 2);
  lp__base_reset(&b);
  lp_db_close(db);
  lp__wschema_reset(&schema);
  return 0;
}
