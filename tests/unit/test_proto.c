/* The project's .proto definitions against real bytes: decodes every manifest, transaction file
 * and data file (footer, FileDescriptor, column metadata, page layouts) of the sample table that
 * official LanceDB 0.31.0 wrote (tests/data/sample_v031/, made by make_sample.mjs there), and
 * checks concrete values. Set LP_PROTO_DUMP=1 to print what was decoded. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "encodings20.pb-c.h"
#include "encodings21.pb-c.h"
#include "file.pb-c.h"
#include "file2.pb-c.h"
#include "lp_test.h"
#include "rowids.pb-c.h"
#include "table.pb-c.h"
#include "transaction.pb-c.h"
#include "wellknown.pb-c.h"

#define URL_COLUMN_ENCODING "/lance.encodings.ColumnEncoding"
#define URL_PAGE_LAYOUT "/lance.encodings21.PageLayout"
#define URL_ARRAY_ENCODING "/lance.encodings.ArrayEncoding"

static char g_table[4096]; /* sample.lance: nine versions */
static char g_enc[4096];   /* encodings.lance: one version, less common encodings */
static bool g_dump;

/* ---- small file helpers ---- */

typedef struct {
  uint8_t *data;
  size_t len;
} blob;

static blob read_all(const char *path) {
  blob b = {NULL, 0};
  FILE *f = fopen(path, "rb");
  if (f == NULL) LP_FAIL("cannot open %s", path);
  if (fseek(f, 0, SEEK_END) != 0) LP_FAIL("seek %s", path);
  long n = ftell(f);
  if (n < 0 || fseek(f, 0, SEEK_SET) != 0) LP_FAIL("size of %s", path);
  b.len = (size_t)n;
  b.data = malloc(b.len ? b.len : 1);
  CHECK(b.data != NULL);
  if (b.len && fread(b.data, 1, b.len, f) != b.len) LP_FAIL("read %s", path);
  fclose(f);
  return b;
}

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Names in a directory ending with `suffix`, sorted. Returns the count; *out is malloc'd. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
static size_t list_dir(const char *dir, const char *suffix, char ***out) {
  DIR *d = opendir(dir);
  if (d == NULL) LP_FAIL("cannot open directory %s", dir);
  size_t n = 0, cap = 16;
  char **names = malloc(cap * sizeof *names);
  CHECK(names != NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix)) continue;
    if (n == cap) {
      cap *= 2;
      names = realloc(names, cap * sizeof *names);
      CHECK(names != NULL);
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  *out = names;
  return n;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

static void find_table(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  const char *cands[] = {"tests/data/sample_v031", "../tests/data/sample_v031",
                         "../../tests/data/sample_v031"};
  char root[4000] = "";
  if (src != NULL && *src) {
    snprintf(root, sizeof root, "%s/tests/data/sample_v031", src);
  } else {
    for (size_t i = 0; i < sizeof cands / sizeof cands[0] && !*root; i++) {
      char probe[4200];
      snprintf(probe, sizeof probe, "%s/sample.lance/_versions", cands[i]);
      DIR *d = opendir(probe);
      if (d != NULL) {
        closedir(d);
        snprintf(root, sizeof root, "%s", cands[i]);
      }
    }
  }
  if (!*root) LP_FAIL("sample tables not found: set LP_SOURCE_DIR");
  snprintf(g_table, sizeof g_table, "%s/sample.lance", root);
  snprintf(g_enc, sizeof g_enc, "%s/encodings.lance", root);
}

/* ---- generic checks on any decoded message ---- */

/* Unknown fields anywhere in the tree (a field our .proto does not declare). */
static size_t unknown_fields_deep(const ProtobufCMessage *m) {
  size_t total = m->n_unknown_fields;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const char *base = (const char *)m;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &d->fields[i];
    if (fd->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(const void *)(base + fd->quantifier_offset);
      ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(const void *)(base + fd->offset);
      for (size_t j = 0; j < n; j++) total += unknown_fields_deep(arr[j]);
    } else {
      if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
          *(const uint32_t *)(const void *)(base + fd->quantifier_offset) != fd->id)
        continue;
      const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(const void *)(base + fd->offset);
      if (sub != NULL) total += unknown_fields_deep(sub);
    }
  }
  return total;
}

/* Every field is known, and re-encoding gives back the very same bytes (field numbers, wire
 * types, packing and presence all agree with what LanceDB wrote). */
static void check_exact(const ProtobufCMessage *m, const uint8_t *bytes, size_t len, const char *what) {
  size_t unknown = unknown_fields_deep(m);
  if (unknown != 0) LP_FAIL("%s: %zu unknown fields", what, unknown);
  size_t n = protobuf_c_message_get_packed_size(m);
  if (n != len) LP_FAIL("%s: re-encoded size %zu, original %zu", what, n, len);
  uint8_t *buf = malloc(n ? n : 1);
  CHECK(buf != NULL);
  CHECK_EQ(protobuf_c_message_pack(m, buf), n);
  if (memcmp(buf, bytes, n) != 0) LP_FAIL("%s: re-encoded bytes differ", what);
  free(buf);
}

/* A manifest file: [sections] u32 len, Manifest, 16-byte footer (table-format.md section 4). */
typedef struct {
  blob file;
  uint64_t pos; /* of the manifest's u32 length */
  uint32_t len;
  Lance__Table__Manifest *m;
} manifest_file;

static manifest_file read_manifest(const char *table, const char *name) {
  manifest_file mf;
  char path[8400];
  snprintf(path, sizeof path, "%s/_versions/%s", table, name);
  mf.file = read_all(path);
  const blob *b = &mf.file;
  CHECK_GE(b->len, 16 + 4);
  const uint8_t *foot = b->data + b->len - 16;
  CHECK(memcmp(foot + 12, "LANC", 4) == 0);
  CHECK_EQ(le16(foot + 8), 0);
  CHECK_EQ(le16(foot + 10), 2);
  mf.pos = le64(foot);
  CHECK_LE(mf.pos + 4, b->len - 16);
  mf.len = le32(b->data + mf.pos);
  CHECK_EQ(mf.pos + 4 + mf.len, b->len - 16);
  mf.m = lance__table__manifest__unpack(NULL, mf.len, b->data + mf.pos + 4);
  if (mf.m == NULL) LP_FAIL("%s: Manifest does not decode", path);
  check_exact(&mf.m->base, b->data + mf.pos + 4, mf.len, path);
  return mf;
}

/* The inline transaction of a manifest, checked byte-identical to its .txn file. */
static Lance__Table__Transaction *read_transaction(const char *table, const manifest_file *mf) {
  const Lance__Table__Manifest *m = mf->m;
  CHECK_EQ(m->opt_transaction_section_case,
           LANCE__TABLE__MANIFEST__OPT_TRANSACTION_SECTION_TRANSACTION_SECTION);
  CHECK_EQ(m->transaction_section, 0); /* no index section, so it comes first */
  const uint8_t *at = mf->file.data + m->transaction_section;
  uint32_t tlen = le32(at);
  CHECK_EQ(m->transaction_section + 4 + tlen, mf->pos);
  Lance__Table__Transaction *t = lance__table__transaction__unpack(NULL, tlen, at + 4);
  if (t == NULL) LP_FAIL("%s: inline Transaction does not decode", m->transaction_file);
  check_exact(&t->base, at + 4, tlen, m->transaction_file);
  char path[8400];
  snprintf(path, sizeof path, "%s/_transactions/%s", table, m->transaction_file);
  blob tf = read_all(path);
  CHECK_EQ(tf.len, tlen);
  CHECK(memcmp(tf.data, at + 4, tlen) == 0);
  free(tf.data);
  return t;
}

/* A 2.1 data file: footer, offset tables and global buffer 0 (file-format-2.1.md sections 1-5). */
typedef struct {
  blob file;
  uint64_t cm_start, cmo, gb_pos, gb_len;
  uint32_t n_cols;
  Lance__File__FileDescriptor *fd;
} data_file;

static data_file read_data_file(const char *table, const char *name) {
  data_file df;
  char path[8400];
  snprintf(path, sizeof path, "%s/data/%s", table, name);
  df.file = read_all(path);
  const blob *b = &df.file;
  CHECK_GE(b->len, 40);
  const uint8_t *foot = b->data + b->len - 40;
  CHECK(memcmp(foot + 36, "LANC", 4) == 0);
  CHECK_EQ(le16(foot + 32), 2);
  CHECK_EQ(le16(foot + 34), 1);
  df.cm_start = le64(foot);
  df.cmo = le64(foot + 8);
  uint64_t gbo = le64(foot + 16);
  uint32_t n_gb = le32(foot + 24);
  df.n_cols = le32(foot + 28);
  CHECK_EQ(n_gb, 1);
  CHECK_EQ(df.cmo + 16 * (uint64_t)df.n_cols, gbo);
  CHECK_EQ(gbo + 16 * (uint64_t)n_gb, b->len - 40);
  df.gb_pos = le64(b->data + gbo);
  df.gb_len = le64(b->data + gbo + 8);
  CHECK_EQ(df.gb_pos % 64, 0);
  CHECK_LE(df.gb_pos + df.gb_len, df.cm_start);
  df.fd = lance__file__file_descriptor__unpack(NULL, df.gb_len, b->data + df.gb_pos);
  if (df.fd == NULL) LP_FAIL("%s: FileDescriptor does not decode", name);
  check_exact(&df.fd->base, b->data + df.gb_pos, df.gb_len, "FileDescriptor");
  CHECK(df.fd->schema != NULL);
  return df;
}

static Lance__File__V2__ColumnMetadata *read_column(const data_file *df, uint32_t c) {
  const uint8_t *ent = df->file.data + df->cmo + 16 * (uint64_t)c;
  uint64_t pos = le64(ent), len = le64(ent + 8);
  CHECK_GE(pos, df->cm_start);
  CHECK_LE(pos + len, df->cmo);
  Lance__File__V2__ColumnMetadata *cm =
      lance__file__v2__column_metadata__unpack(NULL, len, df->file.data + pos);
  if (cm == NULL) LP_FAIL("ColumnMetadata %u does not decode", c);
  check_exact(&cm->base, df->file.data + pos, len, "ColumnMetadata");
  CHECK_EQ(cm->n_buffer_offsets, 0);
  CHECK_EQ(cm->n_buffer_sizes, 0);
  return cm;
}

/* ---- the schema every version of the sample has ---- */

typedef struct {
  const char *name;
  int32_t id, parent_id;
  const char *logical_type;
  bool nullable;
  Lance__File__Encoding encoding;
} expected_field;

static const expected_field k_fields[] = {
    {"id", 0, -1, "int32", false, LANCE__FILE__ENCODING__PLAIN},
    {"i64", 1, -1, "int64", true, LANCE__FILE__ENCODING__PLAIN},
    {"name", 2, -1, "string", true, LANCE__FILE__ENCODING__VAR_BINARY},
    {"vec", 3, -1, "fixed_size_list:float:8", true, LANCE__FILE__ENCODING__PLAIN},
    {"tags", 4, -1, "list", true, LANCE__FILE__ENCODING__PLAIN},
    {"item", 5, 4, "string", true, LANCE__FILE__ENCODING__VAR_BINARY},
    {"st", 6, -1, "struct", true, LANCE__FILE__ENCODING__NONE},
    {"a", 7, 6, "int32", true, LANCE__FILE__ENCODING__PLAIN},
    {"b", 8, 6, "string", true, LANCE__FILE__ENCODING__VAR_BINARY},
    {"flag", 9, -1, "bool", true, LANCE__FILE__ENCODING__PLAIN},
    {"ts", 10, -1, "timestamp:us:-", true, LANCE__FILE__ENCODING__PLAIN},
    {"f64", 11, -1, "double", true, LANCE__FILE__ENCODING__PLAIN},
};
#define N_FIELDS (sizeof k_fields / sizeof k_fields[0])
/* Leaf field ids, i.e. the columns of a 2.1 data file, in column order. */
static const int32_t k_leaves[] = {0, 1, 2, 3, 5, 7, 8, 9, 10, 11};
#define N_LEAVES (sizeof k_leaves / sizeof k_leaves[0])

static void check_fields(Lance__File__Field *const *fields, size_t n) {
  CHECK_EQ(n, N_FIELDS);
  for (size_t i = 0; i < n; i++) {
    const Lance__File__Field *f = fields[i];
    const expected_field *x = &k_fields[i];
    CHECK_STR_EQ(f->name, x->name);
    CHECK_EQ(f->id, x->id);
    CHECK_EQ(f->parent_id, x->parent_id);
    CHECK_STR_EQ(f->logical_type, x->logical_type);
    CHECK_EQ(f->nullable, x->nullable);
    CHECK_EQ(f->encoding, x->encoding);
    CHECK_EQ(f->type, LANCE__FILE__FIELD__TYPE__PARENT); /* never written */
  }
}

/* ---- transactions ---- */

/* What the sample's script did, by version. */
typedef struct {
  uint64_t version;
  Lance__Table__Transaction__OperationCase op;
  uint64_t read_version;
  size_t n_fragments; /* in the manifest */
  uint64_t live_rows; /* sum of physical_rows - num_deleted_rows */
  uint32_t max_fragment_id;
  bool deletions; /* feature flag 1 */
} expected_version;

static const expected_version k_versions[] = {
    {1, LANCE__TABLE__TRANSACTION__OPERATION_OVERWRITE, 0, 1, 5, 0, false},
    {2, LANCE__TABLE__TRANSACTION__OPERATION_APPEND, 1, 2, 9, 1, false},
    {3, LANCE__TABLE__TRANSACTION__OPERATION_APPEND, 2, 3, 12, 2, false},
    {4, LANCE__TABLE__TRANSACTION__OPERATION_DELETE, 3, 3, 10, 2, true},
    {5, LANCE__TABLE__TRANSACTION__OPERATION_DELETE, 4, 2, 7, 2, true},
    {6, LANCE__TABLE__TRANSACTION__OPERATION_UPDATE, 5, 3, 7, 3, true},
    {7, LANCE__TABLE__TRANSACTION__OPERATION_RESERVE_FRAGMENTS, 6, 3, 7, 4, true},
    {8, LANCE__TABLE__TRANSACTION__OPERATION_REWRITE, 6, 1, 7, 4, false},
    {9, LANCE__TABLE__TRANSACTION__OPERATION_RESTORE, 8, 3, 12, 4, false},
};
#define N_VERSIONS (sizeof k_versions / sizeof k_versions[0])

static void check_data_file_entry(const Lance__Table__DataFile *df) {
  CHECK_EQ(strlen(df->path), 56); /* 50 characters + ".lance" */
  CHECK(ends_with(df->path, ".lance"));
  CHECK_EQ(df->n_fields, N_LEAVES);
  CHECK_EQ(df->n_column_indices, N_LEAVES);
  for (size_t i = 0; i < N_LEAVES; i++) {
    CHECK_EQ(df->fields[i], k_leaves[i]);
    CHECK_EQ(df->column_indices[i], (int32_t)i);
  }
  CHECK_EQ(df->file_major_version, 2);
  CHECK_EQ(df->file_minor_version, 1);
  CHECK_EQ(df->opt_base_id_case, LANCE__TABLE__DATA_FILE__OPT_BASE_ID__NOT_SET);
  char path[8400];
  snprintf(path, sizeof path, "%s/data/%s", g_table, df->path);
  struct stat st;
  CHECK_EQ(stat(path, &st), 0);
  CHECK_EQ((uint64_t)st.st_size, df->file_size_bytes);
}

static void check_fragment(const Lance__Table__DataFragment *frag) {
  CHECK_EQ(frag->n_files, 1);
  check_data_file_entry(frag->files[0]);
  CHECK_GT(frag->physical_rows, 0);
  /* No stable row ids in a default table. */
  CHECK_EQ(frag->row_id_sequence_case, LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET);
  CHECK_EQ(frag->created_at_version_sequence_case,
           LANCE__TABLE__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE__NOT_SET);
  if (frag->deletion_file != NULL) {
    const Lance__Table__DeletionFile *del = frag->deletion_file;
    CHECK_EQ(del->file_type, LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__ARROW_ARRAY);
    CHECK_GT(del->num_deleted_rows, 0);
    CHECK_LT(del->num_deleted_rows, frag->physical_rows);
    CHECK_NE(del->id, 0);
    char path[8400];
    snprintf(path, sizeof path, "%s/_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".arrow", g_table, frag->id,
             del->read_version, del->id);
    if (!file_exists(path)) LP_FAIL("deletion file %s missing", path);
  }
}

static uint64_t live_rows(Lance__Table__DataFragment *const *frags, size_t n) {
  uint64_t rows = 0;
  for (size_t i = 0; i < n; i++)
    rows +=
        frags[i]->physical_rows - (frags[i]->deletion_file ? frags[i]->deletion_file->num_deleted_rows : 0);
  return rows;
}

static void check_transaction(const Lance__Table__Transaction *t, const expected_version *x,
                              const char *txn_name) {
  char want_name[128];
  snprintf(want_name, sizeof want_name, "%" PRIu64 "-%s.txn", t->read_version, t->uuid);
  CHECK_STR_EQ(txn_name, want_name);
  CHECK_EQ(strlen(t->uuid), 36);
  if (g_dump)
    fprintf(stderr, "  transaction %s: operation %d, read_version %" PRIu64 "\n", txn_name,
            (int)t->operation_case, t->read_version);
  CHECK_EQ(t->read_version, x->read_version);
  CHECK_EQ(t->operation_case, x->op);
  CHECK_EQ(t->n_transaction_properties, 0);
  CHECK_EQ(t->base.n_unknown_fields, 0);
  switch (t->operation_case) {
    case LANCE__TABLE__TRANSACTION__OPERATION_OVERWRITE:
      check_fields(t->overwrite->schema, t->overwrite->n_schema);
      CHECK_EQ(t->overwrite->n_fragments, 1);
      CHECK_EQ(t->overwrite->fragments[0]->id, 0);
      CHECK_EQ(t->overwrite->fragments[0]->physical_rows, 5);
      check_fragment(t->overwrite->fragments[0]);
      break;
    case LANCE__TABLE__TRANSACTION__OPERATION_APPEND:
      CHECK_EQ(t->append->n_fragments, 1);
      CHECK_EQ(t->append->fragments[0]->id, 0); /* ids are assigned in the manifest */
      CHECK_EQ(t->append->fragments[0]->physical_rows, x->version == 2 ? 4 : 3);
      check_fragment(t->append->fragments[0]);
      break;
    case LANCE__TABLE__TRANSACTION__OPERATION_DELETE: {
      const Lance__Table__Transaction__Delete *d = t->delete_;
      if (x->version == 4) {
        CHECK_STR_EQ(d->predicate, "id IN (2, 6)");
        CHECK_EQ(d->n_deleted_fragment_ids, 0);
        CHECK_EQ(d->n_updated_fragments, 2);
        /* LanceDB does not order them (this file lists fragment 1 first). */
        CHECK_EQ(d->updated_fragments[0]->id + d->updated_fragments[1]->id, 1);
        for (size_t i = 0; i < 2; i++) {
          CHECK(d->updated_fragments[i]->deletion_file != NULL);
          CHECK_EQ(d->updated_fragments[i]->deletion_file->num_deleted_rows, 1);
          CHECK_EQ(d->updated_fragments[i]->deletion_file->read_version, 3);
          check_fragment(d->updated_fragments[i]);
        }
      } else {
        CHECK_STR_EQ(d->predicate, "id >= 9");
        CHECK_EQ(d->n_updated_fragments, 0);
        CHECK_EQ(d->n_deleted_fragment_ids, 1);
        CHECK_EQ(d->deleted_fragment_ids[0], 2);
      }
      break;
    }
    case LANCE__TABLE__TRANSACTION__OPERATION_UPDATE: {
      const Lance__Table__Transaction__Update *u = t->update;
      CHECK_EQ(u->n_removed_fragment_ids, 0);
      CHECK_EQ(u->n_updated_fragments, 1);
      CHECK_EQ(u->updated_fragments[0]->id, 0);
      CHECK(u->updated_fragments[0]->deletion_file != NULL);
      CHECK_EQ(u->updated_fragments[0]->deletion_file->num_deleted_rows, 2);
      check_fragment(u->updated_fragments[0]);
      CHECK_EQ(u->n_new_fragments, 1);
      CHECK_EQ(u->new_fragments[0]->physical_rows, 1);
      check_fragment(u->new_fragments[0]);
      CHECK_EQ(u->new_fragments[0]->id, 0); /* assigned in the manifest (3) */
      CHECK_EQ(u->n_fields_modified, 0);    /* not filled in by LanceDB, although f64 changed */
      CHECK_EQ(u->n_fields_for_preserving_frag_bitmap, 1);
      CHECK_EQ(u->fields_for_preserving_frag_bitmap[0], 11);
      CHECK_EQ(u->update_mode, LANCE__TABLE__TRANSACTION__UPDATE_MODE__REWRITE_ROWS);
      CHECK_EQ(u->n_updated_fragment_offsets, 0);
      CHECK(u->inserted_rows == NULL);
      break;
    }
    case LANCE__TABLE__TRANSACTION__OPERATION_REWRITE: {
      const Lance__Table__Transaction__Rewrite *r = t->rewrite;
      CHECK_EQ(r->n_old_fragments, 0);
      CHECK_EQ(r->n_new_fragments, 0);
      CHECK_EQ(r->n_rewritten_indices, 0);
      CHECK_EQ(r->n_groups, 1);
      const Lance__Table__Transaction__Rewrite__RewriteGroup *g = r->groups[0];
      CHECK_EQ(g->n_old_fragments, 3);
      for (size_t i = 0; i < g->n_old_fragments; i++) check_fragment(g->old_fragments[i]);
      CHECK_EQ(g->old_fragments[0]->id, 0);
      CHECK_EQ(g->old_fragments[1]->id, 1);
      CHECK_EQ(g->old_fragments[2]->id, 3);
      CHECK_EQ(g->n_new_fragments, 1);
      CHECK_EQ(g->new_fragments[0]->id, 4);
      CHECK_EQ(g->new_fragments[0]->physical_rows, 7);
      check_fragment(g->new_fragments[0]);
      break;
    }
    case LANCE__TABLE__TRANSACTION__OPERATION_RESERVE_FRAGMENTS: /* compaction reserves the new id first */
      CHECK_EQ(t->reserve_fragments->num_fragments, 1);
      break;
    case LANCE__TABLE__TRANSACTION__OPERATION_RESTORE:
      CHECK_EQ(t->restore->version, 3);
      break;
    default:
      LP_FAIL("unexpected operation %d", (int)t->operation_case);
  }
}

/* ---- manifests ---- */

typedef struct {
  char name[64];
  char *data_files[16];
  size_t n_data_files;
} seen_files;

static void remember_data_file(seen_files *s, const char *path) {
  for (size_t i = 0; i < s->n_data_files; i++)
    if (strcmp(s->data_files[i], path) == 0) return;
  CHECK_LT(s->n_data_files, 16);
  s->data_files[s->n_data_files++] = strdup(path);
}

static void check_manifest_file(const char *name, seen_files *seen) {
  manifest_file mf = read_manifest(g_table, name);
  Lance__Table__Manifest *m = mf.m;

  /* V2 naming: u64::MAX - version, 20 digits. */
  CHECK_EQ(strlen(name), 29);
  uint64_t version = UINT64_MAX - strtoull(name, NULL, 10);
  CHECK_EQ(m->version, version);
  CHECK_GE(version, 1);
  CHECK_LE(version, N_VERSIONS);
  const expected_version *x = &k_versions[version - 1];
  if (g_dump)
    fprintf(stderr, "manifest v%" PRIu64 ": %zu fragments, flags %" PRIu64 "/%" PRIu64 ", txn %s\n", version,
            m->n_fragments, m->reader_feature_flags, m->writer_feature_flags, m->transaction_file);

  check_fields(m->fields, m->n_fields);
  CHECK_EQ(m->n_schema_metadata, 0);
  CHECK(m->writer_version != NULL);
  CHECK_STR_EQ(m->writer_version->library, "lance");
  CHECK_STR_EQ(m->writer_version->version, "8.0.0");
  CHECK(m->data_format != NULL);
  CHECK_STR_EQ(m->data_format->file_format, "lance");
  CHECK_STR_EQ(m->data_format->version, "2.1");
  CHECK(m->timestamp != NULL);
  CHECK_GT(m->timestamp->seconds, 1700000000);
  CHECK_GE(m->timestamp->nanos, 0);
  CHECK_LT(m->timestamp->nanos, 1000000000);
  CHECK_EQ(m->next_row_id, 0);
  CHECK_EQ(m->n_config, 0);
  CHECK_EQ(m->n_base_paths, 0);
  CHECK_EQ(m->opt_branch_case, LANCE__TABLE__MANIFEST__OPT_BRANCH__NOT_SET);
  CHECK_EQ(m->opt_index_section_case, LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION__NOT_SET);
  CHECK_EQ(m->opt_max_fragment_id_case, LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID_MAX_FRAGMENT_ID);
  CHECK_EQ(m->max_fragment_id, x->max_fragment_id);
  CHECK_EQ(m->n_fragments, x->n_fragments);
  CHECK_EQ(live_rows(m->fragments, m->n_fragments), x->live_rows);
  uint64_t flags = x->deletions ? 1 : 0;
  CHECK_EQ(m->reader_feature_flags, flags);
  CHECK_EQ(m->writer_feature_flags, flags);
  for (size_t i = 0; i < m->n_fragments; i++) {
    check_fragment(m->fragments[i]);
    if (i > 0) CHECK_GT(m->fragments[i]->id, m->fragments[i - 1]->id);
    CHECK_LE(m->fragments[i]->id, m->max_fragment_id);
    CHECK_EQ((m->fragments[i]->deletion_file != NULL) && !x->deletions, 0);
    remember_data_file(seen, m->fragments[i]->files[0]->path);
  }

  Lance__Table__Transaction *t = read_transaction(g_table, &mf);
  check_transaction(t, x, m->transaction_file);

  /* Version-specific manifest facts. */
  if (version == 4) {
    CHECK_EQ(m->fragments[0]->deletion_file->num_deleted_rows, 1);
    CHECK_EQ(m->fragments[1]->deletion_file->num_deleted_rows, 1);
    CHECK(m->fragments[2]->deletion_file == NULL);
  }
  if (version == 6) {
    CHECK_EQ(m->fragments[0]->deletion_file->num_deleted_rows, 2);
    CHECK_EQ(m->fragments[2]->id, 3);
    CHECK_EQ(m->fragments[2]->physical_rows, 1);
  }
  if (version == 9) { /* restored to version 3: fragments 0, 1, 2, no deletions */
    for (size_t i = 0; i < 3; i++) CHECK_EQ(m->fragments[i]->id, i);
  }

  lance__table__transaction__free_unpacked(t, NULL);
  lance__table__manifest__free_unpacked(m, NULL);
  free(mf.file.data);
}

/* ---- data files ---- */

static const char *layout_name(const Lance__Encodings21__PageLayout *pl) {
  switch (pl->layout_case) {
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT:
      return "mini-block";
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT:
      return "constant";
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT:
      return "full-zip";
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_BLOB_LAYOUT:
      return "blob";
    default:
      return "?";
  }
}

/* Unwrap a direct Encoding: returns the Any (caller frees) and checks its URL is known. */
static Google__Protobuf__Any *direct_any(const Lance__File__V2__Encoding *enc) {
  CHECK(enc != NULL);
  CHECK_EQ(enc->location_case, LANCE__FILE__V2__ENCODING__LOCATION_DIRECT);
  const ProtobufCBinaryData *bytes = &enc->direct->encoding;
  Google__Protobuf__Any *any = google__protobuf__any__unpack(NULL, bytes->len, bytes->data);
  CHECK(any != NULL);
  CHECK(strcmp(any->type_url, URL_COLUMN_ENCODING) == 0 || strcmp(any->type_url, URL_PAGE_LAYOUT) == 0 ||
        strcmp(any->type_url, URL_ARRAY_ENCODING) == 0);
  return any;
}

static void check_inner_flat(const Lance__Encodings21__CompressiveEncoding *ce, uint64_t bits) {
  CHECK(ce != NULL);
  CHECK_EQ(ce->compression_case, LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT);
  CHECK_EQ(ce->flat->bits_per_value, bits);
  CHECK(ce->flat->data == NULL);
}

/* Encodings that depend only on the column type for this small sample (one mini-block page per
 * column, whatever the values; constant/all-null pages are checked by the caller). */
static void check_mini_block(size_t col, const Lance__Encodings21__MiniBlockLayout *mb, uint64_t rows) {
  const Lance__Encodings21__CompressiveEncoding *v = mb->value_compression;
  CHECK(v != NULL);
  CHECK_GE(mb->n_layers, 1);
  CHECK_GE(mb->num_buffers, 1);
  CHECK(mb->dictionary == NULL || mb->num_dictionary_items > 0);
  switch (k_leaves[col]) {
    case 3: /* vec: fixed_size_list<float, 8> */
      CHECK_EQ(v->compression_case, LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST);
      CHECK_EQ(v->fixed_size_list->items_per_value, 8);
      CHECK_EQ(v->fixed_size_list->has_validity, false);
      CHECK(v->fixed_size_list->values != NULL);
      CHECK_EQ(mb->num_items, rows);
      CHECK_EQ(mb->n_layers, 1);
      break;
    case 5: /* tags.item: a list level above the string */
      CHECK(mb->rep_compression != NULL);
      CHECK_EQ(mb->repetition_index_depth, 1);
      CHECK_EQ(mb->n_layers, 2);
      CHECK(mb->layers[1] == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST ||
            mb->layers[1] == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST);
      break;
    case 7:
    case 8: /* struct children: two layers, struct level outermost */
      CHECK_EQ(mb->n_layers, 2);
      CHECK(mb->rep_compression == NULL);
      CHECK_EQ(mb->num_items, rows);
      break;
    case 9: /* bool */
      check_inner_flat(v, 1);
      CHECK_EQ(mb->num_items, rows);
      break;
    case 2: /* utf8 */
      if (mb->dictionary == NULL) {
        CHECK_EQ(v->compression_case, LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE);
        check_inner_flat(v->variable->offsets, 32);
      }
      CHECK_EQ(mb->num_items, rows);
      break;
    default: /* fixed-width numbers: flat, inline bit-packing or RLE of the native width */
      CHECK(v->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT ||
            v->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING ||
            v->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_RLE);
      if (v->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING)
        CHECK_EQ(v->inline_bitpacking->uncompressed_bits_per_value,
                 (k_leaves[col] == 0 || k_leaves[col] == 7) ? 32 : 64);
      CHECK_EQ(mb->num_items, rows);
      CHECK_EQ(mb->n_layers, 1);
      break;
  }
  /* Innermost layer says whether this page has nulls; def levels exist iff some layer can be null/empty. */
  bool nullable_layer = false;
  for (size_t i = 0; i < mb->n_layers; i++)
    if (mb->layers[i] != LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_ITEM &&
        mb->layers[i] != LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST)
      nullable_layer = true;
  CHECK_EQ(mb->def_compression != NULL, nullable_layer);
}

/* The column-level encoding: always Any "/lance.encodings.ColumnEncoding" = {values: {}}. */
static void check_column_encoding(const Lance__File__V2__ColumnMetadata *cm) {
  Google__Protobuf__Any *any = direct_any(cm->encoding);
  CHECK_STR_EQ(any->type_url, URL_COLUMN_ENCODING);
  Lance__Encodings__ColumnEncoding *ce =
      lance__encodings__column_encoding__unpack(NULL, any->value.len, any->value.data);
  CHECK(ce != NULL);
  check_exact(&ce->base, any->value.data, any->value.len, "ColumnEncoding");
  CHECK_EQ(ce->column_encoding_case, LANCE__ENCODINGS__COLUMN_ENCODING__COLUMN_ENCODING_VALUES);
  CHECK(ce->values != NULL);
  lance__encodings__column_encoding__free_unpacked(ce, NULL);
  google__protobuf__any__free_unpacked(any, NULL);
}

/* A page's buffers lie 64-aligned before global buffer 0; its encoding is a PageLayout Any. */
static Lance__Encodings21__PageLayout *page_layout(const data_file *df,
                                                   const Lance__File__V2__ColumnMetadata__Page *pg) {
  CHECK_EQ(pg->n_buffer_offsets, pg->n_buffer_sizes);
  for (size_t k = 0; k < pg->n_buffer_offsets; k++) {
    CHECK_EQ(pg->buffer_offsets[k] % 64, 0);
    CHECK_LE(pg->buffer_offsets[k] + pg->buffer_sizes[k], df->gb_pos);
  }
  Google__Protobuf__Any *any = direct_any(pg->encoding);
  CHECK_STR_EQ(any->type_url, URL_PAGE_LAYOUT);
  Lance__Encodings21__PageLayout *pl =
      lance__encodings21__page_layout__unpack(NULL, any->value.len, any->value.data);
  if (pl == NULL) LP_FAIL("PageLayout does not decode");
  check_exact(&pl->base, any->value.data, any->value.len, "PageLayout");
  google__protobuf__any__free_unpacked(any, NULL);
  return pl;
}

static void free_data_file(data_file *df) {
  lance__file__file_descriptor__free_unpacked(df->fd, NULL);
  free(df->file.data);
}

static void check_data_file(const char *name, size_t *n_constant_pages) {
  data_file df = read_data_file(g_table, name);
  CHECK_EQ(df.n_cols, N_LEAVES);
  check_fields(df.fd->schema->fields, df.fd->schema->n_fields);
  CHECK_EQ(df.fd->schema->n_metadata, 0);
  uint64_t rows = df.fd->length;
  CHECK_GT(rows, 0);
  if (g_dump) fprintf(stderr, "data file %s: %" PRIu64 " rows, %u columns\n", name, rows, df.n_cols);

  for (uint32_t c = 0; c < df.n_cols; c++) {
    Lance__File__V2__ColumnMetadata *cm = read_column(&df, c);
    check_column_encoding(cm);
    CHECK_GE(cm->n_pages, 1);
    uint64_t page_rows = 0;
    for (size_t p = 0; p < cm->n_pages; p++) {
      const Lance__File__V2__ColumnMetadata__Page *pg = cm->pages[p];
      CHECK_EQ(pg->priority, page_rows);
      Lance__Encodings21__PageLayout *pl = page_layout(&df, pg);
      if (g_dump)
        fprintf(stderr, "  col %u (field %d) page %zu: %" PRIu64 " rows, %s, %zu buffers\n", c, k_leaves[c],
                p, pg->length, layout_name(pl), pg->n_buffer_offsets);
      if (pl->layout_case == LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT) {
        const Lance__Encodings21__MiniBlockLayout *mb = pl->mini_block_layout;
        CHECK_EQ(mb->has_large_chunk, false);
        /* chunk metadata, chunk data, [dictionary], [repetition index] */
        size_t want = 2 + (mb->dictionary ? 1 : 0) + (mb->repetition_index_depth ? 1 : 0);
        CHECK_EQ(pg->n_buffer_offsets, want);
        check_mini_block(c, mb, pg->length);
      } else if (pl->layout_case == LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT) {
        const Lance__Encodings21__ConstantLayout *cl = pl->constant_layout;
        CHECK_EQ(cl->opt_inline_value_case, LANCE__ENCODINGS21__CONSTANT_LAYOUT__OPT_INLINE_VALUE__NOT_SET);
        CHECK_EQ(cl->n_layers, 1);
        CHECK_EQ(cl->layers[0], LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM);
        CHECK_EQ(pg->n_buffer_offsets, 0);
        (*n_constant_pages)++;
      } else {
        LP_FAIL("%s col %u: unexpected layout %s", name, c, layout_name(pl));
      }
      page_rows += pg->length;
      lance__encodings21__page_layout__free_unpacked(pl, NULL);
    }
    CHECK_EQ(page_rows, rows);
    lance__file__v2__column_metadata__free_unpacked(cm, NULL);
  }
  free_data_file(&df);
}

/* ---- the second table: one file, one page per column, a different encoding in each ---- */

static const Lance__Encodings21__CompressiveEncoding *expect_case(
    const Lance__Encodings21__CompressiveEncoding *ce,
    Lance__Encodings21__CompressiveEncoding__CompressionCase c) {
  CHECK(ce != NULL);
  CHECK_EQ(ce->compression_case, c);
  return ce;
}
#define CE(name) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##name
#define LAYER(name) LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_##name

static void test_encodings_table(void) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/_versions", g_enc);
  char **names;
  size_t n = list_dir(dir, ".manifest", &names);
  CHECK_EQ(n, 1);
  manifest_file mf = read_manifest(g_enc, names[0]);
  free_names(names, n);
  const Lance__Table__Manifest *m = mf.m;
  CHECK_EQ(m->version, 1);
  /* cat(0) runs(1) long(2) z(3) packed(4){x(5) y(6)} nolist(7){item(8)} */
  static const char *const want_names[] = {"cat", "runs", "long", "z", "packed", "x", "y", "nolist", "item"};
  static const int32_t want_parent[] = {-1, -1, -1, -1, -1, 4, 4, -1, 7};
  CHECK_EQ(m->n_fields, 9);
  for (size_t i = 0; i < 9; i++) {
    CHECK_STR_EQ(m->fields[i]->name, want_names[i]);
    CHECK_EQ(m->fields[i]->id, (int32_t)i);
    CHECK_EQ(m->fields[i]->parent_id, want_parent[i]);
  }
  /* Field metadata: map<string, bytes>. */
  CHECK_EQ(m->fields[3]->n_metadata, 1);
  CHECK_STR_EQ(m->fields[3]->metadata[0]->key, "lance-encoding:compression");
  CHECK_EQ(m->fields[3]->metadata[0]->value.len, 4);
  CHECK(memcmp(m->fields[3]->metadata[0]->value.data, "zstd", 4) == 0);
  CHECK_EQ(m->fields[4]->n_metadata, 1);
  CHECK_STR_EQ(m->fields[4]->metadata[0]->key, "lance-encoding:packed");
  CHECK_STR_EQ(m->fields[7]->logical_type, "list");
  CHECK_EQ(m->n_fragments, 1);
  CHECK_EQ(m->fragments[0]->physical_rows, 1000);
  const Lance__Table__DataFile *dfe = m->fragments[0]->files[0];
  /* A packed struct is one column, listed under the struct's own id. */
  static const int32_t want_leaves[] = {0, 1, 2, 3, 4, 8};
  CHECK_EQ(dfe->n_fields, 6);
  for (size_t i = 0; i < 6; i++) {
    CHECK_EQ(dfe->fields[i], want_leaves[i]);
    CHECK_EQ(dfe->column_indices[i], (int32_t)i);
  }
  Lance__Table__Transaction *t = read_transaction(g_enc, &mf);
  CHECK_EQ(t->operation_case, LANCE__TABLE__TRANSACTION__OPERATION_OVERWRITE);
  CHECK_EQ(t->overwrite->n_schema, 9);
  CHECK_EQ(t->overwrite->n_schema_metadata, 0);
  lance__table__transaction__free_unpacked(t, NULL);

  data_file df = read_data_file(g_enc, dfe->path);
  CHECK_EQ(df.n_cols, 6);
  CHECK_EQ(df.fd->length, 1000);
  CHECK_EQ(df.fd->schema->n_fields, 9);
  CHECK_EQ(df.fd->schema->fields[4]->n_metadata, 1);
  Lance__Encodings21__PageLayout *pl[6];
  Lance__File__V2__ColumnMetadata *cm[6];
  for (uint32_t c = 0; c < 6; c++) {
    cm[c] = read_column(&df, c);
    check_column_encoding(cm[c]);
    CHECK_EQ(cm[c]->n_pages, 1);
    CHECK_EQ(cm[c]->pages[0]->length, 1000);
    CHECK_EQ(cm[c]->pages[0]->priority, 0);
    pl[c] = page_layout(&df, cm[c]->pages[0]);
    if (g_dump) fprintf(stderr, "encodings col %u: %s\n", c, layout_name(pl[c]));
  }

  /* cat: dictionary page, indices inline bit-packed u32, dictionary Variable(Flat 32), nulls. */
  CHECK_EQ(pl[0]->layout_case, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT);
  const Lance__Encodings21__MiniBlockLayout *mb = pl[0]->mini_block_layout;
  CHECK_EQ(expect_case(mb->value_compression, CE(INLINE_BITPACKING))
               ->inline_bitpacking->uncompressed_bits_per_value,
           32);
  CHECK_EQ(
      expect_case(mb->def_compression, CE(INLINE_BITPACKING))->inline_bitpacking->uncompressed_bits_per_value,
      16);
  CHECK(mb->rep_compression == NULL);
  check_inner_flat(expect_case(mb->dictionary, CE(VARIABLE))->variable->offsets, 32);
  CHECK_EQ(mb->num_dictionary_items, 6); /* 5 colours + the "" that null rows point at */
  CHECK_EQ(mb->n_layers, 1);
  CHECK_EQ(mb->layers[0], LAYER(NULLABLE_ITEM));
  CHECK_EQ(mb->num_buffers, 1);
  CHECK_EQ(mb->num_items, 1000);
  CHECK_EQ(cm[0]->pages[0]->n_buffer_offsets, 3);

  /* runs: RLE of (Flat 32 values, Flat 8 lengths), two buffers per chunk. */
  CHECK_EQ(pl[1]->layout_case, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT);
  mb = pl[1]->mini_block_layout;
  const Lance__Encodings21__Rle *rle = expect_case(mb->value_compression, CE(RLE))->rle;
  check_inner_flat(rle->values, 32);
  check_inner_flat(rle->run_lengths, 8);
  CHECK_EQ(mb->num_buffers, 2);
  CHECK(mb->def_compression == NULL);
  CHECK_EQ(mb->layers[0], LAYER(ALL_VALID_ITEM));

  /* long: one 300-byte value makes the page full-zip, with 32-bit length prefixes. */
  CHECK_EQ(pl[2]->layout_case, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT);
  const Lance__Encodings21__FullZipLayout *fz = pl[2]->full_zip_layout;
  CHECK_EQ(fz->details_case, LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET);
  CHECK_EQ(fz->bits_per_offset, 32);
  CHECK_EQ(fz->bits_rep, 0);
  CHECK_EQ(fz->bits_def, 0);
  CHECK_EQ(fz->num_items, 1000);
  CHECK_EQ(fz->num_visible_items, 1000);
  check_inner_flat(expect_case(fz->value_compression, CE(VARIABLE))->variable->offsets, 32);
  CHECK_EQ(fz->n_layers, 1);
  CHECK_EQ(fz->layers[0], LAYER(ALL_VALID_ITEM));
  CHECK_EQ(cm[2]->pages[0]->n_buffer_offsets, 2); /* zipped data + repetition index */

  /* z: field metadata asks for zstd: General(zstd, no level){ByteStreamSplit{Flat 64}}. */
  mb = pl[3]->mini_block_layout;
  CHECK(mb != NULL);
  const Lance__Encodings21__General *gen = expect_case(mb->value_compression, CE(GENERAL))->general;
  CHECK(gen->compression != NULL);
  CHECK_EQ(gen->compression->scheme, LANCE__ENCODINGS21__COMPRESSION_SCHEME__COMPRESSION_ALGORITHM_ZSTD);
  CHECK_EQ(gen->compression->opt_level_case, LANCE__ENCODINGS21__BUFFER_COMPRESSION__OPT_LEVEL__NOT_SET);
  check_inner_flat(expect_case(gen->values, CE(BYTE_STREAM_SPLIT))->byte_stream_split->values, 64);

  /* packed: PackedStruct([32, 64], Flat 96). */
  mb = pl[4]->mini_block_layout;
  CHECK(mb != NULL);
  const Lance__Encodings21__PackedStruct *ps =
      expect_case(mb->value_compression, CE(PACKED_STRUCT))->packed_struct;
  CHECK_EQ(ps->n_bits_per_value, 2);
  CHECK_EQ(ps->bits_per_value[0], 32);
  CHECK_EQ(ps->bits_per_value[1], 64);
  check_inner_flat(ps->values, 96);

  /* nolist: every row a null list: constant layout, raw u16 rep and def buffers. */
  CHECK_EQ(pl[5]->layout_case, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT);
  const Lance__Encodings21__ConstantLayout *cl = pl[5]->constant_layout;
  CHECK_EQ(cl->n_layers, 2);
  CHECK_EQ(cl->layers[0], LAYER(ALL_VALID_ITEM));
  CHECK_EQ(cl->layers[1], LAYER(NULLABLE_LIST));
  CHECK_EQ(cl->opt_inline_value_case, LANCE__ENCODINGS21__CONSTANT_LAYOUT__OPT_INLINE_VALUE__NOT_SET);
  CHECK(cl->rep_compression == NULL && cl->def_compression == NULL);
  CHECK_EQ(cl->num_rep_values, 0); /* 8.0.0 does not fill these in for 2.1 */
  CHECK_EQ(cl->num_def_values, 0);
  CHECK_EQ(cm[5]->pages[0]->n_buffer_offsets, 2);
  CHECK_EQ(cm[5]->pages[0]->buffer_sizes[0], 2000);
  CHECK_EQ(cm[5]->pages[0]->buffer_sizes[1], 2000);

  for (size_t c = 0; c < 6; c++) {
    lance__encodings21__page_layout__free_unpacked(pl[c], NULL);
    lance__file__v2__column_metadata__free_unpacked(cm[c], NULL);
  }
  free_data_file(&df);
  lance__table__manifest__free_unpacked(mf.m, NULL);
  free(mf.file.data);
}

/* ---- tests ---- */

static void test_manifests_and_transactions(void) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/_versions", g_table);
  char **names;
  size_t n = list_dir(dir, ".manifest", &names);
  CHECK_EQ(n, N_VERSIONS);
  seen_files seen = {{0}, {0}, 0};
  for (size_t i = 0; i < n; i++) check_manifest_file(names[i], &seen);
  free_names(names, n);

  /* Every .txn file decodes and is referenced by exactly one manifest (checked above by name). */
  snprintf(dir, sizeof dir, "%s/_transactions", g_table);
  n = list_dir(dir, ".txn", &names);
  CHECK_EQ(n, N_VERSIONS);
  for (size_t i = 0; i < n; i++) {
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    blob b = read_all(path);
    Lance__Table__Transaction *t = lance__table__transaction__unpack(NULL, b.len, b.data);
    if (t == NULL) LP_FAIL("%s does not decode", names[i]);
    CHECK_NE(t->operation_case, LANCE__TABLE__TRANSACTION__OPERATION__NOT_SET);
    lance__table__transaction__free_unpacked(t, NULL);
    free(b.data);
  }
  free_names(names, n);

  /* Every data file in data/ is referenced by some manifest. */
  snprintf(dir, sizeof dir, "%s/data", g_table);
  n = list_dir(dir, ".lance", &names);
  CHECK_EQ(n, seen.n_data_files);
  for (size_t i = 0; i < seen.n_data_files; i++) free(seen.data_files[i]);
  free_names(names, n);
}

static void test_data_files(void) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/data", g_table);
  char **names;
  size_t n = list_dir(dir, ".lance", &names);
  CHECK_EQ(n, 5);
  size_t n_constant = 0;
  for (size_t i = 0; i < n; i++) check_data_file(names[i], &n_constant);
  /* The update's one-row file holds id 1, whose i64 is null: an all-null (constant) page. */
  CHECK_EQ(n_constant, 1);
  free_names(names, n);
}

/* Presence via single-member oneofs: 0 is written when set, nothing when not. */
static void test_presence_encoding(void) {
  Lance__Table__Manifest m = LANCE__TABLE__MANIFEST__INIT;
  CHECK_EQ(lance__table__manifest__get_packed_size(&m), 0);
  m.opt_max_fragment_id_case = LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID_MAX_FRAGMENT_ID;
  m.max_fragment_id = 0;
  m.opt_transaction_section_case = LANCE__TABLE__MANIFEST__OPT_TRANSACTION_SECTION_TRANSACTION_SECTION;
  m.transaction_section = 0;
  uint8_t buf[16];
  size_t n = lance__table__manifest__pack(&m, buf);
  static const uint8_t want[] = {0x58, 0x00, 0xa8, 0x01, 0x00}; /* #11 = 0, #21 = 0 */
  CHECK_EQ(n, sizeof want);
  CHECK(memcmp(buf, want, n) == 0);

  /* parent_id -1 is a 10-byte varint; DataFile.fields are packed. */
  Lance__File__Field f = LANCE__FILE__FIELD__INIT;
  f.name = "id";
  f.parent_id = -1;
  n = lance__file__field__pack(&f, buf);
  static const uint8_t want_f[] = {0x12, 0x02, 'i',  'd',  0x20, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK_EQ(n, sizeof want_f);
  CHECK(memcmp(buf, want_f, n) == 0);
  Lance__Table__DataFile df = LANCE__TABLE__DATA_FILE__INIT;
  int32_t ids[] = {0, 2};
  df.n_fields = 2;
  df.fields = ids;
  n = lance__table__data_file__pack(&df, buf);
  static const uint8_t want_df[] = {0x12, 0x02, 0x00, 0x02};
  CHECK_EQ(n, sizeof want_df);
  CHECK(memcmp(buf, want_df, n) == 0);

  /* The ColumnEncoding constant every 2.1 column carries. */
  Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
  Lance__Encodings__ColumnEncoding ce = LANCE__ENCODINGS__COLUMN_ENCODING__INIT;
  ce.column_encoding_case = LANCE__ENCODINGS__COLUMN_ENCODING__COLUMN_ENCODING_VALUES;
  ce.values = &empty;
  n = lance__encodings__column_encoding__pack(&ce, buf);
  CHECK_EQ(n, 2);
  CHECK(buf[0] == 0x0a && buf[1] == 0x00);

  /* A stable row id sequence from table-format.md 5.7: range 0..20. */
  static const uint8_t rowids[] = {0x0a, 0x04, 0x0a, 0x02, 0x10, 0x14};
  Lance__Table__RowIdSequence *seq = lance__table__row_id_sequence__unpack(NULL, sizeof rowids, rowids);
  CHECK(seq != NULL);
  CHECK_EQ(seq->n_segments, 1);
  CHECK_EQ(seq->segments[0]->segment_case, LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE);
  CHECK_EQ(seq->segments[0]->range->start, 0);
  CHECK_EQ(seq->segments[0]->range->end, 20);
  lance__table__row_id_sequence__free_unpacked(seq, NULL);
}

int main(void) {
  find_table();
  g_dump = getenv("LP_PROTO_DUMP") != NULL;
  RUN_TEST(test_presence_encoding);
  RUN_TEST(test_manifests_and_transactions);
  RUN_TEST(test_data_files);
  RUN_TEST(test_encodings_table);
  return 0;
}
