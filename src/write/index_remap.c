/* Compaction's index remapping, as LanceDB's immediate remap does it (../shared/lance-format/indices.md 5.4):
 * every old row address of a rewritten fragment maps to its new address (the surviving rows of a rewrite
 * group, in ascending old address order, take the new fragments' addresses in order; deleted rows map to
 * nothing). An IVF_PQ, IVF_FLAT or IVF_SQ index covering rewritten fragments is written again under a new
 * uuid: index.idx (the IVF model) copied as it is, auxiliary.idx with the same model, codebook and field
 * definitions, each partition's rows in their old order with the new row addresses and the deleted rows
 * dropped (PQ codes are transposed per partition, so they are un-transposed, filtered and transposed
 * again), and the partition lengths updated. The index entry gets the new uuid, its fragment bitmap the
 * new fragment ids instead of the rewritten ones, and its file sizes; the Rewrite transaction lists the
 * change in rewritten_indices. Other index kinds (HNSW graphs, BTREE, BITMAP, full text...) are not
 * rewritten here: compaction leaves the fragments they cover alone. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/arrow_util.h"
#include "format/datafile.h"
#include "format/deletion.h"
#include "io/io.h"
#include "table/indices.h"
#include "table/table.h"
#include "vector_index.pb-c.h"
#include "write/write_int.h"

#define MAX_INDEX_FILE_BYTES ((size_t)1 << 31)

/* ---- the row address map ------------------------------------------------------------------------ */

typedef struct map_frag {
  uint64_t id, physical;
  lp__deletion_vec *del;
  uint64_t first_rank; /* live rows of its group before it */
  size_t group;
} map_frag;

typedef struct map_group {
  uint64_t *new_ids, *new_start; /* new fragment ids and the rank of each one's first row */
  size_t n_new;
} map_group;

struct lp__rowmap {
  map_frag *f;
  size_t n_f;
  map_group *g;
  size_t n_g;
};

static int cmp_map_frag(const void *a, const void *b) {
  uint64_t x = ((const map_frag *)a)->id, y = ((const map_frag *)b)->id;
  return x < y ? -1 : x > y;
}

lp_status lp__rowmap_new(lp_table *t, const lp__fragment *const *olds, const size_t *n_old,
                         const uint64_t *const *new_ids, const uint64_t *const *new_rows, const size_t *n_new,
                         size_t n_groups, lp__rowmap **out, lp_error *err) {
  *out = NULL;
  lp__rowmap *m = calloc(1, sizeof *m);
  size_t total = 0;
  for (size_t k = 0; k < n_groups; k++) total += n_old[k];
  if (m == NULL || (m->f = calloc(total + 1, sizeof *m->f)) == NULL || (m->g = calloc(n_groups + 1, sizeof *m->g)) == NULL) {
    lp__rowmap_free(m);
    return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  }
  lp_status rc = LP_OK;
  for (size_t k = 0; rc == LP_OK && k < n_groups; k++) {
    uint64_t rank = 0;
    for (size_t j = 0; rc == LP_OK && j < n_old[k]; j++) {
      const lp__fragment *f = &olds[k][j];
      map_frag *mf = &m->f[m->n_f++];
      *mf = (map_frag){f->id, f->physical_rows, NULL, rank, k};
      if (f->has_deletion && f->num_deleted_rows > 0) rc = lp__table_deletions(t, f, &mf->del, err);
      rank += f->physical_rows - (f->has_deletion ? f->num_deleted_rows : 0);
    }
    map_group *g = &m->g[m->n_g++];
    g->new_ids = malloc((n_new[k] + 1) * sizeof *g->new_ids);
    g->new_start = malloc((n_new[k] + 1) * sizeof *g->new_start);
    if (rc == LP_OK && (g->new_ids == NULL || g->new_start == NULL)) rc = lp_error_set(err, LP_ENOMEM, "compact: out of memory");
    uint64_t start = 0;
    for (size_t j = 0; rc == LP_OK && j < n_new[k]; j++) {
      g->new_ids[j] = new_ids[k][j];
      g->new_start[j] = start;
      start += new_rows[k][j];
    }
    g->n_new = n_new[k];
    if (rc == LP_OK && start != rank)
      rc = lp_error_set(err, LP_EINVAL, "compact: a group of %" PRIu64 " live rows was written as %" PRIu64, rank, start);
  }
  qsort(m->f, m->n_f, sizeof *m->f, cmp_map_frag);
  if (rc != LP_OK) lp__rowmap_free(m);
  else *out = m;
  return rc;
}

void lp__rowmap_free(lp__rowmap *m) {
  if (m == NULL) return;
  for (size_t i = 0; m->f && i < m->n_f; i++) lp__deletion_vec_unref(m->f[i].del);
  for (size_t i = 0; m->g && i < m->n_g; i++) {
    free(m->g[i].new_ids);
    free(m->g[i].new_start);
  }
  free(m->f);
  free(m->g);
  free(m);
}

bool lp__rowmap_apply(const lp__rowmap *m, uint64_t addr, uint64_t *out) {
  *out = addr;
  if (m->n_f == 0) return true;
  map_frag key = {.id = addr >> 32};
  const map_frag *f = bsearch(&key, m->f, m->n_f, sizeof *m->f, cmp_map_frag);
  if (f == NULL) return true; /* not rewritten: kept as it is (LanceDB does the same) */
  uint64_t off = addr & 0xFFFFFFFFu;
  if (off >= f->physical || lp__deletion_vec_has(f->del, off)) return false;
  uint64_t rank = f->first_rank + off - lp__deletion_vec_rank(f->del, off);
  const map_group *g = &m->g[f->group];
  size_t j = 0;
  while (j + 1 < g->n_new && g->new_start[j + 1] <= rank) j++;
  *out = g->new_ids[j] << 32 | (rank - g->new_start[j]);
  return true;
}

/* ---- which indexes can be rewritten ------------------------------------------------------------- */

bool lp__index_remappable(const lp__index_meta *m) {
  const char *s = strrchr(m->details_type, '/');
  if (strcmp(s ? s + 1 : m->details_type, "lance.index.pb.VectorIndexDetails") != 0 || m->details_len == 0) return false;
  if (m->has_index_version && m->index_version > 1) return false;
  Lance__Index__Pb__VectorIndexDetails *d = lance__index__pb__vector_index_details__unpack(NULL, m->details_len, m->details);
  if (d == NULL) return false;
  bool ok = d->hnsw_index_config == NULL &&
            (d->compression_case == LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_PQ ||
             d->compression_case == LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_FLAT ||
             d->compression_case == LANCE__INDEX__PB__VECTOR_INDEX_DETAILS__COMPRESSION_SQ);
  lance__index__pb__vector_index_details__free_unpacked(d, NULL);
  return ok;
}

/* ---- rewriting auxiliary.idx -------------------------------------------------------------------- */

typedef struct aux_file {
  char path[4400];
  int fd;
  const uint8_t *bytes;             /* the whole file in memory (fuzzing), or NULL: read through fd */
  lp__datafile_meta *meta;
  Lance__File__FileDescriptor *desc; /* global buffer 0 */
  Lance__Index__Pb__IVF *ivf;
  uint32_t ivf_buf;
  lp__field rowid, payload;         /* the two columns as the file's schema defines them */
  bool transposed;                  /* PQ codes: byte j of a partition's row i at j * rows + i */
} aux_file;

static lp_status read_buffer(const aux_file *f, uint32_t i, uint8_t **out, size_t *len, lp_error *err) {
  lp__datafile_src src = {.fd = f->fd, .bytes = f->bytes, .path = f->path, .meta = f->meta};
  return lp__datafile_global_buffer_read(&src, i, MAX_INDEX_FILE_BYTES, out, len, err);
}

static const char *meta_text(const aux_file *f, const char *key) {
  size_t len;
  const uint8_t *v = lp__datafile_meta_schema_value(f->meta, key, &len);
  return v ? (const char *)v : NULL; /* kept NUL-terminated */
}

/* "storage_metadata": ["{..., \"transposed\": true}"] says whether PQ codes are transposed. */
static bool storage_transposed(const aux_file *f) {
  const char *txt = meta_text(f, "storage_metadata");
  json_error_t je;
  json_t *arr = txt ? json_loads(txt, 0, &je) : NULL;
  const char *inner = json_is_array(arr) && json_array_size(arr) == 1 ? json_string_value(json_array_get(arr, 0)) : NULL;
  json_t *o = inner ? json_loads(inner, 0, &je) : NULL;
  bool t = json_is_true(json_object_get(o, "transposed"));
  json_decref(o);
  json_decref(arr);
  return t;
}

/* The two top-level fields of the descriptor's schema, their types parsed. */
static lp_status aux_fields(aux_file *f, lp_error *err) {
  const Lance__File__Schema *s = f->desc->schema;
  lp__field *dst[2] = {&f->rowid, &f->payload};
  size_t n = 0;
  for (size_t i = 0; s && i < s->n_fields && n <= 2; i++) {
    const Lance__File__Field *pf = s->fields[i];
    if (pf->parent_id != -1) continue;
    if (n == 2) return lp_error_set(err, LP_EUNSUPPORTED, "%s: more than two columns", f->path);
    lp__field *d = dst[n++];
    d->name = pf->name;
    d->id = (int32_t)n - 1;
    d->parent_id = -1;
    d->nullable = pf->nullable;
    LP_TRY(lp__logical_type_parse(pf->logical_type ? pf->logical_type : "", d, err));
  }
  if (n != 2 || f->rowid.type != LP__TYPE_UINT64 || f->payload.type != LP__TYPE_FIXED_SIZE_LIST ||
      f->payload.list_size <= 0 || lp__datafile_meta_num_columns(f->meta) != 2)
    return lp_error_set(err, LP_ECORRUPT, "%s: expected columns _rowid: uint64 and a fixed-size list", f->path);
  return LP_OK;
}

/* After the metadata: the descriptor, the two columns, the IVF partition ranges, the storage layout. */
static lp_status aux_parse(aux_file *f, lp_error *err) {
  uint8_t *b = NULL;
  size_t len = 0;
  LP_TRY(read_buffer(f, 0, &b, &len, err));
  f->desc = lance__file__file_descriptor__unpack(NULL, len, b);
  free(b);
  if (f->desc == NULL) return lp_error_set(err, LP_ECORRUPT, "%s: the file descriptor does not decode", f->path);
  LP_TRY(aux_fields(f, err));
  const char *pos = meta_text(f, "lance:ivf");
  char *end = NULL;
  unsigned long i = pos ? strtoul(pos, &end, 10) : 0;
  if (pos == NULL || end == pos || *end != 0 || i == 0 || i > 1000)
    return lp_error_set(err, LP_ECORRUPT, "%s: no valid \"lance:ivf\" buffer index", f->path);
  f->ivf_buf = (uint32_t)i;
  LP_TRY(read_buffer(f, f->ivf_buf, &b, &len, err));
  f->ivf = lance__index__pb__ivf__unpack(NULL, len, b);
  free(b);
  if (f->ivf == NULL || f->ivf->n_offsets != f->ivf->n_lengths)
    return lp_error_set(err, LP_ECORRUPT, "%s: the IVF buffer does not decode", f->path);
  uint64_t rows = lp__datafile_meta_num_rows(f->meta);
  for (size_t p = 0; p < f->ivf->n_offsets; p++)
    if (f->ivf->offsets[p] > rows || f->ivf->lengths[p] > rows - f->ivf->offsets[p])
      return lp_error_set(err, LP_ECORRUPT, "%s: partition %zu rows outside the file", f->path, p);
  f->transposed = storage_transposed(f);
  return LP_OK;
}

static lp_status aux_open(const char *dir, aux_file *f, lp_error *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if (snprintf(f->path, sizeof f->path, "%s/auxiliary.idx", dir) >= (int)sizeof f->path)
    return lp_error_set(err, LP_EINVAL, "%s: path too long", dir);
  f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (f->fd < 0 || fstat(f->fd, &st) != 0) return lp_error_set_errno(err, LP_EIO, errno, "%s: cannot open", f->path);
  LP_TRY(lp__datafile_meta_read(f->fd, (uint64_t)st.st_size, f->path, &f->meta, err));
  return aux_parse(f, err);
}

static void aux_close(aux_file *f) {
  if (f->fd >= 0) close(f->fd);
  lp__datafile_meta_unref(f->meta);
  if (f->desc) lance__file__file_descriptor__free_unpacked(f->desc, NULL);
  if (f->ivf) lance__index__pb__ivf__free_unpacked(f->ivf, NULL);
  free(f->rowid.timezone);
  free(f->payload.timezone);
}

/* The remapped rows: row addresses and payload bytes (row_bytes a row), partition by partition. */
typedef struct remapped {
  uint64_t *rowid;
  uint8_t *payload;
  uint64_t n;
  uint64_t *offsets;
  uint32_t *lengths;
} remapped;

static void remapped_free(remapped *r) {
  lp__arrow_buf_free(r->rowid);
  lp__arrow_buf_free(r->payload);
  free(r->offsets);
  free(r->lengths);
}

/* Filter and re-address one partition's rows [off, off + len) of ids/vals into r (appended). */
static void remap_partition(const aux_file *f, const lp__rowmap *map, const uint64_t *ids, const uint8_t *vals,
                            size_t row_bytes, uint64_t off, uint64_t len, remapped *r, uint8_t *scratch) {
  const uint8_t *src = vals + off * row_bytes;
  uint64_t kept = 0;
  uint8_t *dst = f->transposed ? scratch : r->payload + r->n * row_bytes;
  for (uint64_t i = 0; i < len; i++) {
    uint64_t addr;
    if (!lp__rowmap_apply(map, ids[off + i], &addr)) continue;
    r->rowid[r->n + kept] = addr;
    for (size_t j = 0; j < row_bytes; j++)
      dst[kept * row_bytes + j] = f->transposed ? src[j * len + i] : src[i * row_bytes + j];
    kept++;
  }
  if (f->transposed) /* back to byte j of row i at j * kept + i */
    for (uint64_t i = 0; i < kept; i++)
      for (size_t j = 0; j < row_bytes; j++) r->payload[r->n * row_bytes + j * kept + i] = scratch[i * row_bytes + j];
  r->n += kept;
}

static size_t elem_bytes(lp__type t) {
  switch (t) {
  case LP__TYPE_UINT8: case LP__TYPE_INT8: return 1;
  case LP__TYPE_FLOAT16: case LP__TYPE_UINT16: case LP__TYPE_INT16: return 2;
  case LP__TYPE_FLOAT32: case LP__TYPE_UINT32: case LP__TYPE_INT32: return 4;
  case LP__TYPE_FLOAT64: case LP__TYPE_UINT64: case LP__TYPE_INT64: return 8;
  default: return 0;
  }
}

static lp_status remap_rows(const aux_file *f, const lp__rowmap *map, remapped *r, lp_error *err) {
  memset(r, 0, sizeof *r);
  uint64_t rows = lp__datafile_meta_num_rows(f->meta);
  size_t eb = elem_bytes(f->payload.elem_type), row_bytes = eb * (size_t)f->payload.list_size;
  if (eb == 0) return lp_error_set(err, LP_EUNSUPPORTED, "%s: the stored values are not of a fixed width", f->path);
  struct ArrowArray ra = {0}, va = {0};
  lp__datafile_src src = {.fd = f->fd, .bytes = f->bytes, .path = f->path, .meta = f->meta};
  lp_status rc = lp__datafile_read_range(&src, &f->rowid, 0, 0, rows, &ra, err);
  if (rc == LP_OK) rc = lp__datafile_read_range(&src, &f->payload, 1, 0, rows, &va, err);
  if (rc == LP_OK && ((uint64_t)ra.length != rows || (uint64_t)va.length != rows || ra.null_count != 0))
    rc = lp_error_set(err, LP_ECORRUPT, "%s: row ids or values do not cover every row", f->path);
  size_t P = f->ivf->n_offsets;
  uint64_t maxlen = 0;
  for (size_t p = 0; p < P; p++) maxlen = f->ivf->lengths[p] > maxlen ? f->ivf->lengths[p] : maxlen;
  uint8_t *scratch = rc == LP_OK ? malloc(maxlen * row_bytes + 1) : NULL;
  if (rc == LP_OK) {
    r->rowid = lp__arrow_buf_alloc(rows * 8 + 8);
    r->payload = lp__arrow_buf_alloc(rows * row_bytes + 1);
    r->offsets = malloc((P + 1) * sizeof *r->offsets);
    r->lengths = malloc((P + 1) * sizeof *r->lengths);
    if (!r->rowid || !r->payload || !r->offsets || !r->lengths || !scratch)
      rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", f->path);
  }
  if (rc == LP_OK) {
    const uint64_t *ids = (const uint64_t *)ra.buffers[1] + ra.offset;
    const struct ArrowArray *c = va.children[0];
    const uint8_t *vals = (const uint8_t *)c->buffers[1] + ((size_t)c->offset + (size_t)va.offset * f->payload.list_size) * eb;
    for (size_t p = 0; p < P; p++) {
      r->offsets[p] = r->n;
      remap_partition(f, map, ids, vals, row_bytes, f->ivf->offsets[p], f->ivf->lengths[p], r, scratch);
      r->lengths[p] = (uint32_t)(r->n - r->offsets[p]);
    }
  }
  free(scratch);
  lp__arrow_release(&ra);
  lp__arrow_release(&va);
  if (rc != LP_OK) remapped_free(r);
  return rc;
}

/* The batch of the new file: _rowid and the fixed-size list (buffers moved out of r). */
static lp_status remapped_batch(const aux_file *f, remapped *r, struct ArrowArray *out, lp_error *err) {
  size_t eb = elem_bytes(f->payload.elem_type);
  struct ArrowArray cols[2], child;
  void *rb[2] = {NULL, r->rowid};
  r->rowid = NULL;
  LP_TRY(lp__arrow_array_make(&cols[0], (int64_t)r->n, 0, 2, rb, NULL, 0, err));
  void *vb[2] = {NULL, r->payload};
  r->payload = NULL;
  lp_status rc = lp__arrow_array_make(&child, (int64_t)(r->n * (uint64_t)f->payload.list_size), 0, 2, vb, NULL, 0, err);
  (void)eb;
  struct ArrowArray *kids[1] = {&child};
  void *fb[1] = {NULL};
  if (rc == LP_OK) rc = lp__arrow_array_make(&cols[1], (int64_t)r->n, 0, 1, fb, kids, 1, err);
  if (rc != LP_OK) {
    lp__arrow_release(&cols[0]);
    return rc;
  }
  return lp__arrow_struct_make(out, cols, 2, (int64_t)r->n, NULL, 0, err);
}

/* Write the new auxiliary.idx into new_dir: the same global buffers (the IVF one with the new partition
 * ranges), field definitions and metadata, the remapped rows. *size = its bytes. */
static lp_status write_aux(const aux_file *f, remapped *r, const char *new_dir, uint64_t *size, lp_error *err) {
  lp__schema schema = {0};
  lp__field fields[2] = {f->rowid, f->payload};
  schema.fields = fields;
  schema.n_fields = 2;
  lp__dfw_options o = {.page_rows = 65536, .durable = false, .version = LP__FILE_V2_1};
  lp__dfw *w = NULL;
  LP_TRY(lp__dfw_open(new_dir, &schema, &o, &w, err));
  lp_status rc = LP_OK;
  uint64_t n_gb = 0;
  for (uint32_t i = 1; rc == LP_OK; i++) { /* the payload buffers, in their order */
    uint64_t off, len;
    if (!lp__datafile_meta_global_buffer(f->meta, i, &off, &len)) break;
    n_gb = i;
    uint8_t *b = NULL;
    size_t blen = 0;
    if (i == f->ivf_buf) {
      Lance__Index__Pb__IVF ivf = *f->ivf;
      ivf.offsets = r->offsets;
      ivf.lengths = r->lengths;
      blen = protobuf_c_message_get_packed_size(&ivf.base);
      if ((b = malloc(blen + 1)) == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: out of memory", f->path);
      else protobuf_c_message_pack(&ivf.base, b);
    } else {
      rc = read_buffer(f, i, &b, &blen, err);
    }
    uint32_t at = 0;
    if (rc == LP_OK) rc = lp__dfw_add_global_buffer(w, b, blen, &at, err);
    free(b);
  }
  (void)n_gb;
  lp__dfw_set_file_schema(w, f->desc->schema);
  struct ArrowArray batch = {0};
  if (rc == LP_OK) rc = remapped_batch(f, r, &batch, err);
  if (rc == LP_OK && batch.length > 0) rc = lp__dfw_write(w, &batch, 0, batch.length, err);
  lp__arrow_release(&batch);
  lp__dfw_result res = {0};
  if (rc != LP_OK) {
    lp__dfw_abort(w);
    return rc;
  }
  LP_TRY(lp__dfw_finish(w, &res, err));
  char from[4600], to[4600];
  snprintf(from, sizeof from, "%s/%s", new_dir, res.name);
  snprintf(to, sizeof to, "%s/auxiliary.idx", new_dir);
  if (rename(from, to) != 0) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: rename failed", to);
  *size = res.size_bytes;
  lp__dfw_result_reset(&res);
  return rc;
}

static lp_status copy_file(const char *from, const char *to, uint64_t *size, lp_error *err) {
  uint8_t *b = NULL;
  size_t n = 0;
  LP_TRY(lp__read_file(from, MAX_INDEX_FILE_BYTES, &b, &n, err));
  int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  lp_status rc = fd < 0 ? lp_error_set_errno(err, LP_EIO, errno, "%s: cannot create", to) : lp__write_all(fd, b, n, to, err);
  if (fd >= 0 && close(fd) != 0 && rc == LP_OK) rc = lp_error_set_errno(err, LP_EIO, errno, "%s: close failed", to);
  free(b);
  *size = n;
  return rc;
}

lp_status lp__index_remap_files(const char *table_dir, const char *old_uuid, const char *new_uuid, const lp__rowmap *map,
                                uint64_t *index_size, uint64_t *aux_size, lp_error *err) {
  char old_dir[4400], new_dir[4400], from[4600], to[4600];
  snprintf(old_dir, sizeof old_dir, "%s/_indices/%s", table_dir, old_uuid);
  if (snprintf(new_dir, sizeof new_dir, "%s/_indices/%s", table_dir, new_uuid) >= (int)sizeof new_dir)
    return lp_error_set(err, LP_EINVAL, "%s: path too long", table_dir);
  LP_TRY(lp__mkdir_p(new_dir, err));
  snprintf(from, sizeof from, "%s/index.idx", old_dir);
  snprintf(to, sizeof to, "%s/index.idx", new_dir);
  LP_TRY(copy_file(from, to, index_size, err));
  aux_file f;
  remapped r;
  lp_status rc = aux_open(old_dir, &f, err);
  if (rc == LP_OK) rc = remap_rows(&f, map, &r, err);
  if (rc == LP_OK) {
    rc = write_aux(&f, &r, new_dir, aux_size, err);
    remapped_free(&r);
  }
  aux_close(&f);
  return rc;
}

lp_status lp__index_remap_parse(const uint8_t *aux, size_t len, lp_error *err) {
  aux_file f;
  memset(&f, 0, sizeof f);
  f.fd = -1;
  f.bytes = aux;
  snprintf(f.path, sizeof f.path, "auxiliary.idx");
  lp__rowmap map = {0}; /* no fragment rewritten: every address is kept */
  remapped r;
  lp_status rc = lp__datafile_meta_parse(aux, len, f.path, &f.meta, err);
  if (rc == LP_OK) rc = aux_parse(&f, err);
  if (rc == LP_OK) rc = remap_rows(&f, &map, &r, err);
  if (rc == LP_OK) remapped_free(&r);
  aux_close(&f);
  return rc;
}

void lp__index_remap_unlink(const char *table_dir, const char *uuid) {
  char path[4600];
  static const char *const names[] = {"index.idx", "auxiliary.idx"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/_indices/%s/%s", table_dir, uuid, names[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/_indices/%s", table_dir, uuid);
  rmdir(path);
}

/* ---- the new index section ---------------------------------------------------------------------- */

static Lance__Table__UUID *uuid_msg(lp__arena *a, const char *text) {
  Lance__Table__UUID *u = lp__arena_msg(a, &lance__table__uuid__descriptor);
  uint8_t *b = lp__arena_alloc(a, 16);
  if (u == NULL || b == NULL) return NULL;
  for (size_t i = 0, j = 0; text[i] && j < 16; i++) {
    if (text[i] == '-') continue;
    unsigned v;
    if (sscanf(text + i, "%2x", &v) != 1) return NULL;
    b[j++] = (uint8_t)v;
    i++;
  }
  u->uuid.data = b;
  u->uuid.len = 16;
  return u;
}

static Lance__Table__IndexFile **index_files(lp__arena *a, uint64_t index_size, uint64_t aux_size) {
  Lance__Table__IndexFile **v = lp__arena_alloc(a, 2 * sizeof *v);
  for (size_t i = 0; v && i < 2; i++) {
    if ((v[i] = lp__arena_msg(a, &lance__table__index_file__descriptor)) == NULL) return NULL;
    v[i]->path = (char *)(i == 0 ? "auxiliary.idx" : "index.idx"); /* LanceDB's order */
    v[i]->size_bytes = i == 0 ? aux_size : index_size;
  }
  return v;
}

/* The bitmap with each rewritten group it touches replaced by the group's new fragment ids. *touched: did
 * it hold any rewritten fragment? */
static lp_status remap_bitmap(lp__arena *a, const ProtobufCBinaryData *in, const lp__remap_ids *groups, size_t n_groups,
                              ProtobufCBinaryData *out, bool *touched, lp_error *err) {
  *touched = false;
  roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe((const char *)in->data, in->len);
  if (b == NULL) return lp_error_set(err, LP_ECORRUPT, "compact: an index's fragment bitmap does not decode");
  for (size_t k = 0; k < n_groups; k++) {
    bool in_group = false;
    for (size_t j = 0; j < groups[k].n_old; j++) in_group |= roaring_bitmap_contains(b, (uint32_t)groups[k].old_ids[j]);
    if (!in_group) continue;
    *touched = true;
    for (size_t j = 0; j < groups[k].n_old; j++) roaring_bitmap_remove(b, (uint32_t)groups[k].old_ids[j]);
    for (size_t j = 0; j < groups[k].n_new; j++) roaring_bitmap_add(b, (uint32_t)groups[k].new_ids[j]);
  }
  size_t n = roaring_bitmap_portable_size_in_bytes(b);
  out->data = lp__arena_alloc(a, n + 1);
  lp_status rc = out->data ? LP_OK : lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  if (rc == LP_OK) out->len = roaring_bitmap_portable_serialize(b, (char *)out->data);
  roaring_bitmap_free(b);
  return rc;
}

/* One index entry that holds rewritten fragments: its files rewritten under a new uuid, the entry copied
 * with the new uuid, bitmap and file sizes, and the RewrittenIndex record. */
static lp_status remap_entry(const char *table_dir, const Lance__Table__IndexMetadata *e, const lp__index_meta *m,
                             const ProtobufCBinaryData *bitmap, const lp__rowmap *map, lp__arena *a,
                             Lance__Table__IndexMetadata **out, Lance__Table__Transaction__Rewrite__RewrittenIndex **rw,
                             char new_uuid[37], lp_error *err) {
  if (!lp__index_remappable(m))
    return lp_error_set(err, LP_ECONFLICT, "index %s (%s) holds rows of a fragment being compacted and cannot be remapped",
                        m->name, m->uuid);
  lp__uuid(new_uuid);
  uint64_t index_size = 0, aux_size = 0;
  LP_TRY(lp__index_remap_files(table_dir, m->uuid, new_uuid, map, &index_size, &aux_size, err));
  Lance__Table__IndexMetadata *c = lp__arena_alloc(a, sizeof *c);
  *rw = lp__arena_msg(a, &lance__table__transaction__rewrite__rewritten_index__descriptor);
  Google__Protobuf__Any *details = lp__arena_msg(a, &google__protobuf__any__descriptor);
  if (c == NULL || *rw == NULL || details == NULL) return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  *c = *e;
  c->uuid = uuid_msg(a, new_uuid);
  c->fragment_bitmap = *bitmap;
  if (e->n_files > 0) {
    c->files = index_files(a, index_size, aux_size);
    c->n_files = 2;
  }
  /* LanceDB writes only the type; copied, as the transaction is packed after the unpacked section is freed */
  const char *type = e->index_details && e->index_details->type_url ? e->index_details->type_url : "";
  if ((details->type_url = lp__arena_alloc(a, strlen(type) + 1)) == NULL)
    return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  memcpy(details->type_url, type, strlen(type) + 1);
  (*rw)->old_id = uuid_msg(a, m->uuid);
  (*rw)->new_id = c->uuid;
  (*rw)->new_index_details = details;
  (*rw)->new_index_version = m->has_index_version ? (uint32_t)m->index_version : 0;
  (*rw)->new_index_files = index_files(a, index_size, aux_size);
  (*rw)->n_new_index_files = 2;
  if (c->uuid == NULL || (*rw)->old_id == NULL || (*rw)->new_index_files == NULL || (e->n_files && c->files == NULL))
    return lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  *out = c;
  return LP_OK;
}

lp_status lp__index_section_remap(const char *table_dir, const uint8_t *section, size_t len, const lp__rowmap *map,
                                  const lp__remap_ids *groups, size_t n_groups, lp__arena *a, lp__index_remap_out *out,
                                  lp_error *err) {
  memset(out, 0, sizeof *out);
  lp__index_list l = {0};
  LP_TRY(lp__index_section_decode(section, len, "manifest", &l, err));
  Lance__Table__IndexSection *s = lance__table__index_section__unpack(NULL, len, section);
  lp_status rc = s && s->n_indices == l.n ? LP_OK : lp_error_set(err, LP_ECORRUPT, "compact: the index section does not decode");
  Lance__Table__IndexSection *copy = rc == LP_OK ? lp__arena_alloc(a, sizeof *copy) : NULL;
  Lance__Table__IndexMetadata **entries = rc == LP_OK ? lp__arena_alloc(a, (l.n + 1) * sizeof *entries) : NULL;
  out->uuids = calloc(l.n + 1, sizeof *out->uuids);
  if (rc == LP_OK && (copy == NULL || entries == NULL || out->uuids == NULL))
    rc = lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  for (size_t i = 0; rc == LP_OK && i < l.n; i++) {
    entries[i] = s->indices[i];
    ProtobufCBinaryData bitmap = {0, NULL};
    bool touched = false;
    if (l.v[i].has_fragment_bitmap) rc = remap_bitmap(a, &s->indices[i]->fragment_bitmap, groups, n_groups, &bitmap, &touched, err);
    if (rc != LP_OK || !touched) continue;
    Lance__Table__Transaction__Rewrite__RewrittenIndex *rw = NULL;
    rc = remap_entry(table_dir, s->indices[i], &l.v[i], &bitmap, map, a, &entries[i], &rw, out->uuids[out->n_uuids], err);
    if (rc == LP_OK || out->uuids[out->n_uuids][0]) out->n_uuids++; /* written files to remove on failure */
    if (rc == LP_OK) lp__ptrvec_push(a, &out->rewritten, rw);
    if (rc == LP_OK && lp__arena_failed(a)) rc = lp_error_set(err, LP_ENOMEM, "compact: out of memory");
  }
  if (rc == LP_OK) {
    *copy = *s;
    copy->indices = entries;
    out->len = protobuf_c_message_get_packed_size(&copy->base);
    out->section = lp__arena_alloc(a, out->len + 1);
    if (out->section == NULL) rc = lp_error_set(err, LP_ENOMEM, "compact: out of memory");
    else protobuf_c_message_pack(&copy->base, out->section);
  }
  if (s) lance__table__index_section__free_unpacked(s, NULL);
  lp__index_list_reset(&l);
  return rc;
}

void lp__index_remap_out_reset(const char *table_dir, lp__index_remap_out *o, bool unlink_files) {
  for (size_t i = 0; unlink_files && i < o->n_uuids; i++) lp__index_remap_unlink(table_dir, o->uuids[i]);
  free(o->uuids);
  memset(o, 0, sizeof *o);
}
