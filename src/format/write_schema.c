/* Schemas on the write path (see write_schema.h). */
#include "format/write_schema.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16 /* nesting levels accepted in a schema */

/* ---- primitive type table ------------------------------------------------------------------------ */

typedef struct {
  lp__type type;
  const char *lance;  /* logical type string */
  const char *arrow;  /* Arrow format string */
  const char *cli;    /* CLI spelling */
  size_t width;       /* bytes per value; 0 = bool (1 bit) or variable */
  bool varwidth;
} prim_info;

static const prim_info prims[] = {
    {LP__TYPE_BOOL, "bool", "b", "bool", 0, false},
    {LP__TYPE_INT8, "int8", "c", "int8", 1, false},
    {LP__TYPE_INT16, "int16", "s", "int16", 2, false},
    {LP__TYPE_INT32, "int32", "i", "int32", 4, false},
    {LP__TYPE_INT64, "int64", "l", "int64", 8, false},
    {LP__TYPE_UINT8, "uint8", "C", "uint8", 1, false},
    {LP__TYPE_UINT16, "uint16", "S", "uint16", 2, false},
    {LP__TYPE_UINT32, "uint32", "I", "uint32", 4, false},
    {LP__TYPE_UINT64, "uint64", "L", "uint64", 8, false},
    {LP__TYPE_FLOAT16, "halffloat", "e", "float16", 2, false},
    {LP__TYPE_FLOAT32, "float", "f", "float32", 4, false},
    {LP__TYPE_FLOAT64, "double", "g", "float64", 8, false},
    {LP__TYPE_UTF8, "string", "u", "utf8", 0, true},
    {LP__TYPE_LARGE_UTF8, "large_string", "U", "large_utf8", 0, true},
    {LP__TYPE_BINARY, "binary", "z", "binary", 0, true},
    {LP__TYPE_LARGE_BINARY, "large_binary", "Z", "large_binary", 0, true},
    {LP__TYPE_DATE32, "date32:day", "tdD", "date32", 4, false},
};
#define N_PRIMS (sizeof prims / sizeof prims[0])

static const prim_info *prim_by_type(lp__type t) {
  for (size_t i = 0; i < N_PRIMS; i++)
    if (prims[i].type == t) return &prims[i];
  return NULL;
}

size_t lp__wtype_width(lp__type t) {
  if (t == LP__TYPE_TIMESTAMP) return 8;
  const prim_info *p = prim_by_type(t);
  return p ? p->width : 0;
}

bool lp__wtype_is_varwidth(lp__type t) {
  const prim_info *p = prim_by_type(t);
  return p && p->varwidth;
}

static const char unit_chars[] = {'s', 'm', 'u', 'n'};
static const char *unit_names[] = {"s", "ms", "us", "ns"};

/* ---- freeing and copying -------------------------------------------------------------------------- */

static void kvs_free(lp__kv *kv, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void lp__wschema_reset(lp__schema *s) { lp__schema_reset(s); }

lp_status lp__wschema_copy(const lp__schema *src, lp__schema *dst, lp_error *err) {
  return lp__schema_copy(src, dst, err);
}

/* ---- from Arrow ------------------------------------------------------------------------------------ */

/* Arrow metadata: int32 n, then n x (int32 klen, key, int32 vlen, value), native endianness. One entry at
 * *p: its key and value; *p moves past it. */
static void meta_next(const char **p, const char **k, int32_t *kl, const char **v, int32_t *vl) {
  memcpy(kl, *p, 4);
  *k = *p + 4;
  memcpy(vl, *k + *kl, 4);
  *v = *k + *kl + 4;
  *p = *v + *vl;
}

static bool key_is(const char *k, int32_t kl, const char *key) {
  return (size_t)kl == strlen(key) && memcmp(k, key, (size_t)kl) == 0;
}

static const char *arrow_meta_get(const char *meta, const char *key, int32_t *out_len) {
  if (meta == NULL) return NULL;
  int32_t n;
  memcpy(&n, meta, 4);
  const char *p = meta + 4;
  for (int32_t i = 0; i < n; i++) {
    const char *k, *v;
    int32_t kl, vl;
    meta_next(&p, &k, &kl, &v, &vl);
    if (key_is(k, kl, key)) {
      *out_len = vl;
      return v;
    }
  }
  return NULL;
}

static lp_status meta_from_arrow(const char *meta, lp__kv **out, size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  if (meta == NULL) return LP_OK;
  int32_t n;
  memcpy(&n, meta, 4);
  if (n <= 0) return LP_OK;
  lp__kv *kv = calloc((size_t)n, sizeof *kv);
  if (kv == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  const char *p = meta + 4;
  size_t kept = 0;
  for (int32_t i = 0; i < n; i++) {
    const char *k, *v;
    int32_t kl, vl;
    meta_next(&p, &k, &kl, &v, &vl);
    if (key_is(k, kl, "lance:field_id")) continue; /* the field id lives in the Field message */
    kv[kept].key = strndup(k, (size_t)kl);
    kv[kept].value = malloc(vl ? (size_t)vl : 1);
    kv[kept].value_len = (size_t)vl;
    if (kv[kept].key == NULL || kv[kept].value == NULL) {
      kvs_free(kv, kept + 1);
      return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
    }
    memcpy(kv[kept].value, v, (size_t)vl);
    kept++;
  }
  *out = kv;
  *out_n = kept;
  return LP_OK;
}

static lp_status field_from_arrow(const struct ArrowSchema *a, lp__field *f, int depth, lp_error *err) {
  const char *fmt = a->format ? a->format : "";
  const char *name = a->name ? a->name : "";
  memset(f, 0, sizeof *f);
  f->id = -1;
  f->parent_id = -1;
  if (depth > MAX_DEPTH) return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": nested too deeply", name);
  f->name = strdup(name);
  if (f->name == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  f->nullable = (a->flags & ARROW_FLAG_NULLABLE) != 0;
  int32_t vl;
  const char *idv = arrow_meta_get(a->metadata, "lance:field_id", &vl);
  if (idv && vl > 0 && vl < 12) {
    char tmp[12];
    memcpy(tmp, idv, (size_t)vl);
    tmp[vl] = 0;
    f->id = (int32_t)strtol(tmp, NULL, 10);
  }
  lp_status rc = meta_from_arrow(a->metadata, &f->metadata, &f->n_metadata, err);
  if (rc != LP_OK) return rc;
  if (a->dictionary)
    return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": dictionary arrays are not supported", name);
  for (size_t i = 0; i < N_PRIMS; i++)
    if (strcmp(fmt, prims[i].arrow) == 0) {
      f->type = prims[i].type;
      goto done;
    }
  if (strncmp(fmt, "ts", 2) == 0 && strlen(fmt) >= 4 && fmt[3] == ':') {
    for (int u = 0; u < 4; u++)
      if (fmt[2] == unit_chars[u]) {
        f->type = LP__TYPE_TIMESTAMP;
        f->unit = (lp__time_unit)u;
        if (fmt[4]) {
          if (strchr(fmt + 4, ':'))
            return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": time zone \"%s\" contains ':', which Lance cannot store", name, fmt + 4);
          f->timezone = strdup(fmt + 4);
          if (f->timezone == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
        }
        goto done;
      }
  }
  if (strncmp(fmt, "+w:", 3) == 0) {
    long dim = strtol(fmt + 3, NULL, 10);
    if (a->n_children != 1 || dim <= 0 || dim > (1 << 20))
      return lp_error_set(err, LP_EINVAL, "field \"%s\": bad fixed-size list \"%s\"", name, fmt);
    const char *ef = a->children[0]->format;
    for (size_t i = 0; i < N_PRIMS; i++)
      if (!prims[i].varwidth && prims[i].type != LP__TYPE_BOOL && strcmp(ef, prims[i].arrow) == 0) {
        f->type = LP__TYPE_FIXED_SIZE_LIST;
        f->elem_type = prims[i].type;
        f->list_size = (int32_t)dim;
        goto done;
      }
    return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": fixed-size list of \"%s\" is not supported", name, ef);
  }
  if (strcmp(fmt, "+l") == 0 || strcmp(fmt, "+L") == 0 || strcmp(fmt, "+s") == 0) {
    f->type = fmt[1] == 'l' ? LP__TYPE_LIST : fmt[1] == 'L' ? LP__TYPE_LARGE_LIST : LP__TYPE_STRUCT;
    if (f->type != LP__TYPE_STRUCT && a->n_children != 1)
      return lp_error_set(err, LP_EINVAL, "field \"%s\": a list needs exactly one child", name);
    if (f->type == LP__TYPE_STRUCT && a->n_children == 0)
      return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": a struct needs at least one member", name);
    f->children = calloc((size_t)a->n_children, sizeof *f->children);
    if (f->children == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
    for (int64_t i = 0; i < a->n_children; i++) {
      f->n_children = (size_t)i + 1;
      LP_TRY(field_from_arrow(a->children[i], &f->children[i], depth + 1, err));
    }
    if (f->type != LP__TYPE_STRUCT) {
      free(f->children[0].name);
      f->children[0].name = strdup("item");
      if (f->children[0].name == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
    }
    goto done;
  }
  return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": Arrow type \"%s\" is not supported", name, fmt);
done:
  f->logical_type = lp__logical_type_format(f);
  if (f->logical_type == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  return LP_OK;
}

static void assign_ids(lp__field *f, int32_t parent, int32_t *next) {
  f->id = (*next)++;
  f->parent_id = parent;
  for (size_t i = 0; i < f->n_children; i++) assign_ids(&f->children[i], f->id, next);
}

static bool all_have_ids(const lp__field *f) {
  if (f->id < 0) return false;
  for (size_t i = 0; i < f->n_children; i++)
    if (!all_have_ids(&f->children[i])) return false;
  return true;
}

static void set_parents(lp__field *f, int32_t parent) {
  f->parent_id = parent;
  for (size_t i = 0; i < f->n_children; i++) set_parents(&f->children[i], f->id);
}

lp_status lp__wschema_from_arrow(const struct ArrowSchema *schema, lp__schema *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  if (schema == NULL || schema->format == NULL || strcmp(schema->format, "+s") != 0)
    return lp_error_set(err, LP_EINVAL, "schema: expected an Arrow struct schema (\"+s\"), found \"%s\"",
                        schema && schema->format ? schema->format : "(null)");
  if (schema->n_children <= 0) return lp_error_set(err, LP_EINVAL, "schema: a table needs at least one column");
  out->fields = calloc((size_t)schema->n_children, sizeof *out->fields);
  if (out->fields == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  lp_status rc = LP_OK;
  for (int64_t i = 0; i < schema->n_children && rc == LP_OK; i++) {
    out->n_fields = (size_t)i + 1;
    rc = field_from_arrow(schema->children[i], &out->fields[i], 0, err);
    for (int64_t j = 0; j < i && rc == LP_OK; j++)
      if (strcmp(out->fields[j].name, out->fields[i].name) == 0)
        rc = lp_error_set(err, LP_EINVAL, "schema: duplicate column name \"%s\"", out->fields[i].name);
  }
  if (rc == LP_OK) rc = meta_from_arrow(schema->metadata, &out->metadata, &out->n_metadata, err);
  if (rc != LP_OK) {
    lp__wschema_reset(out);
    return rc;
  }
  bool have = true;
  for (size_t i = 0; i < out->n_fields; i++) have = have && all_have_ids(&out->fields[i]);
  int32_t next = 0;
  for (size_t i = 0; i < out->n_fields; i++) {
    if (have)
      set_parents(&out->fields[i], -1);
    else
      assign_ids(&out->fields[i], -1, &next);
  }
  return LP_OK;
}

/* ---- CLI text spec -------------------------------------------------------------------------------- */

typedef struct {
  const char *s;
  size_t pos;
} spec_cursor;

static void skip_ws(spec_cursor *c) {
  while (isspace((unsigned char)c->s[c->pos])) c->pos++;
}

static bool take(spec_cursor *c, const char *lit) {
  skip_ws(c);
  size_t n = strlen(lit);
  if (strncmp(c->s + c->pos, lit, n) == 0) {
    c->pos += n;
    return true;
  }
  return false;
}

static size_t ident(spec_cursor *c, char *out, size_t cap) {
  skip_ws(c);
  size_t n = 0;
  while (isalnum((unsigned char)c->s[c->pos]) || c->s[c->pos] == '_' || c->s[c->pos] == '-' || c->s[c->pos] == '.') {
    if (n + 1 < cap) out[n++] = c->s[c->pos];
    c->pos++;
  }
  out[n] = 0;
  return n;
}

static lp_status spec_type(spec_cursor *c, lp__field *f, int depth, lp_error *err);

#define MAX_SPEC_DIM (1 << 20) /* largest fixed-size list the spec accepts */

/* The dimension of a fixed-size list, read with sscanf format fmt (one %ld, then %n): on success f becomes
 * a fixed_size_list<elem, N> and the cursor moves past it. */
static bool take_dim(spec_cursor *c, const char *fmt, lp__field *f, lp__type elem) {
  long dim;
  int used = 0;
  skip_ws(c);
  if (sscanf(c->s + c->pos, fmt, &dim, &used) < 1 || used == 0 || dim <= 0 || dim > MAX_SPEC_DIM) return false;
  c->pos += (size_t)used;
  f->type = LP__TYPE_FIXED_SIZE_LIST;
  f->elem_type = elem;
  f->list_size = (int32_t)dim;
  return true;
}

static lp_status spec_fail(spec_cursor *c, lp_error *err, const char *what) {
  return lp_error_set(err, LP_EINVAL, "schema spec: %s at offset %zu: \"%.20s\"", what, c->pos, c->s + c->pos);
}

/* name ':' type [not null] */
static lp_status spec_field(spec_cursor *c, lp__field *f, int depth, lp_error *err) {
  char name[256];
  memset(f, 0, sizeof *f);
  f->nullable = true;
  if (ident(c, name, sizeof name) == 0) return spec_fail(c, err, "expected a field name");
  f->name = strdup(name);
  if (f->name == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  if (!take(c, ":")) return spec_fail(c, err, "expected ':' after the field name");
  LP_TRY(spec_type(c, f, depth, err));
  size_t save = c->pos;
  if (take(c, "not") && (skip_ws(c), take(c, "null")))
    f->nullable = false;
  else
    c->pos = save;
  return LP_OK;
}

static lp_status spec_child(spec_cursor *c, lp__field *f, int depth, lp_error *err) {
  f->children = calloc(1, sizeof *f->children);
  if (f->children == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  f->n_children = 1;
  f->children[0].name = strdup("item");
  if (f->children[0].name == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  f->children[0].nullable = true;
  return spec_type(c, &f->children[0], depth + 1, err);
}

static lp_status spec_type(spec_cursor *c, lp__field *f, int depth, lp_error *err) {
  char word[64];
  if (depth > MAX_DEPTH) return spec_fail(c, err, "nested too deeply");
  if (ident(c, word, sizeof word) == 0) return spec_fail(c, err, "expected a type");
  for (size_t i = 0; i < N_PRIMS; i++)
    if (strcmp(word, prims[i].cli) == 0) {
      f->type = prims[i].type;
      goto done;
    }
  if (strcmp(word, "vector") == 0) {
    if (!take_dim(c, "(%ld )%n", f, LP__TYPE_FLOAT32)) return spec_fail(c, err, "expected vector(N) with N > 0");
    goto done;
  }
  if (strcmp(word, "timestamp") == 0) {
    if (!take(c, "[")) return spec_fail(c, err, "expected timestamp[unit]");
    char u[8];
    ident(c, u, sizeof u);
    int unit = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(u, unit_names[i]) == 0) unit = i;
    if (unit < 0) return spec_fail(c, err, "expected a time unit s, ms, us or ns");
    f->type = LP__TYPE_TIMESTAMP;
    f->unit = (lp__time_unit)unit;
    if (take(c, ",")) {
      if (!take(c, "tz") || !take(c, "=")) return spec_fail(c, err, "expected tz=ZONE");
      skip_ws(c);
      size_t start = c->pos;
      while (c->s[c->pos] && c->s[c->pos] != ']' && !isspace((unsigned char)c->s[c->pos])) c->pos++;
      if (c->pos == start) return spec_fail(c, err, "expected a time zone");
      f->timezone = strndup(c->s + start, c->pos - start);
      if (f->timezone == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
      if (strchr(f->timezone, ':')) return spec_fail(c, err, "a time zone must not contain ':'");
    }
    if (!take(c, "]")) return spec_fail(c, err, "expected ']'");
    goto done;
  }
  if (strcmp(word, "fixed_size_list") == 0) {
    if (!take(c, "<")) return spec_fail(c, err, "expected '<'");
    lp__field elem = {0};
    lp_status rc = spec_type(c, &elem, depth + 1, err);
    lp__type et = elem.type;
    lp__field_reset(&elem);
    if (rc != LP_OK) return rc;
    const prim_info *p = prim_by_type(et);
    if (p == NULL || p->varwidth || et == LP__TYPE_BOOL)
      return spec_fail(c, err, "fixed_size_list needs a fixed-width numeric element type");
    if (!take_dim(c, ", %ld >%n", f, et)) return spec_fail(c, err, "expected ', N>'");
    goto done;
  }
  if (strcmp(word, "list") == 0 || strcmp(word, "large_list") == 0) {
    f->type = word[0] == 'l' && word[1] == 'i' ? LP__TYPE_LIST : LP__TYPE_LARGE_LIST;
    if (!take(c, "<")) return spec_fail(c, err, "expected '<'");
    LP_TRY(spec_child(c, f, depth, err));
    if (!take(c, ">")) return spec_fail(c, err, "expected '>'");
    goto done;
  }
  if (strcmp(word, "struct") == 0) {
    f->type = LP__TYPE_STRUCT;
    if (!take(c, "<")) return spec_fail(c, err, "expected '<'");
    size_t cap = 0;
    do {
      if (f->n_children == cap) {
        cap = cap ? cap * 2 : 4;
        lp__field *nc = realloc(f->children, cap * sizeof *nc);
        if (nc == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
        f->children = nc;
      }
      lp__field *ch = &f->children[f->n_children++];
      LP_TRY(spec_field(c, ch, depth + 1, err));
    } while (take(c, ","));
    if (!take(c, ">")) return spec_fail(c, err, "expected '>' or ','");
    goto done;
  }
  return lp_error_set(err, LP_EINVAL, "schema spec: unknown type \"%s\"", word);
done:
  f->logical_type = lp__logical_type_format(f);
  if (f->logical_type == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  return LP_OK;
}

lp_status lp__wschema_parse_spec(const char *spec, lp__schema *out, lp_error *err) {
  memset(out, 0, sizeof *out);
  spec_cursor c = {spec ? spec : "", 0};
  size_t cap = 0;
  lp_status rc = LP_OK;
  do {
    if (out->n_fields == cap) {
      cap = cap ? cap * 2 : 8;
      lp__field *nf = realloc(out->fields, cap * sizeof *nf);
      if (nf == NULL) {
        rc = lp_error_set(err, LP_ENOMEM, "schema: out of memory");
        break;
      }
      out->fields = nf;
    }
    lp__field *f = &out->fields[out->n_fields++];
    rc = spec_field(&c, f, 0, err);
    for (size_t j = 0; rc == LP_OK && j + 1 < out->n_fields; j++)
      if (strcmp(out->fields[j].name, f->name) == 0)
        rc = lp_error_set(err, LP_EINVAL, "schema spec: duplicate column name \"%s\"", f->name);
  } while (rc == LP_OK && take(&c, ","));
  if (rc == LP_OK) {
    skip_ws(&c);
    if (c.s[c.pos]) rc = spec_fail(&c, err, "unexpected text");
  }
  if (rc != LP_OK) {
    lp__wschema_reset(out);
    return rc;
  }
  int32_t next = 0;
  for (size_t i = 0; i < out->n_fields; i++) assign_ids(&out->fields[i], -1, &next);
  return LP_OK;
}

/* ---- protobuf (protobuf-c messages built in a commit's arena) --------------------------------------- */

/* Every map entry message with a string key and a bytes value has this layout (protoc-c output for
 * map<string, bytes>), whichever message it belongs to. */
typedef struct kv_entry {
  ProtobufCMessage base;
  char *key;
  ProtobufCBinaryData value;
} kv_entry;

static lp_status kvs_to_pb(const lp__kv *kv, size_t n, lp__arena *a, const ProtobufCMessageDescriptor *entry_desc,
                           void ***out, size_t *out_n, lp_error *err) {
  *out = NULL;
  *out_n = 0;
  if (n == 0) return LP_OK;
  if (entry_desc->sizeof_message != sizeof(kv_entry))
    return lp_error_set(err, LP_EINVAL, "%s is not a string-to-bytes map entry", entry_desc->name);
  void **v = lp__arena_alloc(a, n * sizeof *v);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  for (size_t i = 0; i < n; i++) {
    kv_entry *e = lp__arena_msg(a, entry_desc);
    if (e == NULL || (e->key = lp__arena_strdup(a, kv[i].key)) == NULL)
      return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
    e->value.len = kv[i].value_len;
    e->value.data = kv[i].value; /* borrowed: the schema outlives the message */
    v[i] = e;
  }
  *out = v;
  *out_n = n;
  return LP_OK;
}

static size_t count_fields(const lp__field *f) {
  size_t n = 1;
  for (size_t i = 0; i < f->n_children; i++) n += count_fields(&f->children[i]);
  return n;
}

/* f and its descendants as Field messages at out[*pos...], pre-order. */
static lp_status field_to_pb(const lp__field *f, lp__arena *a, Lance__File__Field **out, size_t *pos, lp_error *err) {
  Lance__File__Field *m = lp__arena_msg(a, &lance__file__field__descriptor);
  if (m == NULL || (m->name = lp__arena_strdup(a, f->name)) == NULL ||
      (m->logical_type = lp__arena_strdup(a, f->logical_type ? f->logical_type : "")) == NULL)
    return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  m->id = f->id;
  m->parent_id = f->parent_id;
  m->nullable = f->nullable;
  /* Encoding hint: VAR_BINARY for strings and binaries, none for structs, PLAIN for the rest. */
  m->encoding = lp__wtype_is_varwidth(f->type) ? LANCE__FILE__ENCODING__VAR_BINARY
                : f->type == LP__TYPE_STRUCT    ? LANCE__FILE__ENCODING__NONE
                                                : LANCE__FILE__ENCODING__PLAIN;
  LP_TRY(kvs_to_pb(f->metadata, f->n_metadata, a, &lance__file__field__metadata_entry__descriptor,
                   (void ***)&m->metadata, &m->n_metadata, err));
  out[(*pos)++] = m;
  for (size_t i = 0; i < f->n_children; i++) LP_TRY(field_to_pb(&f->children[i], a, out, pos, err));
  return LP_OK;
}

lp_status lp__wschema_to_pb(const lp__schema *s, lp__arena *a, Lance__File__Field ***out, size_t *out_n,
                            lp_error *err) {
  size_t n = 0, pos = 0;
  for (size_t i = 0; i < s->n_fields; i++) n += count_fields(&s->fields[i]);
  Lance__File__Field **v = lp__arena_alloc(a, (n ? n : 1) * sizeof *v);
  if (v == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  for (size_t i = 0; i < s->n_fields; i++) LP_TRY(field_to_pb(&s->fields[i], a, v, &pos, err));
  *out = v;
  *out_n = n;
  return LP_OK;
}

lp_status lp__wschema_metadata_to_pb(const lp__schema *s, lp__arena *a, const ProtobufCMessageDescriptor *entry_desc,
                                     void ***out, size_t *out_n, lp_error *err) {
  return kvs_to_pb(s->metadata, s->n_metadata, a, entry_desc, out, out_n, err);
}

lp_status lp__wschema_pack(const lp__schema *s, uint8_t **out, size_t *out_len, lp_error *err) {
  lp__arena *a = lp__arena_new();
  if (a == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  Lance__File__Schema *m = lp__arena_msg(a, &lance__file__schema__descriptor);
  lp_status rc = m ? LP_OK : lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  if (rc == LP_OK) rc = lp__wschema_to_pb(s, a, &m->fields, &m->n_fields, err);
  if (rc == LP_OK)
    rc = kvs_to_pb(s->metadata, s->n_metadata, a, &lance__file__schema__metadata_entry__descriptor,
                   (void ***)&m->metadata, &m->n_metadata, err);
  if (rc == LP_OK) {
    size_t n = protobuf_c_message_get_packed_size(&m->base);
    *out = malloc(n ? n : 1);
    if (*out == NULL)
      rc = lp_error_set(err, LP_ENOMEM, "schema: out of memory");
    else
      *out_len = protobuf_c_message_pack(&m->base, *out);
  }
  lp__arena_free(a);
  return rc;
}

static int32_t max_id(const lp__field *f) {
  int32_t m = f->id;
  for (size_t i = 0; i < f->n_children; i++) {
    int32_t c = max_id(&f->children[i]);
    if (c > m) m = c;
  }
  return m;
}

int32_t lp__wschema_max_id(const lp__schema *s) {
  int32_t m = -1;
  for (size_t i = 0; i < s->n_fields; i++) {
    int32_t c = max_id(&s->fields[i]);
    if (c > m) m = c;
  }
  return m;
}

/* ---- checking incoming data ---------------------------------------------------------------------- */

static lp_status check_field(const lp__field *f, const struct ArrowSchema *a, const char *path, lp_error *err) {
  lp__field tmp;
  lp_status rc = field_from_arrow(a, &tmp, 0, err);
  if (rc != LP_OK) {
    lp__field_reset(&tmp);
    lp_error_wrap(err, "column %s: ", path);
    return rc;
  }
  bool same = tmp.type == f->type;
  if (same && f->type == LP__TYPE_TIMESTAMP)
    same = tmp.unit == f->unit &&
           ((tmp.timezone == NULL) == (f->timezone == NULL)) && (!tmp.timezone || strcmp(tmp.timezone, f->timezone) == 0);
  if (same && f->type == LP__TYPE_FIXED_SIZE_LIST) same = tmp.elem_type == f->elem_type && tmp.list_size == f->list_size;
  if (same && f->n_children != tmp.n_children) same = false;
  char *want = lp__logical_type_format(f), *got = lp__logical_type_format(&tmp);
  lp__field_reset(&tmp);
  if (!same) {
    rc = lp_error_set(err, LP_EINVAL, "column %s: expected type %s, found %s (Arrow \"%s\")", path,
                      want ? want : "?", got ? got : "?", a->format);
  }
  free(want);
  free(got);
  if (rc != LP_OK) return rc;
  for (size_t i = 0; i < f->n_children; i++) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, f->children[i].name);
    if (f->type == LP__TYPE_STRUCT && strcmp(a->children[i]->name ? a->children[i]->name : "", f->children[i].name) != 0)
      return lp_error_set(err, LP_EINVAL, "column %s: expected member \"%s\", found \"%s\"", path,
                          f->children[i].name, a->children[i]->name ? a->children[i]->name : "");
    LP_TRY(check_field(&f->children[i], a->children[i], sub, err));
  }
  return LP_OK;
}

lp_status lp__wschema_check_arrow(const lp__schema *s, const struct ArrowSchema *arrow, lp_error *err) {
  if (arrow == NULL || arrow->format == NULL || strcmp(arrow->format, "+s") != 0)
    return lp_error_set(err, LP_EINVAL, "data: expected a struct (record batch) schema");
  if ((size_t)arrow->n_children != s->n_fields)
    return lp_error_set(err, LP_EINVAL, "data: expected %zu columns, found %lld", s->n_fields,
                        (long long)arrow->n_children);
  for (size_t i = 0; i < s->n_fields; i++) {
    const char *name = arrow->children[i]->name ? arrow->children[i]->name : "";
    if (strcmp(name, s->fields[i].name) != 0)
      return lp_error_set(err, LP_EINVAL, "data: column %zu: expected \"%s\", found \"%s\"", i, s->fields[i].name, name);
    LP_TRY(check_field(&s->fields[i], arrow->children[i], s->fields[i].name, err));
  }
  return LP_OK;
}

/* ---- to Arrow ------------------------------------------------------------------------------------- */

typedef struct {
  char *format, *name, *metadata;
} schema_priv;

static void schema_release(struct ArrowSchema *s) {
  if (s == NULL || s->release == NULL) return;
  for (int64_t i = 0; i < s->n_children; i++) {
    if (s->children[i]->release) s->children[i]->release(s->children[i]);
    free(s->children[i]);
  }
  free(s->children);
  schema_priv *p = s->private_data;
  if (p) {
    free(p->format);
    free(p->name);
    free(p->metadata);
    free(p);
  }
  s->release = NULL;
}

static lp_status make_schema(struct ArrowSchema *out, const char *format, const char *name, int32_t id,
                             bool nullable, int64_t n_children, lp_error *err) {
  memset(out, 0, sizeof *out);
  schema_priv *p = calloc(1, sizeof *p);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  p->format = strdup(format);
  p->name = strdup(name);
  if (id >= 0) {
    char v[16];
    int vl = snprintf(v, sizeof v, "%d", (int)id);
    const char *k = "lance:field_id";
    int32_t n = 1, kl = (int32_t)strlen(k), vl32 = vl;
    p->metadata = malloc(12 + (size_t)kl + (size_t)vl);
    if (p->metadata) {
      memcpy(p->metadata, &n, 4);
      memcpy(p->metadata + 4, &kl, 4);
      memcpy(p->metadata + 8, k, (size_t)kl);
      memcpy(p->metadata + 8 + kl, &vl32, 4);
      memcpy(p->metadata + 12 + kl, v, (size_t)vl);
    }
  }
  out->private_data = p;
  out->release = schema_release;
  out->format = p->format;
  out->name = p->name;
  out->metadata = p->metadata;
  out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  if (n_children) {
    out->children = calloc((size_t)n_children, sizeof *out->children);
    if (out->children) {
      out->n_children = n_children;
      for (int64_t i = 0; i < n_children; i++) {
        out->children[i] = calloc(1, sizeof **out->children);
        if (out->children[i] == NULL) {
          out->n_children = i;
          break;
        }
      }
    }
  }
  if (p->format == NULL || p->name == NULL || (id >= 0 && p->metadata == NULL) || out->n_children != n_children) {
    schema_release(out);
    return lp_error_set(err, LP_ENOMEM, "schema: out of memory");
  }
  return LP_OK;
}

static lp_status field_to_arrow(const lp__field *f, struct ArrowSchema *out, lp_error *err) {
  char fmt[64];
  const prim_info *p = prim_by_type(f->type);
  int64_t nc = (int64_t)f->n_children;
  switch (f->type) {
    case LP__TYPE_TIMESTAMP:
      snprintf(fmt, sizeof fmt, "ts%c:%s", unit_chars[f->unit], f->timezone ? f->timezone : "");
      break;
    case LP__TYPE_FIXED_SIZE_LIST:
      snprintf(fmt, sizeof fmt, "+w:%d", (int)f->list_size);
      nc = 1;
      break;
    case LP__TYPE_LIST: strcpy(fmt, "+l"); break;
    case LP__TYPE_LARGE_LIST: strcpy(fmt, "+L"); break;
    case LP__TYPE_STRUCT: strcpy(fmt, "+s"); break;
    default:
      if (p == NULL) return lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": type not supported", f->name);
      snprintf(fmt, sizeof fmt, "%s", p->arrow);
  }
  LP_TRY(make_schema(out, fmt, f->name, f->id, f->nullable, nc, err));
  if (f->type == LP__TYPE_FIXED_SIZE_LIST) {
    const prim_info *e = prim_by_type(f->elem_type);
    lp_status rc = e ? make_schema(out->children[0], e->arrow, "item", -1, true, 0, err)
                     : lp_error_set(err, LP_EUNSUPPORTED, "field \"%s\": bad element type", f->name);
    if (rc != LP_OK) {
      schema_release(out);
      return rc;
    }
    return LP_OK;
  }
  for (size_t i = 0; i < f->n_children; i++) {
    lp_status rc = field_to_arrow(&f->children[i], out->children[i], err);
    if (rc != LP_OK) {
      schema_release(out);
      return rc;
    }
  }
  return LP_OK;
}

lp_status lp__wschema_to_arrow(const lp__schema *s, struct ArrowSchema *out, lp_error *err) {
  LP_TRY(make_schema(out, "+s", "", -1, false, (int64_t)s->n_fields, err));
  for (size_t i = 0; i < s->n_fields; i++) {
    lp_status rc = field_to_arrow(&s->fields[i], out->children[i], err);
    if (rc != LP_OK) {
      schema_release(out);
      return rc;
    }
  }
  return LP_OK;
}
