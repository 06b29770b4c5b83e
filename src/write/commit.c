/* Committing versions (see commit.h). */
#include "write/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/datafile_write.h"
#include "io/io.h"
#include "table/versions.h"
#include "format/write_schema.h"
#include "write/write_int.h"

#define DEFAULT_ATTEMPTS 100
#define BACKOFF_BASE_US 1000    /* first retry waits up to this long (randomized) */
#define BACKOFF_MAX_US 50000    /* the randomized wait doubles per attempt up to this */
#define WRITER_LIBRARY "lancepool"
#define WRITER_VERSION LP_VERSION_STRING /* the project version, from CMakeLists.txt */
#define FLAG_DELETIONS 1u
#define FLAG_STABLE_ROW_IDS 2u
#define FLAG_CONFIG 8u
#define FLAG_BASE_PATHS 16u
#define KNOWN_FLAGS 0x3Fu

/* ---- reading a base version ------------------------------------------------------------------------ */

static uint64_t rd_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static uint32_t rd_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* A length-prefixed section at `off` of the file: its payload. */
static lp_status section_at(const lp__base *b, uint64_t off, const uint8_t **out, size_t *out_len, const char *path,
                            lp_error *err) {
  if (off > b->file_len || b->file_len - off < 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: section offset %" PRIu64 " outside the file", path, off);
  uint32_t n = rd_u32(b->file + off);
  if (n > b->file_len - off - 4) return lp_error_set(err, LP_ECORRUPT, "%s: section at %" PRIu64 " overruns the file", path, off);
  *out = b->file + off + 4;
  *out_len = n;
  return LP_OK;
}

static lp_status base_parse(lp__base *b, const char *path, bool decode, lp_error *err) {
  if (b->file_len < 20 || memcmp(b->file + b->file_len - 4, "LANC", 4) != 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: not a Lance manifest (no LANC footer)", path);
  uint64_t pos = rd_u64(b->file + b->file_len - 16);
  const uint8_t *msg = NULL; /* set by section_at; initialised for GCC's -O3 flow analysis */
  size_t msg_len = 0;
  LP_TRY(section_at(b, pos, &msg, &msg_len, path, err));
  if (pos + 4 + msg_len != b->file_len - 16)
    return lp_error_set(err, LP_ECORRUPT, "%s: manifest does not end at the footer", path);
  b->pb = lance__table__manifest__unpack(NULL, msg_len, msg);
  if (b->pb == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: the Manifest message does not decode", path);
  if (b->pb->opt_index_section_case == LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION_INDEX_SECTION)
    LP_TRY(section_at(b, b->pb->index_section, &b->index, &b->index_len, path, err));
  if (b->pb->opt_transaction_section_case == LANCE__TABLE__MANIFEST__OPT_TRANSACTION_SECTION_TRANSACTION_SECTION) {
    const uint8_t *txn = NULL;
    size_t txn_len = 0;
    LP_TRY(section_at(b, b->pb->transaction_section, &txn, &txn_len, path, err));
    b->txn = lance__table__transaction__unpack(NULL, txn_len, txn); /* NULL: an unknown operation */
  }
  if (!decode) return LP_OK;
  LP_TRY(lp__manifest_decode(b->file, b->file_len, path, &b->m, err));
  if (b->m->n_fragments != b->pb->n_fragments)
    return lp_error_set(err, LP_ECORRUPT, "%s: fragment count mismatch", path);
  b->version = b->m->version;
  return LP_OK;
}

lp_status lp__base_from_bytes(const uint8_t *bytes, size_t len, const char *path, lp__base *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  out->file = malloc(len ? len : 1);
  if (out->file == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  memcpy(out->file, bytes, len);
  out->file_len = len;
  lp_status rc = base_parse(out, path, true, err);
  if (rc != LP_OK) lp__base_reset(out);
  return rc;
}

/* Version `version` of a table in a store: its V2-named manifest, else the V1 name (one GET each). */
static lp_status base_load_store(const lp__stage *s, uint64_t version, bool decode, lp__base *out, lp_error *err) {
  lp_status rc = LP_ENOTFOUND;
  for (int v2 = 1; v2 >= 0 && rc == LP_ENOTFOUND; v2--) {
    char name[32], sub[64];
    lp__version_manifest_name(version, v2, name);
    snprintf(sub, sizeof sub, "_versions/%s", name);
    char *key = NULL;
    LP_TRY(lp__stage_key(s, sub, &key, err));
    rc = lp__storage_read(s->store, key, 0, -1, &out->file, &out->file_len, err);
    if (rc == LP_OK) rc = base_parse(out, key, decode, err);
    if (rc == LP_OK) out->v1_name = !v2;
    free(key);
  }
  return rc;
}

static lp_status base_load(const char *table_dir, uint64_t version, bool decode, lp__base *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  const lp__stage *stage = lp__stage_find(table_dir);
  if (stage != NULL) {
    lp_status rc = base_load_store(stage, version, decode, out, err);
    if (rc != LP_OK) lp__base_reset(out);
    return rc;
  }
  char *path = NULL;
  LP_TRY(lp__version_manifest_path(table_dir, version, &path, err));
  lp_status rc = lp__read_file(path, LP__MAX_META_FILE_BYTES, &out->file, &out->file_len, err);
  if (rc == LP_OK) rc = base_parse(out, path, decode, err);
  const char *slash = strrchr(path, '/');
  uint64_t named;
  bool is_v2 = true;
  if (rc == LP_OK && slash != NULL && lp__version_parse_name(slash + 1, &named, &is_v2)) out->v1_name = !is_v2;
  free(path);
  if (rc != LP_OK) lp__base_reset(out);
  return rc;
}

/* The latest version of a table: for a store by one listing of _versions/ (no hint file there, as in
 * LanceDB), else as lp__version_latest. */
static lp_status latest_version(const char *table_dir, lp__version_hints *hints, uint64_t *out, lp_error *err) {
  const lp__stage *stage = lp__stage_find(table_dir);
  if (stage != NULL) return lp__stage_latest(stage, out, err);
  return lp__version_latest(table_dir, hints, out, NULL, err);
}

lp_status lp__base_load(const char *table_dir, uint64_t version, lp__base *out, lp_error *err) {
  return base_load(table_dir, version, true, out, err);
}

lp_status lp__base_load_raw(const char *table_dir, uint64_t version, lp__base *out, lp_error *err) {
  return base_load(table_dir, version, false, out, err);
}

lp_status lp__base_load_latest(const char *table_dir, lp__version_hints *hints, lp__base *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  uint64_t latest = 0;
  LP_TRY(latest_version(table_dir, hints, &latest, err));
  return lp__base_load(table_dir, latest, out, err);
}

void lp__base_reset(lp__base *b) {
  if (b == NULL) return;
  free(b->file);
  if (b->pb) lance__table__manifest__free_unpacked(b->pb, NULL);
  if (b->txn) lance__table__transaction__free_unpacked(b->txn, NULL);
  lp__manifest_unref(b->m);
  memset(b, 0, sizeof *b);
}

lp_status lp__plan_init(lp__plan *p, lp_error *err) {
  memset(p, 0, sizeof *p);
  p->arena = lp__arena_new();
  if (p->arena == NULL) return lp_error_set(err, LP_ENOMEM, "commit: out of memory");
  return LP_OK;
}

void lp__plan_reset(lp__plan *p) {
  if (p == NULL) return;
  lp__arena_free(p->arena);
  for (size_t i = 0; i < p->n_sync_paths; i++) free(p->sync_paths[i]);
  free(p->sync_paths);
  memset(p, 0, sizeof *p);
}

lp_status lp__plan_status(const lp__plan *p, const char *what, lp_error *err) {
  if (p->arena == NULL || lp__arena_failed(p->arena)) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  return LP_OK;
}

lp_status lp__plan_sync(lp__plan *p, const char *path, lp_error *err) {
  char **np = realloc(p->sync_paths, (p->n_sync_paths + 1) * sizeof *np);
  if (np == NULL) return lp_error_set(err, LP_ENOMEM, "commit: out of memory");
  p->sync_paths = np;
  if ((np[p->n_sync_paths] = strdup(path)) == NULL) return lp_error_set(err, LP_ENOMEM, "commit: out of memory");
  p->n_sync_paths++;
  return LP_OK;
}

/* ---- fragments ------------------------------------------------------------------------------------- */

Lance__Table__DataFragment *lp__fragment_new(lp__arena *a, uint64_t id, const lp__dfw_result *file) {
  const int32_t *field_ids = file->field_ids;
  size_t n_columns = file->n_columns;
  Lance__Table__DataFragment *fr = lp__arena_msg(a, &lance__table__data_fragment__descriptor);
  Lance__Table__DataFile *df = lp__arena_msg(a, &lance__table__data_file__descriptor);
  Lance__Table__DataFile **files = lp__arena_alloc(a, sizeof *files);
  int32_t *ids = lp__arena_alloc(a, (n_columns ? n_columns : 1) * sizeof *ids);
  int32_t *cols = lp__arena_alloc(a, (n_columns ? n_columns : 1) * sizeof *cols);
  char *path = lp__arena_strdup(a, file->name);
  if (!fr || !df || !files || !ids || !cols || !path) return NULL;
  for (size_t i = 0; i < n_columns; i++) {
    ids[i] = field_ids[i];
    cols[i] = (int32_t)i;
  }
  df->path = path;
  df->n_fields = df->n_column_indices = n_columns;
  df->fields = ids;
  df->column_indices = cols;
  lp__file_version_numbers(file->version, &df->file_major_version, &df->file_minor_version);
  df->file_size_bytes = file->size_bytes;
  files[0] = df;
  fr->id = id;
  fr->n_files = 1;
  fr->files = files;
  fr->physical_rows = file->n_rows;
  return fr;
}

Lance__Table__DataFragment *lp__fragment_with_deletion(lp__arena *a, const Lance__Table__DataFragment *f,
                                                       const lp__deletion_ref *del) {
  Lance__Table__DataFragment *fr = lp__arena_alloc(a, sizeof *fr);
  if (fr == NULL) return NULL;
  *fr = *f; /* shallow: files, row id sequences and unknown fields are shared with f */
  fr->deletion_file = NULL;
  if (del) {
    Lance__Table__DeletionFile *d = lp__arena_msg(a, &lance__table__deletion_file__descriptor);
    if (d == NULL) return NULL;
    d->file_type = del->kind ? LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP
                             : LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__ARROW_ARRAY;
    d->read_version = del->read_version;
    d->id = del->id;
    d->num_deleted_rows = del->num_deleted_rows;
    fr->deletion_file = d;
  }
  return fr;
}

/* ---- building the manifest ---------------------------------------------------------------------- */

/* m's config (shared with the base, so copied first) with entry key set to value. */
static lp_status set_config_entry(lp__arena *a, Lance__Table__Manifest *m, const char *key, const char *value) {
  Lance__Table__Manifest__ConfigEntry **c = lp__arena_alloc(a, (m->n_config + 1) * sizeof *c);
  Lance__Table__Manifest__ConfigEntry *e = lp__arena_msg(a, &lance__table__manifest__config_entry__descriptor);
  if (c == NULL || e == NULL) return LP_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < m->n_config; i++)
    if (strcmp(m->config[i]->key, key) != 0) c[n++] = m->config[i];
  e->key = lp__arena_strdup(a, key);
  e->value = lp__arena_strdup(a, value);
  if (e->key == NULL || e->value == NULL) return LP_ENOMEM;
  c[n++] = e;
  m->config = c;
  m->n_config = n;
  return LP_OK;
}

/* The Manifest message of `version`, in the plan's arena. `src` is the version whose other fields are
 * carried over (NULL on create): its message is copied shallowly, so every field this code does not set
 * -- also fields it does not know, which protobuf-c kept as unknown fields -- is written back as it was. */
static Lance__Table__Manifest *build_manifest(const lp__plan *plan, const lp__base *src, uint64_t version,
                                              const char *txn_name, bool has_index, uint64_t index_off,
                                              uint64_t txn_off, lp_error *err) {
  lp__arena *a = plan->arena;
  Lance__Table__Manifest *m = lp__arena_msg(a, &lance__table__manifest__descriptor);
  if (m == NULL) goto oom;
  if (src) *m = *src->pb;
  bool has_config = !plan->schema && m->n_config > 0;
  if (plan->schema) {
    if (lp__wschema_to_pb(plan->schema, a, &m->fields, &m->n_fields, err) != LP_OK ||
        lp__wschema_metadata_to_pb(plan->schema, a, &lance__table__manifest__schema_metadata_entry__descriptor,
                                   (void ***)&m->schema_metadata, &m->n_schema_metadata, err) != LP_OK)
      return NULL;
    m->n_config = 0; /* an overwrite drops the table config */
    m->config = NULL;
  }
  if (plan->config_key && set_config_entry(a, m, plan->config_key, plan->config_value) != LP_OK) goto oom;
  has_config = m->n_config > 0;
  m->n_fragments = plan->fragments.n;
  m->fragments = (Lance__Table__DataFragment **)plan->fragments.v;
  m->version = version;
  m->version_aux_data = 0;
  m->tag = (char *)protobuf_c_empty_string;
  m->opt_index_section_case = has_index ? LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION_INDEX_SECTION
                                        : LANCE__TABLE__MANIFEST__OPT_INDEX_SECTION__NOT_SET;
  m->index_section = index_off;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  Google__Protobuf__Timestamp *t = lp__arena_msg(a, &google__protobuf__timestamp__descriptor);
  Lance__Table__Manifest__WriterVersion *wv = lp__arena_msg(a, &lance__table__manifest__writer_version__descriptor);
  if (t == NULL || wv == NULL) goto oom;
  t->seconds = (int64_t)ts.tv_sec;
  t->nanos = (int32_t)ts.tv_nsec;
  m->timestamp = t;
  uint64_t flags = plan->has_deletions ? FLAG_DELETIONS : 0;
  m->reader_feature_flags = flags;
  m->writer_feature_flags = flags | (has_config ? FLAG_CONFIG : 0);
  m->opt_max_fragment_id_case = plan->has_max_fragment_id ? LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID_MAX_FRAGMENT_ID
                                                          : LANCE__TABLE__MANIFEST__OPT_MAX_FRAGMENT_ID__NOT_SET;
  m->max_fragment_id = (uint32_t)plan->max_fragment_id;
  m->transaction_file = lp__arena_strdup(a, txn_name);
  wv->library = (char *)WRITER_LIBRARY;
  wv->version = (char *)WRITER_VERSION;
  m->writer_version = wv;
  if (m->data_format == NULL || plan->data_format != NULL) {
    Lance__Table__Manifest__DataStorageFormat *df = lp__arena_msg(a, &lance__table__manifest__data_storage_format__descriptor);
    if (df == NULL) goto oom;
    df->file_format = (char *)"lance";
    df->version = (char *)(plan->data_format ? plan->data_format : "2.1");
    m->data_format = df;
  }
  m->opt_transaction_section_case = LANCE__TABLE__MANIFEST__OPT_TRANSACTION_SECTION_TRANSACTION_SECTION;
  m->transaction_section = txn_off;
  if (m->transaction_file == NULL || lp__arena_failed(a)) goto oom;
  return m;
oom:
  lp_error_set(err, LP_ENOMEM, "manifest: out of memory");
  return NULL;
}

/* The Transaction message of an attempt. */
static Lance__Table__Transaction *build_transaction(const lp__plan *plan, uint64_t read_version, const char *uuid) {
  Lance__Table__Transaction *t = lp__arena_msg(plan->arena, &lance__table__transaction__descriptor);
  if (t == NULL) return NULL;
  t->read_version = read_version;
  t->uuid = lp__arena_strdup(plan->arena, uuid);
  t->operation_case = (Lance__Table__Transaction__OperationCase)plan->op;
  switch (plan->op) { /* every operation member shares the union: set it through the one we have */
    case LP__OP_APPEND: t->append = (Lance__Table__Transaction__Append *)plan->op_msg; break;
    case LP__OP_DELETE: t->delete_ = (Lance__Table__Transaction__Delete *)plan->op_msg; break;
    case LP__OP_OVERWRITE: t->overwrite = (Lance__Table__Transaction__Overwrite *)plan->op_msg; break;
    case LP__OP_REWRITE: t->rewrite = (Lance__Table__Transaction__Rewrite *)plan->op_msg; break;
    case LP__OP_RESTORE: t->restore = (Lance__Table__Transaction__Restore *)plan->op_msg; break;
    case LP__OP_UPDATE: t->update = (Lance__Table__Transaction__Update *)plan->op_msg; break;
    case LP__OP_MERGE: t->merge = (Lance__Table__Transaction__Merge *)plan->op_msg; break;
    case LP__OP_PROJECT: t->project = (Lance__Table__Transaction__Project *)plan->op_msg; break;
    case LP__OP_UPDATE_CONFIG: t->update_config = (Lance__Table__Transaction__UpdateConfig *)plan->op_msg; break;
    default: return NULL;
  }
  return t->uuid && plan->op_msg ? t : NULL;
}

/* Pack a message into a new malloc'd buffer. */
static lp_status pack(const ProtobufCMessage *m, uint8_t **out, size_t *out_len, const char *what, lp_error *err) {
  size_t n = protobuf_c_message_get_packed_size(m);
  *out = malloc(n ? n : 1);
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", what);
  *out_len = protobuf_c_message_pack(m, *out);
  return LP_OK;
}

/* ---- files --------------------------------------------------------------------------------------- */

/* Write bytes to dir/name through a temporary file and rename (fsync first when durable). */
static lp_status write_file_atomic(const char *dir, const char *name, const void *data, size_t len, bool durable,
                                   lp_error *err) {
  char tmp[4096], final_path[4096];
  snprintf(tmp, sizeof tmp, "%s/.tmpXXXXXX", dir);
  snprintf(final_path, sizeof final_path, "%s/%s", dir, name);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create a file", dir);
  lp_status rc = lp__write_all(fd, data, len, tmp, err);
  if (rc == LP_OK && durable && fsync(fd) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: fsync failed", tmp);
  close(fd);
  if (rc == LP_OK && rename(tmp, final_path) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: rename failed", final_path);
  if (rc != LP_OK) unlink(tmp);
  return rc;
}

static void v2_name(uint64_t version, char out[64]) { snprintf(out, 64, "%020" PRIu64 ".manifest", UINT64_MAX - version); }

/* Add `path` to list (a set of at most cap borrowed or owned strings) unless present. */
static void sync_list_add(const char **list, size_t *n, size_t cap, const char *path) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp(list[i], path) == 0) return;
  if (*n < cap) list[(*n)++] = path;
}

/* The durability barrier before a version becomes visible: the plan's data and deletion files, the
 * transaction file, the staged manifest, and the directories holding their names, all fsynced at once.
 *
 * Order of a durable commit (each step completes before the next starts):
 *   1. data files, deletion files, the transaction file (renamed into place) and the staged manifest are
 *      written without fsync: none of them is reachable from any version yet;
 *   2. this barrier: fsync of all those files and of data/, _deletions/, _transactions/ together;
 *   3. link(staged manifest, final name) publishes the version (readers see it from now on);
 *   4. fsync of _versions/ makes the publication itself durable; only then does the commit report success.
 * A crash before 3 leaves only unreferenced files (cleanup removes them); after 3 everything the version
 * refers to is already on disk. */
static lp_status sync_before_publish(const lp__plan *plan, const char *txn_path, const char *staging, lp_error *err) {
  size_t cap = 3 * plan->n_sync_paths + 6, n = 0;
  const char **list = calloc(cap, sizeof *list);
  char **dirs = calloc(2 * plan->n_sync_paths + 4, sizeof *dirs);
  lp_status rc = LP_OK;
  if (list == NULL || dirs == NULL) rc = lp_error_set(err, LP_ENOMEM, "commit: out of memory");
  size_t n_dirs = 0;
  for (size_t i = 0; rc == LP_OK && i < plan->n_sync_paths + 1; i++) {
    const char *p = i < plan->n_sync_paths ? plan->sync_paths[i] : txn_path;
    sync_list_add(list, &n, cap, p);
    const char *slash = strrchr(p, '/');
    if (slash == NULL) continue;
    if ((dirs[n_dirs] = strndup(p, (size_t)(slash - p))) == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "commit: out of memory");
      break;
    }
    sync_list_add(list, &n, cap, dirs[n_dirs]);
    /* and the table directory: data/ or _deletions/ may have been created for this commit */
    const char *up = strrchr(dirs[n_dirs++], '/');
    if (up == NULL) continue;
    if ((dirs[n_dirs] = strndup(p, (size_t)(up - dirs[n_dirs - 1]))) == NULL) {
      rc = lp_error_set(err, LP_ENOMEM, "commit: out of memory");
      break;
    }
    sync_list_add(list, &n, cap, dirs[n_dirs++]);
  }
  if (rc == LP_OK) {
    sync_list_add(list, &n, cap, staging);
    rc = lp__fsync_paths(list, n, err);
  }
  for (size_t i = 0; i < n_dirs; i++) free(dirs[i]);
  free(dirs);
  free(list);
  return rc;
}

/* Publish the manifest bytes as `version` with staging file + link(). LP_EEXIST when the version is taken. */
static lp_status publish(const char *table_dir, uint64_t version, bool v1_names, const uint8_t *file,
                         size_t file_len, const lp__plan *plan, const char *txn_path, bool durable, lp_error *err) {
  char vdir[4096], name[64], final_path[4200], staging[4300];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  if (v1_names)
    snprintf(name, sizeof name, "%" PRIu64 ".manifest", version);
  else
    v2_name(version, name);
  snprintf(final_path, sizeof final_path, "%s/%s", vdir, name);
  snprintf(staging, sizeof staging, "%s#%016" PRIx64, final_path, lp__random_u64());
  int fd = open(staging, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create the staged manifest", vdir);
  lp_status rc = lp__write_all(fd, file, file_len, staging, err);
  if (close(fd) != 0 && rc == LP_OK) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: close failed", staging);
  if (rc == LP_OK && durable) rc = sync_before_publish(plan, txn_path, staging, err);
  if (rc == LP_OK && link(staging, final_path) != 0) {
    int e = errno;
    rc = e == EEXIST ? lp_error_set(err, LP_EEXIST, "%s: version %" PRIu64 " already committed", table_dir, version)
                     : lp_error_set_errno(err, LP_EIO, e, "%s: cannot publish the manifest", final_path);
  }
  unlink(staging);
  if (rc == LP_OK) rc = lp__fsync_dir(vdir, durable, err);
  return rc;
}

/* Publish on a store: upload the files the version refers to and its transaction (plain PUTs), then the
 * manifest with If-None-Match: * — the commit itself. LP_EEXIST when another writer took the version
 * (HTTP 412), as the local link(). A transaction left by a failed attempt is deleted again. */
static lp_status publish_store(lp__stage *stage, uint64_t version, bool v1_names, const uint8_t *file,
                               size_t file_len, const lp__plan *plan, const char *txn_name, const uint8_t *txn,
                               size_t txn_len, lp_error *err) {
  char name[32], sub[300];
  lp__version_manifest_name(version, !v1_names, name);
  char *txn_key = NULL, *man_key = NULL;
  snprintf(sub, sizeof sub, "_transactions/%s", txn_name);
  lp_status rc = lp__stage_upload(stage, plan->sync_paths, plan->n_sync_paths, err);
  if (rc == LP_OK) rc = lp__stage_key(stage, sub, &txn_key, err);
  if (rc == LP_OK) rc = lp__storage_put(stage->store, txn_key, txn, txn_len, false, err);
  snprintf(sub, sizeof sub, "_versions/%s", name);
  if (rc == LP_OK) rc = lp__stage_key(stage, sub, &man_key, err);
  bool txn_sent = rc == LP_OK;
  if (rc == LP_OK) rc = lp__storage_put(stage->store, man_key, file, file_len, true, err);
  if (rc == LP_ECONFLICT)
    rc = lp_error_set(err, LP_EEXIST, "%s: version %" PRIu64 " already committed", stage->table, version);
  if (rc != LP_OK && txn_sent) (void)lp__storage_delete(stage->store, txn_key, NULL); /* no version refers to it */
  free(txn_key);
  free(man_key);
  return rc;
}

static void write_hint(const char *table_dir, uint64_t version, bool durable) {
  char vdir[4096], body[64];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  int n = snprintf(body, sizeof body, "{\"version\":%" PRIu64 "}", version);
  (void)write_file_atomic(vdir, "latest_version_hint.json", body, (size_t)n, durable, NULL); /* only a hint */
}

uint32_t lp__base_txn_op(const lp__base *b) { return b->txn ? (uint32_t)b->txn->operation_case : 0; }

/* After losing a race: may `mine` be rebased over the versions committed since `read_version`? */
static lp_status check_conflicts(const char *table_dir, uint64_t read_version, uint64_t latest, uint32_t mine,
                                 lp_error *err) {
  for (uint64_t v = read_version + 1; v <= latest; v++) {
    lp__base b;
    lp_status rc = lp__base_load(table_dir, v, &b, err);
    if (rc == LP_ENOTFOUND) continue; /* cleaned up meanwhile */
    if (rc != LP_OK) return rc;
    uint32_t theirs = lp__base_txn_op(&b);
    lp__base_reset(&b);
    if (mine == LP__OP_OVERWRITE) continue; /* an overwrite replaces whatever happened */
    if (theirs == LP__OP_OVERWRITE || theirs == LP__OP_RESTORE || theirs == 0)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " was committed concurrently by an %s; retry the operation",
                          lp__table_dir_name(table_dir), v, theirs == 0 ? "unknown operation" : theirs == LP__OP_RESTORE ? "restore" : "overwrite");
    if (mine == LP__OP_REWRITE && theirs != LP__OP_APPEND && theirs != LP__OP_CREATE_INDEX)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " changed fragments concurrently with a compaction; retry",
                          lp__table_dir_name(table_dir), v);
    if (mine == LP__OP_RESTORE)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " was committed concurrently with a restore", lp__table_dir_name(table_dir), v);
  }
  return LP_OK;
}

static lp_status check_base_flags(const char *table_dir, const lp__base *b, lp_error *err) {
  uint64_t both = b->m->reader_flags | b->m->writer_flags;
  if ((b->m->writer_flags & ~(uint64_t)KNOWN_FLAGS) || (both & (FLAG_STABLE_ROW_IDS | FLAG_BASE_PATHS)))
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: version %" PRIu64 " uses features this writer does not implement (flags %" PRIu64 "/%" PRIu64 ")",
                        lp__table_dir_name(table_dir), b->version, b->m->reader_flags, b->m->writer_flags);
  return LP_OK;
}

/* v as n little-endian bytes. */
static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The manifest file: [u32 len][IndexSection] (when kept) [u32 len][Transaction] [u32 len][Manifest], then
 * the footer: u64 offset of the manifest's length prefix, u16 major 0, u16 minor 2, "LANC". */
lp_status lp__manifest_file_build(const lp__plan *plan, const lp__base *src, bool has_index, const uint8_t *txn,
                                  size_t txn_len, uint64_t version, const char *txn_name, uint8_t **out,
                                  size_t *out_len, lp_error *err) {
  const uint8_t *index = plan->index_section ? plan->index_section : has_index ? src->index : NULL;
  size_t index_len = plan->index_section ? plan->index_section_len : has_index ? src->index_len : 0;
  has_index = index != NULL;
  size_t txn_off = has_index ? 4 + index_len : 0;
  size_t man_off = txn_off + 4 + txn_len;
  Lance__Table__Manifest *m = build_manifest(plan, src, version, txn_name, has_index, 0, txn_off, err);
  if (m == NULL) return err ? err->code : LP_ENOMEM;
  size_t man_len = protobuf_c_message_get_packed_size(&m->base);
  if (man_len > UINT32_MAX || txn_len > UINT32_MAX || index_len > UINT32_MAX)
    return lp_error_set(err, LP_EUNSUPPORTED, "manifest: a section exceeds 4 GiB");
  size_t total = man_off + 4 + man_len + 16;
  uint8_t *f = malloc(total);
  if (f == NULL) return lp_error_set(err, LP_ENOMEM, "manifest: out of memory");
  if (has_index) {
    put_le(f, index_len, 4);
    memcpy(f + 4, index, index_len); /* indices are carried over verbatim unless the plan replaces them */
  }
  put_le(f + txn_off, txn_len, 4);
  memcpy(f + txn_off + 4, txn, txn_len);
  put_le(f + man_off, man_len, 4);
  protobuf_c_message_pack(&m->base, f + man_off + 4);
  uint8_t *foot = f + man_off + 4 + man_len;
  put_le(foot, man_off, 8);
  put_le(foot + 8, 0, 2);
  put_le(foot + 10, 2, 2);
  memcpy(foot + 12, "LANC", 4);
  *out = f;
  *out_len = total;
  return LP_OK;
}

/* One attempt: build and publish version base->version + 1. */
static lp_status attempt(const char *table_dir, const lp__commit_opts *o, const lp__base *base, const lp__plan *plan,
                         uint64_t *out_version, lp_error *err) {
  uint64_t read_version = base->version, version = read_version + 1;
  char uuid[37], txn_name[128], dir[4096], txn_path[4300];
  lp__uuid(uuid);
  snprintf(txn_name, sizeof txn_name, "%" PRIu64 "-%s.txn", read_version, uuid);
  snprintf(dir, sizeof dir, "%s/_transactions", table_dir);
  snprintf(txn_path, sizeof txn_path, "%s/%s", dir, txn_name);
  uint8_t *txn = NULL, *file = NULL;
  size_t txn_len = 0, file_len = 0;
  Lance__Table__Transaction *t = build_transaction(plan, read_version, uuid);
  lp_status rc = t ? pack(&t->base, &txn, &txn_len, "transaction", err)
                   : lp_error_set(err, LP_ENOMEM, "transaction: out of memory");
  if (rc != LP_OK) return rc;
  lp__stage *stage = lp__stage_find(table_dir);
  if (stage == NULL && mkdir(dir, 0755) != 0 && errno != EEXIST) {
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create directory", dir);
    goto done;
  }
  if (stage == NULL) rc = write_file_atomic(dir, txn_name, txn, txn_len, false, err); /* synced by publish() */
  if (rc != LP_OK) goto done;
  const lp__base *src = plan->content ? plan->content : (base->version ? base : NULL);
  bool has_index = plan->keep_index && src && src->index;
  bool v1 = base->version && base->v1_name;
  rc = lp__manifest_file_build(plan, src, has_index, txn, txn_len, version, txn_name, &file, &file_len, err);
  if (rc == LP_OK && stage != NULL)
    rc = publish_store(stage, version, v1, file, file_len, plan, txn_name, txn, txn_len, err);
  else if (rc == LP_OK)
    rc = publish(table_dir, version, v1, file, file_len, plan, txn_path, o->durable, err);
  if (rc != LP_OK && stage == NULL)
    unlink(txn_path); /* not referenced by any version */
  else
    *out_version = version;
done:
  free(txn);
  free(file);
  return rc;
}

/* The first attempt's base: the caller's preloaded one when no version came after it, else the latest
 * read now. The preloaded base is consumed either way. */
static lp_status take_preloaded(const char *table_dir, const lp__commit_opts *o, lp__base *out, lp_error *err) {
  lp__base *pre = o->preloaded;
  if (pre == NULL || pre->version == 0) {
    lp__base_reset(pre);
    return lp__base_load_latest(table_dir, o->hints, out, err);
  }
  uint64_t latest = 0;
  lp_status rc = latest_version(table_dir, o->hints, &latest, err);
  if (rc == LP_OK && latest == pre->version) {
    *out = *pre; /* moved */
    memset(pre, 0, sizeof *pre);
    return LP_OK;
  }
  lp__base_reset(pre);
  if (rc != LP_OK) {
    memset(out, 0, sizeof *out);
    return rc;
  }
  return lp__base_load(table_dir, latest, out, err);
}

lp_status lp__commit(const char *table_dir, const lp__commit_opts *opts, lp__prepare_fn prepare, void *ctx,
                     uint64_t *out_version, lp_error *err) {
  lp__commit_opts o = {true, false, DEFAULT_ATTEMPTS, NULL, NULL};
  if (opts) o = *opts;
  if (o.max_attempts <= 0) o.max_attempts = DEFAULT_ATTEMPTS;
  char vdir[4096];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  bool in_store = lp__stage_find(table_dir) != NULL;
  if (!in_store && mkdir(vdir, 0755) != 0 && errno != EEXIST)
    return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create directory", vdir);
  uint64_t first_read = 0;
  uint32_t my_op = 0;
  for (int i = 0; i < o.max_attempts; i++) {
    lp__base base;
    lp_status rc = i == 0 ? take_preloaded(table_dir, &o, &base, err) : lp__base_load_latest(table_dir, o.hints, &base, err);
    if (rc == LP_ENOTFOUND) {
      memset(&base, 0, sizeof base);
      rc = LP_OK;
    }
    if (rc != LP_OK) return rc;
    if (o.create && base.version) {
      lp__base_reset(&base);
      return lp_error_set(err, LP_EEXIST, "%s: the table already exists", lp__table_dir_name(table_dir));
    }
    if (i > 0 && my_op) {
      rc = check_conflicts(table_dir, first_read, base.version, my_op, err);
      if (rc != LP_OK) {
        lp__base_reset(&base);
        return rc;
      }
    }
    if (i == 0) first_read = base.version;
    if (base.version) rc = check_base_flags(table_dir, &base, err);
    lp__plan plan;
    if (rc == LP_OK) rc = lp__plan_init(&plan, err);
    else memset(&plan, 0, sizeof plan);
    if (rc == LP_OK) rc = prepare(ctx, &base, &plan, err);
    if (rc == LP_OK && !plan.noop) rc = lp__plan_status(&plan, "commit", err);
    if (rc == LP_OK && plan.noop) {
      *out_version = base.version;
      lp__plan_reset(&plan);
      lp__base_reset(&base);
      return LP_OK;
    }
    if (rc == LP_OK) {
      my_op = plan.op;
      rc = attempt(table_dir, &o, &base, &plan, out_version, err);
    }
    lp__plan_reset(&plan);
    uint64_t read = base.version;
    bool v1 = read && base.v1_name;
    lp__base_reset(&base);
    if (rc == LP_OK && in_store) return LP_OK; /* the store has no hint file and nothing to fsync */
    if (rc == LP_OK && read == 0) {
      /* the first version: make the table's new subdirectories durable too */
      rc = lp__fsync_dir(table_dir, o.durable, err);
    }
    if (rc == LP_OK) {
      write_hint(table_dir, *out_version, false); /* only a hint: readers never trust it */
      lp__version_hint_put(o.hints, table_dir, *out_version, v1);
      return LP_OK;
    }
    if (rc != LP_EEXIST) return rc;
    if (o.create) return lp_error_set(err, LP_EEXIST, "%s: the table was created concurrently", lp__table_dir_name(table_dir));
    (void)read;
    uint64_t cap = BACKOFF_BASE_US << (i < 6 ? i : 6);
    if (cap > BACKOFF_MAX_US) cap = BACKOFF_MAX_US;
    usleep((useconds_t)(lp__random_u64() % cap));
  }
  return lp_error_set(err, LP_ECONFLICT, "%s: gave up after %d attempts: other writers kept committing first", lp__table_dir_name(table_dir),
                      o.max_attempts);
}
