/* Committing versions (see commit.h). */
#include "lance/commit.h"

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

#include "lance/datafile_write.h"
#include "lance/io.h"
#include "lance/versions.h"
#include "lance/write_schema.h"

#define DEFAULT_ATTEMPTS 100
#define BACKOFF_BASE_US 1000    /* first retry waits up to this long (randomized) */
#define BACKOFF_MAX_US 50000    /* the randomized wait doubles per attempt up to this */
#define WRITER_LIBRARY "lancepool"
#define WRITER_VERSION "0.1.0"
#define FLAG_DELETIONS 1u
#define FLAG_STABLE_ROW_IDS 2u
#define FLAG_CONFIG 8u
#define FLAG_BASE_PATHS 16u
#define KNOWN_FLAGS 0x3Fu

uint64_t lp__random_u64(void) {
  uint64_t v = 0;
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t k = getrandom((uint8_t *)&v + got, sizeof v - got, 0);
    if (k > 0) got += (size_t)k;
  }
  return v;
}

void lp__uuid(char out[37]) {
  uint8_t r[16];
  uint64_t a = lp__random_u64(), b = lp__random_u64();
  memcpy(r, &a, 8);
  memcpy(r + 8, &b, 8);
  r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
  r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
  size_t n = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
    n += (size_t)sprintf(out + n, "%02x", r[i]);
  }
  out[n] = 0;
}

lp_status lp__fsync_dir(const char *dir, bool durable, lp_error *err) {
  if (!durable) return LP_OK;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot open directory", dir);
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return lp_error_set_errno(err, LP_EIO, e, "%s: fsync failed", dir);
  return LP_OK;
}

#define MAX_SYNC_THREADS 8 /* fsyncs issued at once; more wait for a free thread */

typedef struct sync_job {
  const char *const *paths;
  size_t n, first, stride;
  int *errnos; /* per path: 0 or the errno of open/fsync */
} sync_job;

static void *sync_some(void *arg) {
  sync_job *j = arg;
  for (size_t i = j->first; i < j->n; i += j->stride) {
    int fd = open(j->paths[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      j->errnos[i] = errno;
      continue;
    }
    if (fsync(fd) != 0) j->errnos[i] = errno;
    close(fd);
  }
  return NULL;
}

lp_status lp__fsync_paths(const char *const *paths, size_t n, lp_error *err) {
  if (n == 0) return LP_OK;
  int *errnos = calloc(n, sizeof *errnos);
  if (errnos == NULL) return lp_error_set(err, LP_ENOMEM, "fsync: out of memory");
  size_t n_threads = n < MAX_SYNC_THREADS ? n : MAX_SYNC_THREADS;
  sync_job jobs[MAX_SYNC_THREADS];
  pthread_t th[MAX_SYNC_THREADS];
  bool started[MAX_SYNC_THREADS] = {false};
  for (size_t t = 0; t < n_threads; t++) {
    jobs[t] = (sync_job){paths, n, t, n_threads, errnos};
    if (t > 0) started[t] = pthread_create(&th[t], NULL, sync_some, &jobs[t]) == 0;
  }
  sync_some(&jobs[0]);
  for (size_t t = 1; t < n_threads; t++) {
    if (started[t])
      pthread_join(th[t], NULL);
    else
      sync_some(&jobs[t]); /* no thread: do its share here */
  }
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n && rc == LP_OK; i++)
    if (errnos[i]) rc = lp_error_set_errno(err, LP_EIO, errnos[i], "%s: fsync failed", paths[i]);
  free(errnos);
  return rc;
}

static uint32_t txn_op(const uint8_t *txn, size_t len);

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

static lp_status base_parse(lp__base *b, const char *path, lp_error *err) {
  if (b->file_len < 20 || memcmp(b->file + b->file_len - 4, "LANC", 4) != 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: not a Lance manifest (no LANC footer)", path);
  uint64_t pos = rd_u64(b->file + b->file_len - 16);
  LP_TRY(section_at(b, pos, &b->msg, &b->msg_len, path, err));
  if (pos + 4 + b->msg_len != b->file_len - 16)
    return lp_error_set(err, LP_ECORRUPT, "%s: manifest does not end at the footer", path);
  lp__pb_reader r = {b->msg, b->msg_len};
  lp__pb_field f;
  bool done;
  size_t cap = 0;
  for (;;) {
    LP_TRY(lp__pb_next(&r, &f, &done, path, err));
    if (done) break;
    if (f.number == 2 && f.wire_type == 2) {
      if (b->n_frag_raw == cap) {
        cap = cap ? cap * 2 : 16;
        lp__pb_field *nf = realloc(b->frag_raw, cap * sizeof *nf);
        if (nf == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
        b->frag_raw = nf;
      }
      b->frag_raw[b->n_frag_raw++] = f;
    } else if (f.number == 6 && f.wire_type == 0) {
      LP_TRY(section_at(b, f.varint, &b->index, &b->index_len, path, err));
    } else if (f.number == 21 && f.wire_type == 0) {
      LP_TRY(section_at(b, f.varint, &b->txn, &b->txn_len, path, err));
    }
  }
  LP_TRY(lp__manifest_decode(b->file, b->file_len, path, &b->m, err));
  if (b->m->n_fragments != b->n_frag_raw)
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
  lp_status rc = base_parse(out, path, err);
  if (rc != LP_OK) lp__base_reset(out);
  return rc;
}

lp_status lp__base_load(const char *table_dir, uint64_t version, lp__base *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  char *path = NULL;
  LP_TRY(lp__version_manifest_path(table_dir, version, &path, err));
  lp_status rc = lp__read_file(path, LP__MAX_META_FILE_BYTES, &out->file, &out->file_len, err);
  if (rc == LP_OK) rc = base_parse(out, path, err);
  free(path);
  if (rc != LP_OK) lp__base_reset(out);
  return rc;
}

lp_status lp__base_load_latest(const char *table_dir, lp__base *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  uint64_t *v = NULL;
  size_t n = 0;
  LP_TRY(lp__versions_list(table_dir, &v, &n, err));
  uint64_t latest = n ? v[n - 1] : 0;
  free(v);
  if (n == 0) return lp_error_set(err, LP_ENOTFOUND, "%s: no version", table_dir);
  return lp__base_load(table_dir, latest, out, err);
}

void lp__base_reset(lp__base *b) {
  if (b == NULL) return;
  free(b->file);
  free(b->frag_raw);
  lp__manifest_unref(b->m);
  memset(b, 0, sizeof *b);
}

void lp__plan_init(lp__plan *p) {
  memset(p, 0, sizeof *p);
  lp__buf_init(&p->fragments);
  lp__buf_init(&p->op_body);
}

void lp__plan_reset(lp__plan *p) {
  if (p == NULL) return;
  lp__buf_reset(&p->fragments);
  lp__buf_reset(&p->op_body);
  for (size_t i = 0; i < p->n_sync_paths; i++) free(p->sync_paths[i]);
  free(p->sync_paths);
  memset(p, 0, sizeof *p);
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

void lp__encode_fragment(lp__buf *b, uint32_t field, uint64_t id, const char *file_name, const int32_t *field_ids,
                         size_t n_columns, uint64_t size_bytes, uint64_t physical_rows) {
  lp__buf df, fr;
  lp__buf_init(&df);
  lp__buf_init(&fr);
  lp__pb_str(&df, 1, file_name);
  lp__pb_packed_i32(&df, 2, field_ids, n_columns);
  int32_t *ci = malloc((n_columns ? n_columns : 1) * sizeof *ci);
  if (ci == NULL) {
    b->failed = true;
  } else {
    for (size_t i = 0; i < n_columns; i++) ci[i] = (int32_t)i;
    lp__pb_packed_i32(&df, 3, ci, n_columns);
    free(ci);
  }
  lp__pb_u64(&df, 4, 2);
  lp__pb_u64(&df, 5, 1);
  lp__pb_u64_nz(&df, 6, size_bytes);
  lp__pb_u64_nz(&fr, 1, id);
  lp__pb_msg(&fr, 2, &df);
  lp__pb_u64(&fr, 4, physical_rows);
  lp__pb_msg(b, field, &fr);
  lp__buf_reset(&df);
  lp__buf_reset(&fr);
}

void lp__encode_fragment_with_deletion(lp__buf *b, uint32_t field, const lp__pb_field *raw, const lp__deletion_ref *del) {
  lp__buf fr, dm;
  lp__buf_init(&fr);
  lp__buf_init(&dm);
  if (del) {
    lp__pb_u64_nz(&dm, 1, (uint64_t)del->kind);
    lp__pb_u64(&dm, 2, del->read_version);
    lp__pb_u64(&dm, 3, del->id);
    lp__pb_u64(&dm, 4, del->num_deleted_rows);
  }
  lp__pb_reader r = {raw->data, raw->len};
  lp__pb_field f;
  bool done, placed = false;
  while (lp__pb_next(&r, &f, &done, "fragment", NULL) == LP_OK && !done) {
    if (f.number == 3) continue;
    if (!placed && f.number > 3 && del) {
      lp__pb_msg(&fr, 3, &dm);
      placed = true;
    }
    lp__buf_put(&fr, f.raw, f.raw_len);
  }
  if (!placed && del) lp__pb_msg(&fr, 3, &dm);
  lp__pb_msg(b, field, &fr);
  lp__buf_reset(&fr);
  lp__buf_reset(&dm);
}

/* ---- building the manifest file ------------------------------------------------------------------ */

static bool source_has(const lp__base *src, uint32_t number) {
  if (src == NULL || src->msg == NULL) return false;
  lp__pb_reader r = {src->msg, src->msg_len};
  lp__pb_field f;
  bool done;
  while (lp__pb_next(&r, &f, &done, "manifest", NULL) == LP_OK && !done)
    if (f.number == number) return true;
  return false;
}

static void copy_fields(lp__buf *b, const lp__base *src, uint32_t number) {
  if (src == NULL || src->msg == NULL) return;
  lp__pb_reader r = {src->msg, src->msg_len};
  lp__pb_field f;
  bool done;
  while (lp__pb_next(&r, &f, &done, "manifest", NULL) == LP_OK && !done)
    if (f.number == number) lp__buf_put(b, f.raw, f.raw_len);
}

static void copy_unknown_fields(lp__buf *b, const lp__base *src) {
  if (src == NULL || src->msg == NULL) return;
  lp__pb_reader r = {src->msg, src->msg_len};
  lp__pb_field f;
  bool done;
  while (lp__pb_next(&r, &f, &done, "manifest", NULL) == LP_OK && !done)
    if (f.number > 21) lp__buf_put(b, f.raw, f.raw_len);
}

/* The Manifest message for `version`. `src` is the version whose other fields are carried over (NULL on
 * create). */
static void encode_manifest(lp__buf *m, const lp__base *src, const lp__plan *plan, uint64_t version,
                            const char *txn_name, bool has_index, uint64_t index_off, uint64_t txn_off) {
  uint64_t flags = plan->has_deletions ? FLAG_DELETIONS : 0;
  bool has_config = !plan->schema && source_has(src, 16);
  for (uint32_t n = 1; n <= 21; n++) {
    switch (n) {
      case 1:
        if (plan->schema)
          lp__wschema_encode_fields(plan->schema, m, 1);
        else
          copy_fields(m, src, 1);
        break;
      case 2: lp__buf_put(m, plan->fragments.data, plan->fragments.len); if (plan->fragments.failed) m->failed = true; break;
      case 3: lp__pb_u64(m, 3, version); break;
      case 5:
        if (plan->schema)
          lp__wschema_encode_metadata(plan->schema, m, 5);
        else
          copy_fields(m, src, 5);
        break;
      case 6: if (has_index) lp__pb_u64(m, 6, index_off); break;
      case 7: {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        lp__buf t;
        lp__buf_init(&t);
        lp__pb_u64(&t, 1, (uint64_t)ts.tv_sec);
        lp__pb_u64_nz(&t, 2, (uint64_t)ts.tv_nsec);
        lp__pb_msg(m, 7, &t);
        lp__buf_reset(&t);
        break;
      }
      case 9: lp__pb_u64_nz(m, 9, flags); break;
      case 10: lp__pb_u64_nz(m, 10, flags | (has_config ? FLAG_CONFIG : 0)); break;
      case 11: if (plan->has_max_fragment_id) lp__pb_u64(m, 11, plan->max_fragment_id); break;
      case 12: lp__pb_str(m, 12, txn_name); break;
      case 13: {
        lp__buf wv;
        lp__buf_init(&wv);
        lp__pb_str(&wv, 1, WRITER_LIBRARY);
        lp__pb_str(&wv, 2, WRITER_VERSION);
        lp__pb_msg(m, 13, &wv);
        lp__buf_reset(&wv);
        break;
      }
      case 15:
        if (source_has(src, 15)) {
          copy_fields(m, src, 15);
        } else {
          lp__buf df;
          lp__buf_init(&df);
          lp__pb_str(&df, 1, "lance");
          lp__pb_str(&df, 2, "2.1");
          lp__pb_msg(m, 15, &df);
          lp__buf_reset(&df);
        }
        break;
      case 21: lp__pb_u64(m, 21, txn_off); break;
      case 4: case 8: case 17: break;                       /* unused */
      case 16: if (!plan->schema) copy_fields(m, src, 16); break; /* config: dropped by an overwrite */
      default: copy_fields(m, src, n); break;               /* 14 next_row_id, 18, 19, 20 */
    }
  }
  copy_unknown_fields(m, src);
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
static lp_status publish(const char *table_dir, uint64_t version, bool v1_names, const lp__buf *file,
                         const lp__plan *plan, const char *txn_path, bool durable, lp_error *err) {
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
  lp_status rc = lp__write_all(fd, file->data, file->len, staging, err);
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

static void write_hint(const char *table_dir, uint64_t version, bool durable) {
  char vdir[4096], body[64];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  int n = snprintf(body, sizeof body, "{\"version\":%" PRIu64 "}", version);
  (void)write_file_atomic(vdir, "latest_version_hint.json", body, (size_t)n, durable, NULL); /* only a hint */
}

uint32_t lp__base_txn_op(const lp__base *b) { return b->txn ? txn_op(b->txn, b->txn_len) : 0; }

/* The operation number of a Transaction message (0 when unknown). */
static uint32_t txn_op(const uint8_t *txn, size_t len) {
  lp__pb_reader r = {txn, len};
  lp__pb_field f;
  bool done;
  while (lp__pb_next(&r, &f, &done, "transaction", NULL) == LP_OK && !done)
    if (f.number >= 100 && f.number < 200) return f.number;
  return 0;
}

/* After losing a race: may `mine` be rebased over the versions committed since `read_version`? */
static lp_status check_conflicts(const char *table_dir, uint64_t read_version, uint64_t latest, uint32_t mine,
                                 lp_error *err) {
  for (uint64_t v = read_version + 1; v <= latest; v++) {
    lp__base b;
    lp_status rc = lp__base_load(table_dir, v, &b, err);
    if (rc == LP_ENOTFOUND) continue; /* cleaned up meanwhile */
    if (rc != LP_OK) return rc;
    uint32_t theirs = b.txn ? txn_op(b.txn, b.txn_len) : 0;
    lp__base_reset(&b);
    if (mine == LP__OP_OVERWRITE) continue; /* an overwrite replaces whatever happened */
    if (theirs == LP__OP_OVERWRITE || theirs == LP__OP_RESTORE || theirs == 0)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " was committed concurrently by an %s; retry the operation",
                          table_dir, v, theirs == 0 ? "unknown operation" : theirs == LP__OP_RESTORE ? "restore" : "overwrite");
    if (mine == LP__OP_REWRITE && theirs != LP__OP_APPEND && theirs != LP__OP_CREATE_INDEX)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " changed fragments concurrently with a compaction; retry",
                          table_dir, v);
    if (mine == LP__OP_RESTORE)
      return lp_error_set(err, LP_ECONFLICT, "%s: version %" PRIu64 " was committed concurrently with a restore", table_dir, v);
  }
  return LP_OK;
}

static lp_status check_base_flags(const char *table_dir, const lp__base *b, lp_error *err) {
  uint64_t both = b->m->reader_flags | b->m->writer_flags;
  if ((b->m->writer_flags & ~(uint64_t)KNOWN_FLAGS) || (both & (FLAG_STABLE_ROW_IDS | FLAG_BASE_PATHS)))
    return lp_error_set(err, LP_EUNSUPPORTED, "%s: version %" PRIu64 " uses features this writer does not implement (flags %" PRIu64 "/%" PRIu64 ")",
                        table_dir, b->version, b->m->reader_flags, b->m->writer_flags);
  return LP_OK;
}

static bool versions_use_v1(const char *table_dir) {
  char vdir[4096];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  uint64_t *v = NULL;
  size_t n = 0;
  if (lp__versions_list(table_dir, &v, &n, NULL) != LP_OK || n == 0) {
    free(v);
    return false;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/%" PRIu64 ".manifest", vdir, v[n - 1]);
  free(v);
  struct stat st;
  return stat(path, &st) == 0;
}

/* One attempt: build and publish version base->version + 1. */
static lp_status attempt(const char *table_dir, const lp__commit_opts *o, const lp__base *base, const lp__plan *plan,
                         uint64_t *out_version, lp_error *err) {
  uint64_t read_version = base->version, version = read_version + 1;
  char uuid[37], txn_name[128], dir[4096];
  lp__uuid(uuid);
  snprintf(txn_name, sizeof txn_name, "%" PRIu64 "-%s.txn", read_version, uuid);
  lp__buf txn, man, file;
  lp__buf_init(&txn);
  lp__buf_init(&man);
  lp__buf_init(&file);
  lp__pb_u64_nz(&txn, 1, read_version);
  lp__pb_str(&txn, 2, uuid);
  lp__pb_msg(&txn, plan->op, &plan->op_body);
  lp_status rc = lp__buf_status(&txn, "transaction", err);
  if (rc != LP_OK) goto done;
  snprintf(dir, sizeof dir, "%s/_transactions", table_dir);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    rc = lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create directory", dir);
    goto done;
  }
  char txn_path[4300];
  snprintf(txn_path, sizeof txn_path, "%s/%s", dir, txn_name);
  rc = write_file_atomic(dir, txn_name, txn.data, txn.len, false, err); /* synced by publish() */
  if (rc != LP_OK) goto done;
  const lp__base *src = plan->content ? plan->content : (base->version ? base : NULL);
  bool has_index = plan->keep_index && src && src->index;
  uint64_t index_off = 0, txn_off = 0;
  if (has_index) {
    lp__buf_u32le(&file, (uint32_t)src->index_len);
    lp__buf_put(&file, src->index, src->index_len);
  }
  txn_off = file.len;
  lp__buf_u32le(&file, (uint32_t)txn.len);
  lp__buf_put(&file, txn.data, txn.len);
  uint64_t man_off = file.len;
  encode_manifest(&man, src, plan, version, txn_name, has_index, index_off, txn_off);
  lp__buf_u32le(&file, (uint32_t)man.len);
  lp__buf_put(&file, man.data, man.len);
  lp__buf_u64le(&file, man_off);
  lp__buf_u16le(&file, 0);
  lp__buf_u16le(&file, 2);
  lp__buf_put(&file, "LANC", 4);
  rc = lp__buf_status(&man, "manifest", err);
  if (rc == LP_OK) rc = lp__buf_status(&file, "manifest", err);
  if (rc == LP_OK)
    rc = publish(table_dir, version, base->version && versions_use_v1(table_dir), &file, plan, txn_path, o->durable, err);
  if (rc != LP_OK) {
    unlink(txn_path); /* not referenced by any version */
  } else {
    *out_version = version;
  }
done:
  lp__buf_reset(&txn);
  lp__buf_reset(&man);
  lp__buf_reset(&file);
  return rc;
}

lp_status lp__commit(const char *table_dir, const lp__commit_opts *opts, lp__prepare_fn prepare, void *ctx,
                     uint64_t *out_version, lp_error *err) {
  lp__commit_opts o = {true, false, DEFAULT_ATTEMPTS};
  if (opts) o = *opts;
  if (o.max_attempts <= 0) o.max_attempts = DEFAULT_ATTEMPTS;
  char vdir[4096];
  snprintf(vdir, sizeof vdir, "%s/_versions", table_dir);
  if (mkdir(vdir, 0755) != 0 && errno != EEXIST) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create directory", vdir);
  uint64_t first_read = 0;
  uint32_t my_op = 0;
  for (int i = 0; i < o.max_attempts; i++) {
    lp__base base;
    lp_status rc = lp__base_load_latest(table_dir, &base, err);
    if (rc == LP_ENOTFOUND) {
      memset(&base, 0, sizeof base);
      rc = LP_OK;
    }
    if (rc != LP_OK) return rc;
    if (o.create && base.version) {
      lp__base_reset(&base);
      return lp_error_set(err, LP_EEXIST, "%s: the table already exists", table_dir);
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
    lp__plan_init(&plan);
    if (rc == LP_OK) rc = prepare(ctx, &base, &plan, err);
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
    lp__base_reset(&base);
    if (rc == LP_OK && read == 0) {
      /* the first version: make the table's new subdirectories durable too */
      rc = lp__fsync_dir(table_dir, o.durable, err);
    }
    if (rc == LP_OK) {
      write_hint(table_dir, *out_version, false); /* only a hint: readers never trust it */
      return LP_OK;
    }
    if (rc != LP_EEXIST) return rc;
    if (o.create) return lp_error_set(err, LP_EEXIST, "%s: the table was created concurrently", table_dir);
    (void)read;
    uint64_t cap = BACKOFF_BASE_US << (i < 6 ? i : 6);
    if (cap > BACKOFF_MAX_US) cap = BACKOFF_MAX_US;
    usleep((useconds_t)(lp__random_u64() % cap));
  }
  return lp_error_set(err, LP_ECONFLICT, "%s: gave up after %d attempts: other writers kept committing first", table_dir,
                      o.max_attempts);
}
