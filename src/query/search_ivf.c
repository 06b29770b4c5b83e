/* LanceDB's IVF_FLAT and IVF_PQ (8-bit and 4-bit) vector indexes, read from their files and searched the way LanceDB
 * 0.31.0 does (see ../shared/lance-format/indices.md, sections 3 and 4.1): rank the partition centroids,
 * probe the nprobes nearest, score every row of those partitions (exact distance on the stored vector for
 * IVF_FLAT; the sum of a per-query distance table over the PQ codes for IVF_PQ; for 4-bit codes with nothing masked, LanceDB's
 * u8-quantized table instead), skip rows LanceDB's prefilter masks (deleted, in a fragment the table no longer
 * has, failing `where`), and keep each partition's best k' as LanceDB's heap does. Any index this file cannot
 * read exactly (other types, fragment-reuse remapping, stable row ids) is reported as unusable, and the
 * caller searches exactly. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "format/datafile.h"
#include "io/io.h"
#include "query/distance.h"
#include "query/search_int.h"
#include "table/cache.h"
#include "table/indices.h"
#include "table/session.h"
#include "table/table.h"
#include "vector_index.pb-c.h"

#define MAX_PARTITIONS (1u << 20)
#define MAX_DIM (1u << 16)

typedef struct ivf_delta {
  int refs;                /* atomic: the session cache and the searches using it */
  uint32_t P, dim;
  float *centroids;        /* P x dim */
  uint64_t *part_off;      /* storage rows of each partition in auxiliary.idx */
  uint32_t *part_len;
  uint64_t n_rows;
  uint64_t *rowid;         /* row address of every storage row */
  bool pq;
  uint32_t m;              /* PQ sub-vectors */
  uint32_t nbits;          /* PQ: 8 (one code a byte) or 4 (two codes a byte, the low nibble the even sub-vector) */
  uint32_t K;              /* PQ: 1 << nbits codewords per sub-vector */
  uint32_t B;              /* PQ: code bytes a row (m, or m / 2 for 4 bits) */
  float *codebook;         /* PQ: [m][K][dim/m] */
  uint8_t *codes;          /* PQ: the code bytes, transposed per partition as stored */
  float *vecs;             /* FLAT: the original vectors, n_rows x dim */
} ivf_delta;

struct lp__ivf {
  lp__dist_kind metric;
  ivf_delta **d;           /* references (shared through the session cache) */
  size_t n;
  uint32_t *covered;       /* fragment ids any delta covers, ascending, unique */
  size_t n_covered;
};

/* ---- reading the index files ---------------------------------------------------------------------- */

typedef struct idx_file {
  char path[4600];
  int fd;                  /* reads go through fd, or through bytes when the whole file is in memory */
  const uint8_t *bytes;
  lp__datafile_meta *meta;
} idx_file;

static lp_status file_from_bytes(const uint8_t *bytes, size_t len, const char *name, idx_file *f, lp_error *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  f->bytes = bytes;
  snprintf(f->path, sizeof f->path, "%s", name);
  return lp__datafile_meta_parse(bytes, len, f->path, &f->meta, err);
}

static lp_status file_open(const lp_table *t, const char *uuid, const char *name, idx_file *f, lp_error *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  snprintf(f->path, sizeof f->path, "%s/_indices/%s/%s", t->dir, uuid, name);
  f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot open", f->path);
  struct stat st;
  if (fstat(f->fd, &st) != 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot stat", f->path);
  return lp__datafile_meta_read(f->fd, (uint64_t)st.st_size, f->path, &f->meta, err);
}

static void file_close(idx_file *f) {
  if (f->fd >= 0) close(f->fd);
  lp__datafile_meta_unref(f->meta);
  f->fd = -1;
  f->meta = NULL;
}

/* Global buffer `i` of the file, read whole (malloc'd). */
static lp_status global_buffer(const idx_file *f, uint32_t i, uint8_t **out, size_t *out_len, lp_error *err) {
  lp__datafile_src src = {.fd = f->fd, .bytes = f->bytes, .path = f->path, .meta = f->meta};
  return lp__datafile_global_buffer_read(&src, i, (size_t)1 << 31, out, out_len, err);
}

/* The schema metadata value of `key` as a NUL-terminated string, or NULL. */
static const char *meta_text(const idx_file *f, const char *key) {
  size_t len;
  const uint8_t *v = lp__datafile_meta_schema_value(f->meta, key, &len);
  return v ? (const char *)v : NULL; /* values are kept NUL-terminated */
}

/* The IVF message in the global buffer that schema key "lance:ivf" names. */
static lp_status read_ivf(const idx_file *f, Lance__Index__Pb__IVF **out, lp_error *err) {
  const char *pos = meta_text(f, "lance:ivf");
  char *end = NULL;
  unsigned long i = pos ? strtoul(pos, &end, 10) : 0;
  if (pos == NULL || end == pos || *end != 0 || i == 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: no valid \"lance:ivf\" buffer index", f->path);
  uint8_t *buf;
  size_t len;
  LP_TRY(global_buffer(f, (uint32_t)i, &buf, &len, err));
  *out = lance__index__pb__ivf__unpack(NULL, len, buf);
  free(buf);
  if (*out == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: the IVF buffer does not decode", f->path);
  return LP_OK;
}

/* A float32 tensor of exactly rows x cols (cols > 0), copied out. */
static lp_status tensor_f32(const Lance__Index__Pb__Tensor *t, const char *path, const char *what, uint64_t rows,
                            uint64_t cols, float **out, lp_error *err) {
  if (t == NULL || t->data_type != 2 || t->n_shape != 2 || t->shape[0] != rows || t->shape[1] != cols ||
      t->data.len != rows * cols * 4)
    return lp_error_set(err, LP_ECORRUPT, "%s: %s is not a float32 tensor of %" PRIu64 " x %" PRIu64, path, what, rows,
                        cols);
  *out = malloc(t->data.len ? t->data.len : 1);
  if (*out == NULL) return lp_error_set(err, LP_ENOMEM, "%s: out of memory", path);
  memcpy(*out, t->data.data, t->data.len);
  return LP_OK;
}

/* index.idx: the IVF model (centroids), for a FLAT sub-index of the expected type. */
static lp_status load_model(const idx_file *fp, const char *want_type, ivf_delta *d, lp_error *err) {
  const idx_file f = *fp;
  lp_status rc = LP_OK;
  Lance__Index__Pb__IVF *ivf = NULL;
  {
    json_error_t je;
    const char *txt = meta_text(&f, "lance:index");
    json_t *j = txt ? json_loads(txt, 0, &je) : NULL;
    const char *type = j ? json_string_value(json_object_get(j, "type")) : NULL;
    if (type == NULL || strcmp(type, want_type) != 0)
      rc = lp_error_set(err, LP_EUNSUPPORTED, "%s: index type %s, expected %s", f.path, type ? type : "(none)", want_type);
    json_decref(j);
  }
  if (rc == LP_OK) rc = read_ivf(&f, &ivf, err);
  if (rc == LP_OK) {
    const Lance__Index__Pb__Tensor *c = ivf->centroids_tensor;
    if (c == NULL || c->n_shape != 2 || c->shape[0] == 0 || c->shape[0] > MAX_PARTITIONS || c->shape[1] == 0 ||
        c->shape[1] > MAX_DIM)
      rc = lp_error_set(err, LP_ECORRUPT, "%s: no valid centroids", f.path);
    else {
      d->P = c->shape[0];
      d->dim = c->shape[1];
      rc = tensor_f32(c, f.path, "the centroids", d->P, d->dim, &d->centroids, err);
    }
  }
  if (ivf) lance__index__pb__ivf__free_unpacked(ivf, NULL);
  return rc;
}

/* Read the whole column `col` of the aux file as `field` (one Arrow array, caller releases). */
static lp_status read_column(const idx_file *f, const lp__field *field, uint32_t col, struct ArrowArray *out,
                             lp_error *err) {
  lp__datafile_src src = {.fd = f->fd, .bytes = f->bytes, .path = f->path, .meta = f->meta};
  return lp__datafile_read_range(&src, field, col, 0, lp__datafile_meta_num_rows(f->meta), out, err);
}

/* The fixed-size-list values of an FSL array as one contiguous buffer of n * width elements. */
static const void *fsl_values(const struct ArrowArray *a, size_t width, size_t elem) {
  const struct ArrowArray *c = a->children[0];
  return (const uint8_t *)c->buffers[1] + ((size_t)c->offset + (size_t)a->offset * width) * elem;
}

/* PQ parameters from "storage_metadata": ["{...json...}"]. */
static lp_status pq_params(const idx_file *f, uint32_t dim, uint32_t *m, uint32_t *nbits_out, uint32_t *cb_buf,
                           lp_error *err) {
  const char *txt = meta_text(f, "storage_metadata");
  json_error_t je;
  json_t *arr = txt ? json_loads(txt, 0, &je) : NULL;
  const char *inner = arr && json_is_array(arr) && json_array_size(arr) == 1 ? json_string_value(json_array_get(arr, 0)) : NULL;
  json_t *o = inner ? json_loads(inner, 0, &je) : NULL;
  lp_status rc = LP_OK;
  json_int_t nbits = o ? json_integer_value(json_object_get(o, "nbits")) : 0;
  json_int_t nsub = o ? json_integer_value(json_object_get(o, "num_sub_vectors")) : 0;
  json_int_t d = o ? json_integer_value(json_object_get(o, "dimension")) : 0;
  json_int_t pos = o ? json_integer_value(json_object_get(o, "codebook_position")) : 0;
  json_t *tr = o ? json_object_get(o, "transposed") : NULL;
  if (o == NULL) rc = lp_error_set(err, LP_ECORRUPT, "%s: no readable PQ storage_metadata", f->path);
  else if (nbits != 8 && nbits != 4)
    rc = lp_error_set(err, LP_EUNSUPPORTED, "%s: %d-bit PQ codes are not searched", f->path, (int)nbits);
  else if (!json_is_true(tr)) rc = lp_error_set(err, LP_EUNSUPPORTED, "%s: untransposed PQ codes", f->path);
  else if (d != (json_int_t)dim || nsub <= 0 || dim % (uint32_t)nsub != 0 || pos <= 0 || pos > 1000 ||
           (nbits == 4 && nsub % 2 != 0))
    rc = lp_error_set(err, LP_ECORRUPT, "%s: PQ of %d sub-vectors for dimension %d (index dimension %u)", f->path,
                      (int)nsub, (int)d, dim);
  else {
    *m = (uint32_t)nsub;
    *nbits_out = (uint32_t)nbits;
    *cb_buf = (uint32_t)pos;
  }
  json_decref(o);
  json_decref(arr);
  return rc;
}

/* auxiliary.idx: partition row ranges, row addresses and the stored vectors (FLAT) or codes (PQ). */
static lp_status load_storage(const idx_file *fp, ivf_delta *d, lp_error *err) {
  const idx_file f = *fp;
  Lance__Index__Pb__IVF *ivf = NULL;
  lp_status rc = read_ivf(&f, &ivf, err);
  d->n_rows = lp__datafile_meta_num_rows(f.meta);
  if (rc == LP_OK && (ivf->n_offsets != d->P || ivf->n_lengths != d->P))
    rc = lp_error_set(err, LP_ECORRUPT, "%s: %zu partition ranges for %u centroids", f.path, ivf->n_offsets, d->P);
  if (rc == LP_OK) {
    d->part_off = malloc(d->P * sizeof *d->part_off);
    d->part_len = malloc(d->P * sizeof *d->part_len);
    if (d->part_off == NULL || d->part_len == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", f.path);
  }
  for (uint32_t p = 0; rc == LP_OK && p < d->P; p++) {
    d->part_off[p] = ivf->offsets[p];
    d->part_len[p] = ivf->lengths[p];
    if (ivf->offsets[p] > d->n_rows || ivf->lengths[p] > d->n_rows - ivf->offsets[p])
      rc = lp_error_set(err, LP_ECORRUPT, "%s: partition %u rows outside the file", f.path, p);
  }
  if (ivf) lance__index__pb__ivf__free_unpacked(ivf, NULL);
  if (rc == LP_OK && lp__datafile_meta_num_columns(f.meta) != 2)
    rc = lp_error_set(err, LP_ECORRUPT, "%s: %u columns, expected 2", f.path, lp__datafile_meta_num_columns(f.meta));
  uint32_t cb_buf = 0;
  if (rc == LP_OK && d->pq) rc = pq_params(&f, d->dim, &d->m, &d->nbits, &cb_buf, err);
  if (rc == LP_OK && d->pq) {
    d->K = 1u << d->nbits;
    d->B = d->nbits == 4 ? d->m / 2 : d->m;
    uint8_t *buf = NULL;
    size_t len = 0;
    rc = global_buffer(&f, cb_buf, &buf, &len, err);
    Lance__Index__Pb__Tensor *cb = rc == LP_OK ? lance__index__pb__tensor__unpack(NULL, len, buf) : NULL;
    free(buf);
    if (rc == LP_OK && cb == NULL) rc = lp_error_set(err, LP_ECORRUPT, "%s: the codebook does not decode", f.path);
    if (rc == LP_OK) rc = tensor_f32(cb, f.path, "the codebook", d->K, d->dim, &d->codebook, err);
    if (cb) lance__index__pb__tensor__free_unpacked(cb, NULL);
  }
  lp__field rid = {.name = "_rowid", .id = 0, .parent_id = -1, .type = LP__TYPE_UINT64, .nullable = true};
  lp__field val = {.name = "v", .id = 1, .parent_id = -1, .type = LP__TYPE_FIXED_SIZE_LIST, .nullable = true,
                   .list_size = d->pq ? (int32_t)d->B : (int32_t)d->dim,
                   .elem_type = d->pq ? LP__TYPE_UINT8 : LP__TYPE_FLOAT32};
  struct ArrowArray ra = {0}, va = {0};
  if (rc == LP_OK) rc = read_column(&f, &rid, 0, &ra, err);
  if (rc == LP_OK) rc = read_column(&f, &val, 1, &va, err);
  if (rc == LP_OK && ((uint64_t)ra.length != d->n_rows || (uint64_t)va.length != d->n_rows || ra.null_count != 0))
    rc = lp_error_set(err, LP_ECORRUPT, "%s: row ids or values do not cover every row", f.path);
  size_t width = d->pq ? d->B : d->dim, elem = d->pq ? 1 : 4;
  if (rc == LP_OK) {
    d->rowid = malloc((d->n_rows ? d->n_rows : 1) * sizeof *d->rowid);
    void *vals = malloc(d->n_rows * width * elem + 1);
    if (d->rowid == NULL || vals == NULL) {
      free(vals);
      rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", f.path);
    } else {
      memcpy(d->rowid, (const uint64_t *)ra.buffers[1] + ra.offset, d->n_rows * sizeof *d->rowid);
      memcpy(vals, fsl_values(&va, width, elem), d->n_rows * width * elem);
      if (d->pq) d->codes = vals;
      else d->vecs = vals;
    }
  }
  if (ra.release) ra.release(&ra);
  if (va.release) va.release(&va);
  return rc;
}

/* One delta from its two files: the model of index.idx, then the storage of auxiliary.idx. */
static lp_status load_delta(const idx_file *model, const idx_file *storage, bool pq, uint32_t dim, ivf_delta *d,
                            lp_error *err) {
  d->pq = pq;
  LP_TRY(load_model(model, pq ? "IVF_PQ" : "IVF_FLAT", d, err));
  if (d->dim != dim)
    return lp_error_set(err, LP_ECORRUPT, "%s: centroids of dimension %u for a column of %u", model->path, d->dim, dim);
  return load_storage(storage, d, err);
}

static lp_status load_delta_files(const lp_table *t, const char *uuid, bool pq, uint32_t dim, ivf_delta *d,
                                  lp_error *err) {
  idx_file model, storage;
  lp_status rc = file_open(t, uuid, "index.idx", &model, err);
  if (rc == LP_OK) rc = file_open(t, uuid, "auxiliary.idx", &storage, err);
  if (rc == LP_OK) rc = load_delta(&model, &storage, pq, dim, d, err);
  file_close(&model);
  file_close(&storage);
  return rc;
}

static void delta_free(ivf_delta *d) {
  free(d->centroids);
  free(d->part_off);
  free(d->part_len);
  free(d->rowid);
  free(d->codebook);
  free(d->codes);
  free(d->vecs);
}

lp_status lp__ivf_parse_files(const uint8_t *index_idx, size_t index_len, const uint8_t *aux, size_t aux_len, bool pq,
                              uint32_t dim, lp_error *err) {
  idx_file model, storage;
  ivf_delta d;
  memset(&d, 0, sizeof d);
  memset(&storage, 0, sizeof storage);
  storage.fd = -1;
  lp_status rc = file_from_bytes(index_idx, index_len, "index.idx", &model, err);
  if (rc == LP_OK) rc = file_from_bytes(aux, aux_len, "auxiliary.idx", &storage, err);
  if (rc == LP_OK) rc = load_delta(&model, &storage, pq, dim, &d, err);
  file_close(&model);
  file_close(&storage);
  delta_free(&d);
  return rc;
}

/* ---- the session's index cache: a delta's files never change (any change gets a new uuid) -------- */

static void *delta_ref(void *v) {
  __atomic_add_fetch(&((ivf_delta *)v)->refs, 1, __ATOMIC_RELAXED);
  return v;
}

static void delta_unref(void *v) {
  ivf_delta *d = v;
  if (d == NULL || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  delta_free(d);
  free(d);
}

static const lp__cache_ops DELTA_OPS = {delta_ref, delta_unref};

static size_t delta_bytes(const ivf_delta *d) {
  size_t n = sizeof *d + (size_t)d->P * (d->dim * sizeof(float) + sizeof *d->part_off + sizeof *d->part_len);
  n += (size_t)d->n_rows * sizeof *d->rowid;
  if (d->pq) n += (size_t)d->n_rows * d->B + (size_t)d->K * d->dim * sizeof(float);
  else n += (size_t)d->n_rows * d->dim * sizeof(float);
  return n;
}

/* Delta `uuid` of the table's index: from the session cache, else read from its files (and cached). */
static lp_status get_delta(lp_table *t, const char *uuid, bool pq, uint32_t dim, ivf_delta **out, lp_error *err) {
  char key[4400];
  snprintf(key, sizeof key, "I|%s/_indices/%s|%d|%u", t->dir, uuid, (int)pq, dim);
  lp__cache *cache = t->db->session ? lp__session_cache(t->db->session) : NULL;
  *out = cache ? lp__cache_get(cache, key) : NULL;
  if (*out) return LP_OK;
  ivf_delta *d = calloc(1, sizeof *d);
  if (d == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  d->refs = 1;
  lp_status rc = load_delta_files(t, uuid, pq, dim, d, err);
  if (rc != LP_OK) {
    delta_unref(d);
    return rc;
  }
  if (cache) lp__cache_put(cache, key, d, delta_bytes(d), &DELTA_OPS);
  *out = d;
  return LP_OK;
}

void lp__ivf_free(lp__ivf *x) {
  if (x == NULL) return;
  for (size_t i = 0; i < x->n; i++) delta_unref(x->d[i]);
  free(x->d);
  free(x->covered);
  free(x);
}

/* ---- choosing the index --------------------------------------------------------------------------- */

static bool has_field(const lp__index_meta *m, int32_t id) {
  for (size_t i = 0; i < m->n_fields; i++)
    if (m->fields[i] == id) return true;
  return false;
}

static bool is_vector_details(const lp__index_meta *m) {
  const char *s = strrchr(m->details_type, '/');
  return strcmp(s ? s + 1 : m->details_type, "lance.index.pb.VectorIndexDetails") == 0;
}

/* The kind of one entry: IVF_FLAT or 8-bit or 4-bit IVF_PQ; *why says why not. */
static bool entry_usable(const lp__index_meta *m, bool *pq, lp__dist_kind *metric, const char **why) {
  Lance__Index__Pb__VectorIndexDetails *d =
      lance__index__pb__vector_index_details__unpack(NULL, m->details_len, m->details);
  bool ok = false;
  *why = "its details do not decode";
  if (d != NULL) {
    *why = "only IVF_FLAT and IVF_PQ (8 or 4 bits) indexes are searched";
    if (d->hnsw_index_config == NULL) {
      if (d->compression_case == LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_FLAT) ok = true, *pq = false;
      if (d->compression_case == LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_PQ &&
          (d->pq->num_bits == 8 || d->pq->num_bits == 4))
        ok = true, *pq = true;
    }
    if (d->metric_type > 2) ok = false, *why = "its metric is not l2, cosine or dot";
    *metric = d->metric_type == 1 ? LP__DIST_COSINE : d->metric_type == 2 ? LP__DIST_DOT : LP__DIST_L2;
    lance__index__pb__vector_index_details__free_unpacked(d, NULL);
  }
  if (ok && m->has_index_version && m->index_version > 1) ok = false, *why = "its index_version is newer than 1";
  if (ok && !m->has_fragment_bitmap) ok = false, *why = "it names no fragments";
  return ok;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static lp_status collect_covered(lp__ivf *x, const lp__index_list *l, const char *name, lp_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0) total += l->v[i].n_fragments;
  x->covered = malloc((total ? total : 1) * sizeof *x->covered);
  if (x->covered == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0) {
      memcpy(x->covered + x->n_covered, l->v[i].fragments, l->v[i].n_fragments * sizeof *x->covered);
      x->n_covered += l->v[i].n_fragments;
    }
  qsort(x->covered, x->n_covered, sizeof *x->covered, cmp_u32);
  size_t u = 0;
  for (size_t i = 0; i < x->n_covered; i++)
    if (u == 0 || x->covered[u - 1] != x->covered[i]) x->covered[u++] = x->covered[i];
  x->n_covered = u;
  return LP_OK;
}

bool lp__ivf_covers(const lp__ivf *x, uint64_t frag_id) {
  if (frag_id > UINT32_MAX) return false;
  uint32_t key = (uint32_t)frag_id;
  return bsearch(&key, x->covered, x->n_covered, sizeof key, cmp_u32) != NULL;
}

/* The metric of the vector index on column vf, which LanceDB searches with when the query names none
 * (whatever the index type: an index lancepool cannot search still sets the metric of the exact search). */
lp_status lp__ivf_index_metric(lp_table *t, const lp__field *vf, lp__dist_kind *metric, bool *found, lp_error *err) {
  *metric = LP__DIST_L2;
  *found = false;
  if (!t->m->has_index_section) return LP_OK;
  lp__index_list l;
  LP_TRY(lp__index_list_read(t->dir, t->m->version, &l, err));
  for (size_t i = 0; i < l.n && !*found; i++) {
    const lp__index_meta *m = &l.v[i];
    if (!is_vector_details(m) || !has_field(m, vf->id)) continue;
    Lance__Index__Pb__VectorIndexDetails *d =
        lance__index__pb__vector_index_details__unpack(NULL, m->details_len, m->details);
    if (d != NULL && d->metric_type <= 2) {
      *metric = d->metric_type == 1 ? LP__DIST_COSINE : d->metric_type == 2 ? LP__DIST_DOT : LP__DIST_L2;
      *found = true;
    }
    if (d) lance__index__pb__vector_index_details__free_unpacked(d, NULL);
  }
  lp__index_list_reset(&l);
  return LP_OK;
}

lp_status lp__ivf_open(lp_table *t, const lp__field *vf, lp__dist_kind metric, lp__ivf **out, const char **why,
                       lp_error *err) {
  *out = NULL;
  *why = "the column has no vector index";
  if (!t->m->has_index_section) return LP_OK; /* the common case costs no file read */
  if (t->m->reader_flags & 2) {
    *why = "the table uses stable row ids";
    return LP_OK;
  }
  lp__index_list l;
  LP_TRY(lp__index_list_read(t->dir, t->m->version, &l, err));
  const char *name = NULL;
  size_t n = 0;
  bool usable = true, any_pq = false, first = true;
  lp__dist_kind imetric = LP__DIST_L2;
  for (size_t i = 0; i < l.n && usable; i++) {
    const lp__index_meta *m = &l.v[i];
    if (strncmp(m->name, "__lance_frag_reuse", 18) == 0) usable = false, *why = "a fragment-reuse index remaps row ids";
    if (!is_vector_details(m) || !has_field(m, vf->id)) continue;
    if (name && strcmp(name, m->name) != 0) {
      usable = false, *why = "the column has more than one vector index";
      break;
    }
    name = m->name;
    bool pq = false;
    lp__dist_kind mk = LP__DIST_L2;
    if (!entry_usable(m, &pq, &mk, why)) usable = false;
    if (!first && (pq != any_pq || mk != imetric)) usable = false, *why = "its deltas differ in kind";
    any_pq = pq;
    imetric = mk;
    first = false;
    n++;
  }
  if (usable && n > 0 && imetric != metric) usable = false, *why = LP__IVF_OTHER_METRIC;
  lp_status rc = LP_OK;
  lp__ivf *x = NULL;
  if (usable && n > 0) {
    x = calloc(1, sizeof *x);
    if (x == NULL || (x->d = calloc(n, sizeof *x->d)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
    if (rc == LP_OK) x->metric = imetric;
    for (size_t i = 0; rc == LP_OK && i < l.n; i++) {
      const lp__index_meta *m = &l.v[i];
      if (strcmp(m->name, name) != 0 || !is_vector_details(m)) continue;
      rc = get_delta(t, m->uuid, any_pq, (uint32_t)vf->list_size, &x->d[x->n], err);
      if (rc == LP_OK) x->n++;
    }
    if (rc == LP_OK) rc = collect_covered(x, &l, name, err);
    if (rc == LP_OK) *out = x;
    else lp__ivf_free(x);
  }
  lp__index_list_reset(&l);
  return rc;
}

/* ---- searching ------------------------------------------------------------------------------------ */

typedef struct cand {
  float dist;
  uint64_t rowid, pos;
} cand;

static int cmp_cand(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Where a fragment's rows are among the live rows, for the prefilter. */
typedef struct frag_pos {
  uint64_t id, live_base, physical;
  lp__deletion_vec *del;
} frag_pos;

static int cmp_frag_pos(const void *a, const void *b) {
  uint64_t x = ((const frag_pos *)a)->id, y = ((const frag_pos *)b)->id;
  return x < y ? -1 : x > y;
}

/* The live position of row address `rowid`, or false when LanceDB's prefilter masks it (fragment gone,
 * row deleted, `where` false). */
static bool row_position(const frag_pos *fp, size_t n_fp, const uint8_t *sel, uint64_t rowid, uint64_t *pos) {
  frag_pos key = {.id = rowid >> 32};
  const frag_pos *f = bsearch(&key, fp, n_fp, sizeof *fp, cmp_frag_pos);
  uint64_t off = rowid & 0xFFFFFFFFu;
  if (f == NULL || off >= f->physical || lp__deletion_vec_has(f->del, off)) return false;
  *pos = f->live_base + off - lp__deletion_vec_rank(f->del, off);
  return sel == NULL || lp__bit_get(sel, (int64_t)*pos);
}

typedef struct part_rank {
  float dist;
  uint32_t p;
} part_rank;

static int cmp_rank(const void *a, const void *b) {
  const part_rank *x = a, *y = b;
  if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
  return x->p < y->p ? -1 : x->p > y->p;
}

static float dot(const float *a, const float *b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static float l2sq(const float *a, const float *b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; i++) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/* The distance table of one probed partition: T[j][c] for sub-vector j and code c (c < K). */
static void pq_table(const ivf_delta *d, lp__dist_kind metric, const float *q, uint32_t p, float *resid, float *T) {
  size_t sd = d->dim / d->m;
  for (uint32_t i = 0; i < d->dim; i++)
    resid[i] = metric == LP__DIST_DOT ? q[i] : q[i] - d->centroids[(size_t)p * d->dim + i];
  for (uint32_t j = 0; j < d->m; j++)
    for (uint32_t c = 0; c < d->K; c++) {
      const float *cw = d->codebook + ((size_t)j * d->K + c) * sd;
      T[j * d->K + c] = metric == LP__DIST_DOT ? 1.0f - dot(resid + j * sd, cw, sd) : l2sq(resid + j * sd, cw, sd);
    }
}

/* LanceDB's per-partition top-k' is a Rust BinaryHeap (a max-heap ordered by distance only) that takes the
 * rows in scan order: push while it holds fewer than `keep`, else pop the root and push the row when the row
 * is strictly nearer. Which of several equal distances survive depends on that heap's exact moves (pop =
 * move the last element to the root, sift it down to the bottom, then up; push = sift up), so they are
 * copied here: 4-bit PQ distances tie often. */
static void heap_sift_up(cand *h, size_t pos) {
  cand e = h[pos];
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (e.dist <= h[parent].dist) break;
    h[pos] = h[parent];
    pos = parent;
  }
  h[pos] = e;
}

static void heap_pop_root(cand *h, size_t *n) {
  cand e = h[--*n];
  if (*n == 0) return;
  size_t end = *n, pos = 0, child = 1;
  while (end >= 2 && child <= end - 2) {
    child += h[child].dist <= h[child + 1].dist;
    h[pos] = h[child];
    pos = child;
    child = 2 * pos + 1;
  }
  if (child == end - 1) {
    h[pos] = h[child];
    pos = child;
  }
  h[pos] = e;
  heap_sift_up(h, pos);
}

/* Rust's PeekMut replacement of the root by e: the usual sift-down, stopping at a child not greater. */
static void heap_replace_root(cand *h, size_t end, cand e) {
  size_t pos = 0, child = 1;
  bool stopped = false;
  while (end >= 2 && child <= end - 2) {
    child += h[child].dist <= h[child + 1].dist;
    if (e.dist >= h[child].dist) {
      stopped = true;
      break;
    }
    h[pos] = h[child];
    pos = child;
    child = 2 * pos + 1;
  }
  if (!stopped && child == end - 1 && e.dist < h[child].dist) {
    h[pos] = h[child];
    pos = child;
  }
  h[pos] = e;
}

/* The merge of the partitions' results (each partition's heap in its array order, partitions in probe
 * order): LanceDB's top-k' by distance only, which keeps the first arrivals among equal distances. It is
 * modelled as a max-heap whose root is replaced (PeekMut) by a strictly nearer row, as DataFusion's TopK
 * does. Rows tied at the cut-off can still differ from LanceDB's, whose partitions run concurrently; ties are
 * common only with 4-bit quantized scores. The best c[0..n) are moved to the front; returns how many. */
static size_t heap_select(cand *c, size_t n, size_t keep) {
  size_t hn = 0;
  for (size_t i = 0; i < n && keep > 0; i++) {
    cand e = c[i];
    if (hn == keep) {
      if (!(c[0].dist > e.dist)) continue;
      heap_replace_root(c, hn, e);
      continue;
    }
    c[hn] = e;
    heap_sift_up(c, hn++);
  }
  return hn;
}

/* Keep the best `keep` of a partition's candidates (in scan order in part[0..n)) as LanceDB's heap does,
 * appended to *all. */
static lp_status keep_best(cand *part, size_t n, size_t keep, cand **all, size_t *n_all, size_t *cap, lp_error *err) {
  size_t k = n < keep ? n : keep;
  if (*n_all + k > *cap) {
    size_t nc = (*n_all + k) * 2;
    cand *na = realloc(*all, nc * sizeof *na);
    if (na == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
    *all = na;
    *cap = nc;
  }
  cand *h = *all + *n_all;
  size_t hn = 0;
  for (size_t i = 0; i < n && k > 0; i++) {
    if (hn == k) {
      if (!(h[0].dist > part[i].dist)) continue;
      heap_pop_root(h, &hn);
    }
    h[hn] = part[i];
    heap_sift_up(h, hn++);
  }
  *n_all += hn;
  return LP_OK;
}

/* 4-bit PQ distances of rows [from, to) as LanceDB's flat 4-bit loop adds them: T[2j][lo], then T[2j+1][hi]. */
static void pq4_exact_rows(const ivf_delta *d, const float *T, const uint8_t *codes, uint64_t n, uint64_t from,
                           uint64_t to, float *dist) {
  for (uint64_t i = from; i < to; i++) dist[i] = 0;
  for (uint32_t j = 0; j < d->B; j++) {
    const float *lo = T + (size_t)2 * j * d->K, *hi = lo + d->K;
    for (uint64_t i = from; i < to; i++) {
      uint8_t b = codes[j * n + i];
      dist[i] += lo[b & 15];
      dist[i] += hi[b >> 4];
    }
  }
}

/* LanceDB's 4-bit fast path (indices.md 3.6 step 4): the first max(200, k') rows exactly; their largest
 * distance qmax and the table's smallest value qmin quantize T to u8; blocks of 16 rows sum the quantized
 * values with saturating adds and are mapped back (q * (qmax - qmin) / 255 + qmin); the last n % 16 rows
 * (past the exact ones) are exact. */
static void pq4_quantized(const ivf_delta *d, const float *T, const uint8_t *codes, uint64_t n, size_t kp, float *dist,
                          uint8_t *qt) {
  uint64_t k_hint = kp < n ? kp : n;
  uint64_t flat = k_hint > 200 ? k_hint : 200;
  if (flat > n) flat = n;
  pq4_exact_rows(d, T, codes, n, 0, flat, dist);
  float qmax = dist[0], qmin = INFINITY;
  for (uint64_t i = 1; i < flat; i++) qmax = dist[i] > qmax ? dist[i] : qmax;
  size_t nt = (size_t)d->m * d->K;
  for (size_t i = 0; i < nt; i++) qmin = T[i] < qmin ? T[i] : qmin;
  float factor = 255.0f / (qmax - qmin);
  for (size_t i = 0; i < nt; i++) {
    float v = roundf((T[i] - qmin) * factor); /* Rust `round() as u8`: half away from zero, saturating */
    qt[i] = !(v > 0) ? 0 : v >= 255 ? 255 : (uint8_t)v;
  }
  uint64_t rem = n % 16, blocks_end = n - rem;
  float range = (qmax - qmin) / 255.0f;
  for (uint64_t i = flat; i < blocks_end; i++) {
    unsigned s = 0;
    for (uint32_t j = 0; j < d->B; j++) {
      uint8_t b = codes[j * n + i];
      s += qt[(size_t)2 * j * d->K + (b & 15)];
      s = s > 255 ? 255 : s;
      s += qt[((size_t)2 * j + 1) * d->K + (b >> 4)];
      s = s > 255 ? 255 : s;
    }
    float scaled = (float)s * range;
    dist[i] = scaled + qmin;
  }
  if (rem > 0) pq4_exact_rows(d, T, codes, n, blocks_end > flat ? blocks_end : flat, n, dist);
}

/* The PQ distance of every row of a partition (n rows, codes transposed: byte j of row i at codes[j*n+i]).
 * 8 bits: T summed in sub-vector order. 4 bits with a prefilter (masked): per row, the sum of the byte pairs
 * T[2j][lo] + T[2j+1][hi]; 4 bits without: LanceDB's fast path, see pq4_quantized. Dot: minus (m - 1). */
static void pq_distances(const ivf_delta *d, lp__dist_kind metric, const float *T, const uint8_t *codes, uint64_t n,
                         bool masked, size_t kp, float *dist, uint8_t *qt) {
  if (d->nbits == 4 && !masked && n > 0) {
    pq4_quantized(d, T, codes, n, kp, dist, qt);
  } else if (d->nbits == 4) {
    for (uint64_t i = 0; i < n; i++) {
      float s = 0;
      for (uint32_t j = 0; j < d->B; j++) {
        uint8_t b = codes[j * n + i];
        s += T[(size_t)2 * j * d->K + (b & 15)] + T[((size_t)2 * j + 1) * d->K + (b >> 4)];
      }
      dist[i] = s;
    }
  } else {
    for (uint64_t i = 0; i < n; i++) {
      float s = 0;
      for (uint32_t j = 0; j < d->m; j++) s += T[j * 256 + codes[j * n + i]];
      dist[i] = s;
    }
  }
  if (metric == LP__DIST_DOT)
    for (uint64_t i = 0; i < n; i++) dist[i] -= (float)(d->m - 1);
}

static lp_status search_delta(const lp__ivf *x, const ivf_delta *d, const float *q, int nprobes, const frag_pos *fp,
                              size_t n_fp, const uint8_t *sel, bool masked, size_t kp, cand **all, size_t *n_all,
                              size_t *cap, lp_error *err) {
  part_rank *rank = malloc(d->P * sizeof *rank);
  float *resid = malloc(d->dim * sizeof *resid);
  float *T = d->pq ? malloc((size_t)d->m * d->K * sizeof *T) : NULL;
  uint8_t *qt = d->pq ? malloc((size_t)d->m * d->K) : NULL;
  uint64_t maxlen = 0;
  for (uint32_t p = 0; p < d->P; p++) maxlen = d->part_len[p] > maxlen ? d->part_len[p] : maxlen;
  cand *part = malloc((maxlen ? maxlen : 1) * sizeof *part);
  float *dist = malloc((maxlen ? maxlen : 1) * sizeof *dist);
  lp_status rc = rank && resid && part && dist && ((T && qt) || !d->pq) ? LP_OK : lp_error_set(err, LP_ENOMEM, "search: out of memory");
  for (uint32_t p = 0; rc == LP_OK && p < d->P; p++) {
    const float *c = d->centroids + (size_t)p * d->dim;
    rank[p] = (part_rank){x->metric == LP__DIST_DOT ? 1.0f - dot(q, c, d->dim) : l2sq(q, c, d->dim), p};
  }
  if (rc == LP_OK) qsort(rank, d->P, sizeof *rank, cmp_rank);
  uint32_t probes = nprobes > 0 && (uint32_t)nprobes < d->P ? (uint32_t)nprobes : d->P;
  for (uint32_t r = 0; rc == LP_OK && r < probes; r++) {
    uint32_t p = rank[r].p;
    uint64_t off = d->part_off[p], n = d->part_len[p];
    if (d->pq) {
      pq_table(d, x->metric, q, p, resid, T);
      pq_distances(d, x->metric, T, d->codes + off * d->B, n, masked, kp, dist, qt);
    } else {
      lp__dist_f32(x->metric, q, d->vecs + off * d->dim, n, d->dim, dist);
    }
    size_t np = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t pos;
      if (isnan(dist[i]) || !row_position(fp, n_fp, sel, d->rowid[off + i], &pos)) continue;
      part[np++] = (cand){dist[i], d->rowid[off + i], pos};
    }
    rc = keep_best(part, np, kp, all, n_all, cap, err);
  }
  free(rank);
  free(resid);
  free(T);
  free(qt);
  free(part);
  free(dist);
  return rc;
}

static lp_status frag_positions(lp_table *t, frag_pos **out, lp_error *err) {
  const lp__manifest *m = t->m;
  frag_pos *fp = calloc(m->n_fragments + 1, sizeof *fp);
  if (fp == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  uint64_t base = 0;
  lp_status rc = LP_OK;
  for (size_t i = 0; i < m->n_fragments; i++) {
    const lp__fragment *f = &m->fragments[i];
    fp[i] = (frag_pos){f->id, base, f->physical_rows, NULL};
    if (rc == LP_OK && f->has_deletion && f->num_deleted_rows > 0) rc = lp__table_deletions(t, f, &fp[i].del, err);
    base += f->physical_rows - f->num_deleted_rows;
  }
  qsort(fp, m->n_fragments, sizeof *fp, cmp_frag_pos);
  *out = fp;
  return rc;
}

/* Whether LanceDB 0.31.0 scores 4-bit codes exactly rather than through its quantized table: when its
 * prefilter masks anything (a `where`, or a covered fragment with a deletion file or no longer in the table),
 * and also, as observed (not explained by the source we read), whenever the table has a fragment the index
 * does not cover, even with fast search. */
static bool prefilter_masks(const lp_table *t, const lp__ivf *x, const uint8_t *sel) {
  if (sel != NULL) return true;
  for (size_t i = 0; i < t->m->n_fragments; i++)
    if (!lp__ivf_covers(x, t->m->fragments[i].id)) return true;
  for (size_t c = 0; c < x->n_covered; c++) {
    bool found = false;
    for (size_t i = 0; i < t->m->n_fragments && !found; i++) {
      const lp__fragment *f = &t->m->fragments[i];
      if (f->id != x->covered[c]) continue;
      found = true;
      if (f->has_deletion) return true;
    }
    if (!found) return true;
  }
  return false;
}

lp_status lp__ivf_search(lp_table *t, const lp__ivf *x, const float *query, size_t dim, int nprobes,
                         const uint8_t *sel, size_t kp, lp__ivf_hit **out, size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  float *q = malloc(dim * sizeof *q);
  if (q == NULL) return lp_error_set(err, LP_ENOMEM, "search: out of memory");
  memcpy(q, query, dim * sizeof *q);
  if (x->metric == LP__DIST_COSINE) { /* LanceDB normalizes the query for a cosine index */
    float norm = sqrtf(dot(q, q, dim));
    if (norm > 0)
      for (size_t i = 0; i < dim; i++) q[i] /= norm;
  }
  frag_pos *fp = NULL;
  lp_status rc = frag_positions(t, &fp, err);
  bool masked = prefilter_masks(t, x, sel);
  cand *all = NULL;
  size_t n_all = 0, cap = 0;
  for (size_t i = 0; rc == LP_OK && i < x->n; i++)
    rc = search_delta(x, x->d[i], x->metric == LP__DIST_COSINE ? q : query, nprobes, fp, t->m->n_fragments, sel,
                      masked, kp, &all, &n_all, &cap, err);
  if (rc == LP_OK) {
    size_t n = heap_select(all, n_all, kp);
    qsort(all, n, sizeof *all, cmp_cand); /* LanceDB's output order: (distance, row address) */
    *out = malloc((n ? n : 1) * sizeof **out);
    if (*out == NULL) rc = lp_error_set(err, LP_ENOMEM, "search: out of memory");
    for (size_t i = 0; rc == LP_OK && i < n; i++) (*out)[i] = (lp__ivf_hit){all[i].dist, all[i].rowid, all[i].pos};
    if (rc == LP_OK) *out_n = n;
  }
  for (size_t i = 0; fp && i < t->m->n_fragments; i++) lp__deletion_vec_unref(fp[i].del);
  free(fp);
  free(all);
  free(q);
  return rc;
}
