/* Lance schemas: logical type strings, the field tree built from the manifest's flat pre-order list, and
 * export of fields as Arrow C schemas. */
#include "format/schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64            /* nesting deeper than this is refused, so recursion stays bounded */
#define MAX_FSL_SIZE (1 << 24)  /* largest fixed-size-list dimension accepted */

/* Primitive logical types and their Arrow C formats. */
static const struct {
  const char *name;
  lp__type type;
  const char *arrow;
} PRIMS[] = {
    {"null", LP__TYPE_NULL, "n"},         {"bool", LP__TYPE_BOOL, "b"},
    {"int8", LP__TYPE_INT8, "c"},         {"int16", LP__TYPE_INT16, "s"},
    {"int32", LP__TYPE_INT32, "i"},       {"int64", LP__TYPE_INT64, "l"},
    {"uint8", LP__TYPE_UINT8, "C"},       {"uint16", LP__TYPE_UINT16, "S"},
    {"uint32", LP__TYPE_UINT32, "I"},     {"uint64", LP__TYPE_UINT64, "L"},
    {"halffloat", LP__TYPE_FLOAT16, "e"}, {"float", LP__TYPE_FLOAT32, "f"},
    {"double", LP__TYPE_FLOAT64, "g"},    {"string", LP__TYPE_UTF8, "u"},
    {"large_string", LP__TYPE_LARGE_UTF8, "U"}, {"binary", LP__TYPE_BINARY, "z"},
    {"large_binary", LP__TYPE_LARGE_BINARY, "Z"}, {"date32:day", LP__TYPE_DATE32, "tdD"},
};
#define N_PRIMS (sizeof PRIMS / sizeof PRIMS[0])

static const char *UNIT_NAMES[] = {"s", "ms", "us", "ns"};

static int prim_index(const char *name, size_t len) {
  for (size_t i = 0; i < N_PRIMS; i++)
    if (strlen(PRIMS[i].name) == len && memcmp(PRIMS[i].name, name, len) == 0) return (int)i;
  return -1;
}

static int prim_index_of_type(lp__type t) {
  for (size_t i = 0; i < N_PRIMS; i++)
    if (PRIMS[i].type == t) return (int)i;
  return -1;
}

/* Parse a decimal int in [1, max] that spans the whole of s. */
static bool parse_dim(const char *s, int32_t max, int32_t *out) {
  if (*s < '0' || *s > '9') return false;
  errno = 0;
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < 1 || v > max) return false;
  *out = (int32_t)v;
  return true;
}

static lp_status unsupported(const char *lt, lp_error *err) {
  return lp_error_set(err, LP_EUNSUPPORTED, "unsupported logical type \"%s\"", lt);
}

static lp_status parse_timestamp(const char *lt, const char *rest, lp__field *f, lp_error *err) {
  const char *colon = strchr(rest, ':');
  if (colon == NULL) return unsupported(lt, err);
  size_t ulen = (size_t)(colon - rest);
  int unit = -1;
  for (int i = 0; i < 4; i++)
    if (strlen(UNIT_NAMES[i]) == ulen && memcmp(UNIT_NAMES[i], rest, ulen) == 0) unit = i;
  const char *tz = colon + 1;
  if (unit < 0 || *tz == '\0') return unsupported(lt, err);
  f->type = LP__TYPE_TIMESTAMP;
  f->unit = (lp__time_unit)unit;
  free(f->timezone);
  f->timezone = NULL;
  if (strcmp(tz, "-") != 0) {
    f->timezone = strdup(tz);
    if (f->timezone == NULL) return lp_error_set(err, LP_ENOMEM, "logical type: out of memory");
  }
  return LP_OK;
}

/* "fixed_size_list:<elem>:<n>": the element is a primitive; its name may itself contain ':' (date32:day),
 * so the dimension is what follows the last ':'. */
static lp_status parse_fsl(const char *lt, const char *rest, lp__field *f, lp_error *err) {
  const char *last = strrchr(rest, ':');
  if (last == NULL) return unsupported(lt, err);
  int idx = prim_index(rest, (size_t)(last - rest));
  int32_t dim = 0;
  if (idx < 0 || !parse_dim(last + 1, MAX_FSL_SIZE, &dim)) return unsupported(lt, err);
  lp__type et = PRIMS[idx].type;
  if (et == LP__TYPE_NULL || et == LP__TYPE_UTF8 || et == LP__TYPE_LARGE_UTF8 || et == LP__TYPE_BINARY ||
      et == LP__TYPE_LARGE_BINARY)
    return unsupported(lt, err);
  f->type = LP__TYPE_FIXED_SIZE_LIST;
  f->elem_type = et;
  f->list_size = dim;
  return LP_OK;
}

lp_status lp__logical_type_parse(const char *lt, lp__field *f, lp_error *err) {
  if (lt == NULL) return lp_error_set(err, LP_ECORRUPT, "field has no logical type");
  int idx = prim_index(lt, strlen(lt));
  if (idx >= 0) {
    f->type = PRIMS[idx].type;
    return LP_OK;
  }
  if (strncmp(lt, "timestamp:", 10) == 0) return parse_timestamp(lt, lt + 10, f, err);
  if (strncmp(lt, "fixed_size_list:", 16) == 0) return parse_fsl(lt, lt + 16, f, err);
  if (strcmp(lt, "list") == 0 || strcmp(lt, "list.struct") == 0) {
    f->type = LP__TYPE_LIST;
    return LP_OK;
  }
  if (strcmp(lt, "large_list") == 0 || strcmp(lt, "large_list.struct") == 0) {
    f->type = LP__TYPE_LARGE_LIST;
    return LP_OK;
  }
  if (strcmp(lt, "struct") == 0) {
    f->type = LP__TYPE_STRUCT;
    return LP_OK;
  }
  return unsupported(lt, err);
}

char *lp__logical_type_format(const lp__field *f) {
  char buf[512];
  int idx;
  switch (f->type) {
    case LP__TYPE_TIMESTAMP:
      snprintf(buf, sizeof buf, "timestamp:%s:%s", UNIT_NAMES[f->unit & 3], f->timezone ? f->timezone : "-");
      return strdup(buf);
    case LP__TYPE_FIXED_SIZE_LIST:
      idx = prim_index_of_type(f->elem_type);
      if (idx < 0) return NULL;
      snprintf(buf, sizeof buf, "fixed_size_list:%s:%" PRId32, PRIMS[idx].name, f->list_size);
      return strdup(buf);
    case LP__TYPE_LIST:
    case LP__TYPE_LARGE_LIST: {
      bool of_struct = f->n_children == 1 && f->children[0].type == LP__TYPE_STRUCT;
      const char *base = f->type == LP__TYPE_LIST ? "list" : "large_list";
      snprintf(buf, sizeof buf, "%s%s", base, of_struct ? ".struct" : "");
      return strdup(buf);
    }
    case LP__TYPE_STRUCT:
      return strdup("struct");
    default:
      idx = prim_index_of_type(f->type);
      return idx < 0 ? NULL : strdup(PRIMS[idx].name);
  }
}

size_t lp__field_num_leaves(const lp__field *f) {
  if (f->type != LP__TYPE_LIST && f->type != LP__TYPE_LARGE_LIST && f->type != LP__TYPE_STRUCT) return 1;
  size_t n = 0;
  for (size_t i = 0; i < f->n_children; i++) n += lp__field_num_leaves(&f->children[i]);
  return n;
}

int32_t lp__field_first_leaf_id(const lp__field *f) {
  if (f->type != LP__TYPE_LIST && f->type != LP__TYPE_LARGE_LIST && f->type != LP__TYPE_STRUCT) return f->id;
  for (size_t i = 0; i < f->n_children; i++) {
    int32_t id = lp__field_first_leaf_id(&f->children[i]);
    if (id >= 0) return id;
  }
  return -1;
}

const lp__field *lp__schema_find(const lp__schema *s, const char *name) {
  for (size_t i = 0; i < s->n_fields; i++)
    if (strcmp(s->fields[i].name, name) == 0) return &s->fields[i];
  return NULL;
}

/* ---- memory --------------------------------------------------------------------------------------- */

static void kvs_free(lp__kv *kv, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void lp__field_reset(lp__field *f) {
  if (f == NULL) return;
  free(f->name);
  free(f->logical_type);
  free(f->timezone);
  for (size_t i = 0; i < f->n_children; i++) lp__field_reset(&f->children[i]);
  free(f->children);
  kvs_free(f->metadata, f->n_metadata);
  memset(f, 0, sizeof *f);
}

void lp__schema_reset(lp__schema *s) {
  if (s == NULL) return;
  for (size_t i = 0; i < s->n_fields; i++) lp__field_reset(&s->fields[i]);
  free(s->fields);
  kvs_free(s->metadata, s->n_metadata);
  memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *s, bool *oom) {
  if (s == NULL) return NULL;
  char *d = strdup(s);
  if (d == NULL) *oom = true;
  return d;
}

static bool kvs_copy(const lp__kv *src, size_t n, lp__kv **dst) {
  *dst = NULL;
  if (n == 0) return true;
  lp__kv *d = calloc(n, sizeof *d);
  if (d == NULL) return false;
  for (size_t i = 0; i < n; i++) {
    d[i].key = strdup(src[i].key);
    d[i].value = malloc(src[i].value_len ? src[i].value_len : 1);
    d[i].value_len = src[i].value_len;
    if (d[i].key == NULL || d[i].value == NULL) {
      kvs_free(d, i + 1);
      return false;
    }
    memcpy(d[i].value, src[i].value, src[i].value_len);
  }
  *dst = d;
  return true;
}

lp_status lp__field_copy(const lp__field *src, lp__field *dst, lp_error *err) {
  bool oom = false;
  *dst = *src;
  dst->name = dup_or_null(src->name, &oom);
  dst->logical_type = dup_or_null(src->logical_type, &oom);
  dst->timezone = dup_or_null(src->timezone, &oom);
  dst->children = NULL;
  dst->n_children = 0;
  dst->metadata = NULL;
  dst->n_metadata = 0;
  if (!oom && !kvs_copy(src->metadata, src->n_metadata, &dst->metadata)) oom = true;
  if (!oom) dst->n_metadata = src->n_metadata;
  if (!oom && src->n_children > 0) {
    dst->children = calloc(src->n_children, sizeof *dst->children);
    if (dst->children == NULL) oom = true;
    for (size_t i = 0; !oom && i < src->n_children; i++) {
      if (lp__field_copy(&src->children[i], &dst->children[i], err) != LP_OK) oom = true;
      else dst->n_children = i + 1;
    }
  }
  if (oom) {
    lp__field_reset(dst);
    return lp_error_set(err, LP_ENOMEM, "schema copy: out of memory");
  }
  return LP_OK;
}

lp_status lp__schema_copy(const lp__schema *src, lp__schema *dst, lp_error *err) {
  memset(dst, 0, sizeof *dst);
  if (!kvs_copy(src->metadata, src->n_metadata, &dst->metadata))
    return lp_error_set(err, LP_ENOMEM, "schema copy: out of memory");
  dst->n_metadata = src->n_metadata;
  if (src->n_fields > 0) {
    dst->fields = calloc(src->n_fields, sizeof *dst->fields);
    if (dst->fields == NULL) {
      lp__schema_reset(dst);
      return lp_error_set(err, LP_ENOMEM, "schema copy: out of memory");
    }
  }
  for (size_t i = 0; i < src->n_fields; i++) {
    lp_status rc = lp__field_copy(&src->fields[i], &dst->fields[i], err);
    if (rc != LP_OK) {
      lp__schema_reset(dst);
      return rc;
    }
    dst->n_fields = i + 1;
  }
  return LP_OK;
}

/* ---- tree from the flat list ------------------------------------------------------------------------ */

/* Number of direct children of flat[i] among flat[i+1..n). */
static size_t count_children(const lp__field *flat, size_t n, size_t i) {
  size_t c = 0;
  for (size_t j = i + 1; j < n; j++)
    if (flat[j].parent_id == flat[i].id) c++;
  return c;
}

/* Move flat[*pos] and its descendants (which pre-order puts right after it) into *dst. */
static lp_status build_subtree(lp__field *flat, size_t n, size_t *pos, lp__field *dst, int depth,
                               const char *where, lp_error *err) {
  lp__field *src = &flat[*pos];
  if (depth > MAX_DEPTH)
    return lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" nested deeper than %d", where, src->name, MAX_DEPTH);
  size_t n_kids = count_children(flat, n, *pos);
  bool nested = src->type == LP__TYPE_LIST || src->type == LP__TYPE_LARGE_LIST || src->type == LP__TYPE_STRUCT;
  if (!nested && n_kids > 0)
    return lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" (id %" PRId32 ", %s) has child fields", where,
                        src->name, src->id, src->logical_type);
  if ((src->type == LP__TYPE_LIST || src->type == LP__TYPE_LARGE_LIST) && n_kids != 1)
    return lp_error_set(err, LP_ECORRUPT, "%s: list field \"%s\" (id %" PRId32 ") has %zu children, expected 1",
                        where, src->name, src->id, n_kids);
  *dst = *src;
  memset(src, 0, sizeof *src);
  dst->children = NULL;
  dst->n_children = 0;
  (*pos)++;
  if (n_kids == 0) return LP_OK;
  dst->children = calloc(n_kids, sizeof *dst->children);
  if (dst->children == NULL) return lp_error_set(err, LP_ENOMEM, "%s: schema: out of memory", where);
  while (dst->n_children < n_kids) {
    if (*pos >= n || flat[*pos].parent_id != dst->id)
      return lp_error_set(err, LP_ECORRUPT, "%s: children of field \"%s\" (id %" PRId32 ") are not in pre-order",
                          where, dst->name, dst->id);
    lp_status rc = build_subtree(flat, n, pos, &dst->children[dst->n_children], depth + 1, where, err);
    dst->n_children++;
    if (rc != LP_OK) return rc;
  }
  return LP_OK;
}

/* Parse every logical type and check ids: unique, non-negative, parents known and earlier. */
static lp_status check_flat(lp__field *flat, size_t n, const char *where, lp_error *err) {
  for (size_t i = 0; i < n; i++) {
    lp__field *f = &flat[i];
    if (f->name == NULL || f->id < 0)
      return lp_error_set(err, LP_ECORRUPT, "%s: field %zu has no name or a negative id (%" PRId32 ")", where, i,
                          f->id);
    lp_status rc = lp__logical_type_parse(f->logical_type, f, err);
    if (rc != LP_OK) {
      lp_error_wrap(err, "%s: field \"%s\" (id %" PRId32 "): ", where, f->name, f->id);
      return rc;
    }
    bool parent_seen = f->parent_id == -1;
    for (size_t j = 0; j < i; j++) {
      if (flat[j].id == f->id)
        return lp_error_set(err, LP_ECORRUPT, "%s: field id %" PRId32 " appears twice", where, f->id);
      if (flat[j].id == f->parent_id) parent_seen = true;
    }
    if (!parent_seen)
      return lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" (id %" PRId32 ") names parent %" PRId32
                          " that does not precede it", where, f->name, f->id, f->parent_id);
  }
  return LP_OK;
}

lp_status lp__schema_from_flat(lp__field *flat, size_t n, const char *where, lp__schema *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  lp_status rc = check_flat(flat, n, where, err);
  size_t n_top = 0;
  for (size_t i = 0; i < n; i++) n_top += flat[i].parent_id == -1;
  if (rc == LP_OK && n_top > 0) {
    out->fields = calloc(n_top, sizeof *out->fields);
    if (out->fields == NULL) rc = lp_error_set(err, LP_ENOMEM, "%s: schema: out of memory", where);
  }
  size_t pos = 0;
  while (rc == LP_OK && pos < n) {
    if (flat[pos].parent_id != -1) {
      rc = lp_error_set(err, LP_ECORRUPT, "%s: field \"%s\" (id %" PRId32 ") is not in pre-order", where,
                        flat[pos].name, flat[pos].id);
      break;
    }
    rc = build_subtree(flat, n, &pos, &out->fields[out->n_fields], 0, where, err);
    out->n_fields++;
  }
  for (size_t i = 0; i < n; i++) lp__field_reset(&flat[i]);
  if (rc != LP_OK) lp__schema_reset(out);
  return rc;
}

/* ---- Arrow export ---------------------------------------------------------------------------------- */

typedef struct arrow_priv {
  char *format, *name, *metadata;
  struct ArrowSchema **child_ptrs;
  struct ArrowSchema *child_storage;
} arrow_priv;

static void arrow_release(struct ArrowSchema *s) {
  arrow_priv *p = s->private_data;
  for (int64_t i = 0; i < s->n_children; i++)
    if (s->children[i]->release) s->children[i]->release(s->children[i]);
  if (p) {
    free(p->format);
    free(p->name);
    free(p->metadata);
    free(p->child_ptrs);
    free(p->child_storage);
    free(p);
  }
  s->release = NULL;
}

static void put_i32(char **w, int32_t v) {
  memcpy(*w, &v, 4);
  *w += 4;
}

/* Arrow's metadata encoding: int32 count, then per pair int32 length + key bytes, int32 length + value. */
static char *encode_metadata(const lp__field *f) {
  char idbuf[16];
  snprintf(idbuf, sizeof idbuf, "%" PRId32, f->id);
  size_t size = 4 + 8 + strlen("lance:field_id") + strlen(idbuf);
  for (size_t i = 0; i < f->n_metadata; i++) size += 8 + strlen(f->metadata[i].key) + f->metadata[i].value_len;
  char *buf = malloc(size), *w = buf;
  if (buf == NULL) return NULL;
  put_i32(&w, (int32_t)(f->n_metadata + 1));
  put_i32(&w, (int32_t)strlen("lance:field_id"));
  memcpy(w, "lance:field_id", strlen("lance:field_id"));
  w += strlen("lance:field_id");
  put_i32(&w, (int32_t)strlen(idbuf));
  memcpy(w, idbuf, strlen(idbuf));
  w += strlen(idbuf);
  for (size_t i = 0; i < f->n_metadata; i++) {
    size_t kl = strlen(f->metadata[i].key);
    put_i32(&w, (int32_t)kl);
    memcpy(w, f->metadata[i].key, kl);
    w += kl;
    put_i32(&w, (int32_t)f->metadata[i].value_len);
    memcpy(w, f->metadata[i].value, f->metadata[i].value_len);
    w += f->metadata[i].value_len;
  }
  return buf;
}

static char *arrow_format(const lp__field *f) {
  char buf[320];
  int idx;
  switch (f->type) {
    case LP__TYPE_TIMESTAMP:
      snprintf(buf, sizeof buf, "ts%c:%s", "smun"[f->unit & 3], f->timezone ? f->timezone : "");
      return strdup(buf);
    case LP__TYPE_FIXED_SIZE_LIST:
      snprintf(buf, sizeof buf, "+w:%" PRId32, f->list_size);
      return strdup(buf);
    case LP__TYPE_LIST:
      return strdup("+l");
    case LP__TYPE_LARGE_LIST:
      return strdup("+L");
    case LP__TYPE_STRUCT:
      return strdup("+s");
    default:
      idx = prim_index_of_type(f->type);
      return idx < 0 ? NULL : strdup(PRIMS[idx].arrow);
  }
}

/* Fill out for a plain (unnamed-metadata) schema node; children are allocated but not yet filled. */
static lp_status arrow_node(struct ArrowSchema *out, char *format, const char *name, char *metadata,
                            bool nullable, size_t n_children, lp_error *err) {
  memset(out, 0, sizeof *out);
  arrow_priv *p = calloc(1, sizeof *p);
  if (p) {
    p->format = format;
    p->metadata = metadata;
    p->name = strdup(name ? name : "");
  }
  if (p && n_children > 0) {
    p->child_ptrs = calloc(n_children, sizeof *p->child_ptrs);
    p->child_storage = calloc(n_children, sizeof *p->child_storage);
  }
  if (p == NULL || format == NULL || p->name == NULL ||
      (n_children > 0 && (p->child_ptrs == NULL || p->child_storage == NULL))) {
    if (p == NULL) {
      free(format);
      free(metadata);
    } else {
      out->private_data = p;
      arrow_release(out);
    }
    return lp_error_set(err, LP_ENOMEM, "arrow schema: out of memory");
  }
  for (size_t i = 0; i < n_children; i++) p->child_ptrs[i] = &p->child_storage[i];
  out->format = p->format;
  out->name = p->name;
  out->metadata = p->metadata;
  out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  out->children = p->child_ptrs;
  out->private_data = p;
  out->release = arrow_release;
  return LP_OK;
}

static lp_status field_to_arrow(const lp__field *f, struct ArrowSchema *out, int depth, lp_error *err) {
  if (depth > MAX_DEPTH) return lp_error_set(err, LP_EINVAL, "arrow schema: nesting deeper than %d", MAX_DEPTH);
  size_t n_kids = f->type == LP__TYPE_FIXED_SIZE_LIST ? 1 : f->n_children;
  LP_TRY(arrow_node(out, arrow_format(f), f->name, encode_metadata(f), f->nullable, n_kids, err));
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    int idx = prim_index_of_type(f->elem_type);
    lp_status rc = idx < 0 ? lp_error_set(err, LP_EINVAL, "arrow schema: bad element type")
                           : arrow_node(out->children[0], strdup(PRIMS[idx].arrow), "item", NULL, true, 0, err);
    if (rc != LP_OK) {
      out->release(out);
      return rc;
    }
    out->n_children = 1;
    return LP_OK;
  }
  for (size_t i = 0; i < f->n_children; i++) {
    lp_status rc = field_to_arrow(&f->children[i], out->children[i], depth + 1, err);
    if (rc != LP_OK) {
      out->release(out);
      return rc;
    }
    out->n_children = (int64_t)i + 1;
  }
  return LP_OK;
}

lp_status lp__field_to_arrow(const lp__field *f, struct ArrowSchema *out, lp_error *err) {
  return field_to_arrow(f, out, 0, err);
}

/* Arrow schema of a struct whose members are the given fields: used for table schemas and projections. */
lp_status lp__fields_to_arrow_struct(const lp__field *const *fields, size_t n, struct ArrowSchema *out,
                                     lp_error *err) {
  LP_TRY(arrow_node(out, strdup("+s"), "", NULL, false, n, err));
  for (size_t i = 0; i < n; i++) {
    lp_status rc = lp__field_to_arrow(fields[i], out->children[i], err);
    if (rc != LP_OK) {
      out->release(out);
      return rc;
    }
    out->n_children = (int64_t)i + 1;
  }
  return LP_OK;
}

bool lp__field_is_packed(const lp__field *f) {
  if (f->type != LP__TYPE_STRUCT) return false;
  for (size_t i = 0; i < f->n_metadata; i++)
    if (strcmp(f->metadata[i].key, "lance-encoding:packed") == 0 && f->metadata[i].value_len >= 4 &&
        (memcmp(f->metadata[i].value, "true", 4) == 0 || memcmp(f->metadata[i].value, "TRUE", 4) == 0))
      return true;
  return false;
}
