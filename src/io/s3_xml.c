/* S3's XML answers, parsed with expat. One small walker keeps the stack of element names and the text of
 * the element being read; each answer type is a handler called at every closing tag with that path. DTDs
 * and entity declarations are refused outright: S3 never sends them, and they are the usual XML bombs. */
#include "io/s3_xml.h"

#include <expat.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8          /* S3 answers nest 3 deep */
#define MAX_NAME_BYTES 64
#define MAX_TEXT_BYTES 4096  /* keys are at most 1024 bytes; tokens and messages are short too */

typedef struct walker walker;
/* Called at each closing tag; path[0] is the root. A status other than LP_OK stops the parse. */
typedef lp_status (*end_fn)(walker *w, void *ctx);

struct walker {
  XML_Parser parser;
  char path[MAX_DEPTH][MAX_NAME_BYTES];
  int depth;                /* elements open */
  char text[MAX_TEXT_BYTES + 1];
  size_t text_len;
  end_fn on_end;
  void *ctx;
  lp_status status;
  lp_error *err;
};

static void stop(walker *w, lp_status code, const char *what) {
  if (w->status == LP_OK) w->status = lp_error_set(w->err, code, "S3 XML: %s", what);
  XML_StopParser(w->parser, XML_FALSE);
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
  (void)attrs;
  walker *w = ud;
  if (w->status != LP_OK) return;
  if (w->depth >= MAX_DEPTH) return stop(w, LP_ECORRUPT, "elements nested too deep");
  const char *local = strchr(name, ':');
  local = local ? local + 1 : name;   /* a namespace prefix is not part of the name we match */
  snprintf(w->path[w->depth], MAX_NAME_BYTES, "%s", local);
  w->depth++;
  w->text_len = 0;
}

static void on_text(void *ud, const XML_Char *s, int len) {
  walker *w = ud;
  if (w->status != LP_OK || len <= 0) return;
  if (w->text_len + (size_t)len > MAX_TEXT_BYTES) return stop(w, LP_ECORRUPT, "element text too long");
  memcpy(w->text + w->text_len, s, (size_t)len);
  w->text_len += (size_t)len;
}

static void on_end(void *ud, const XML_Char *name) {
  (void)name;
  walker *w = ud;
  if (w->status != LP_OK) return;
  w->text[w->text_len] = '\0';
  lp_status rc = w->on_end(w, w->ctx);
  if (rc != LP_OK) {
    w->status = rc;
    XML_StopParser(w->parser, XML_FALSE);
    return;
  }
  w->depth--;
  w->text_len = 0;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid, int has_internal) {
  (void)name, (void)sysid, (void)pubid, (void)has_internal;
  stop(ud, LP_ECORRUPT, "a DTD, which S3 never sends");
}

static void on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
                      const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation) {
  (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid, (void)pubid, (void)notation;
  stop(ud, LP_ECORRUPT, "an entity declaration, which S3 never sends");
}

/* True when the open elements are exactly the given names, root first. */
static int at(const walker *w, int n, const char *a, const char *b, const char *c) {
  const char *want[3] = {a, b, c};
  if (w->depth != n) return 0;
  for (int i = 0; i < n; i++)
    if (strcmp(w->path[i], want[i]) != 0) return 0;
  return 1;
}

static lp_status walk(const char *xml, size_t len, end_fn fn, void *ctx, lp_error *err) {
  if (xml == NULL && len > 0) return lp_error_set(err, LP_EINVAL, "S3 XML: NULL body");
  if (len > LP__S3_MAX_XML_BYTES || len > (size_t)INT32_MAX)
    return lp_error_set(err, LP_ECORRUPT, "S3 XML: answer of %zu bytes is over the limit", len);
  walker *w = calloc(1, sizeof *w);
  if (w == NULL) return lp_error_set(err, LP_ENOMEM, "S3 XML: out of memory");
  w->parser = XML_ParserCreate("UTF-8");
  if (w->parser == NULL) {
    free(w);
    return lp_error_set(err, LP_ENOMEM, "S3 XML: out of memory");
  }
  w->on_end = fn;
  w->ctx = ctx;
  w->err = err;
  XML_SetUserData(w->parser, w);
  XML_SetElementHandler(w->parser, on_start, on_end);
  XML_SetCharacterDataHandler(w->parser, on_text);
  XML_SetStartDoctypeDeclHandler(w->parser, on_doctype);
  XML_SetEntityDeclHandler(w->parser, on_entity);
  if (XML_Parse(w->parser, xml ? xml : "", (int)len, XML_TRUE) == XML_STATUS_ERROR && w->status == LP_OK)
    w->status = lp_error_set(err, LP_ECORRUPT, "S3 XML: %s at line %lu", XML_ErrorString(XML_GetErrorCode(w->parser)),
                             (unsigned long)XML_GetCurrentLineNumber(w->parser));
  lp_status rc = w->status;
  XML_ParserFree(w->parser);
  free(w);
  return rc;
}

/* Fails unless the document's root (seen at its first closing tag) is the expected one. */
static lp_status check_root(const walker *w, const char *root, lp_error *err) {
  if (strcmp(w->path[0], root) != 0)
    return lp_error_set(err, LP_ECORRUPT, "S3 XML: expected <%s>, found <%s>", root, w->path[0]);
  return LP_OK;
}

static lp_status parse_u64(const char *s, uint64_t *out, lp_error *err) {
  char *end;
  if (*s < '0' || *s > '9') return lp_error_set(err, LP_ECORRUPT, "S3 XML: size \"%.32s\" is no number", s);
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0) return lp_error_set(err, LP_ECORRUPT, "S3 XML: size \"%.32s\" is no number", s);
  *out = v;
  return LP_OK;
}

static char *dup_text(const walker *w) {
  char *s = malloc(w->text_len + 1);
  if (s != NULL) memcpy(s, w->text, w->text_len + 1);
  return s;
}

/* ---- ListObjectsV2 ---- */

typedef struct list_ctx {
  lp__s3_list_page *page;
  size_t cap_entries, cap_prefixes;
  lp__s3_entry current;   /* the <Contents> being read */
} list_ctx;

static lp_status grow(void **arr, size_t *cap, size_t n, size_t elem, lp_error *err) {
  if (n < *cap) return LP_OK;
  if (n >= LP__S3_MAX_LIST_ENTRIES)
    return lp_error_set(err, LP_ECORRUPT, "S3 XML: more than %d entries in one listing", LP__S3_MAX_LIST_ENTRIES);
  size_t cap2 = *cap ? *cap * 2 : 64;
  void *p = realloc(*arr, cap2 * elem);
  if (p == NULL) return lp_error_set(err, LP_ENOMEM, "S3 XML: out of memory");
  *arr = p;
  *cap = cap2;
  return LP_OK;
}

static lp_status list_contents_end(walker *w, list_ctx *c) {
  lp__s3_list_page *p = c->page;
  if (c->current.key == NULL) return lp_error_set(w->err, LP_ECORRUPT, "S3 XML: <Contents> without <Key>");
  LP_TRY(grow((void **)&p->entries, &c->cap_entries, p->n_entries, sizeof *p->entries, w->err));
  p->entries[p->n_entries++] = c->current;
  memset(&c->current, 0, sizeof c->current);
  return LP_OK;
}

static lp_status set_text(walker *w, char **slot) {
  if (*slot != NULL) return lp_error_set(w->err, LP_ECORRUPT, "S3 XML: <%s> given twice", w->path[w->depth - 1]);
  if (w->text_len > LP__S3_MAX_KEY_BYTES)
    return lp_error_set(w->err, LP_ECORRUPT, "S3 XML: <%s> of %zu bytes", w->path[w->depth - 1], w->text_len);
  *slot = dup_text(w);
  return *slot ? LP_OK : lp_error_set(w->err, LP_ENOMEM, "S3 XML: out of memory");
}

static lp_status list_end(walker *w, void *ctx) {
  list_ctx *c = ctx;
  lp__s3_list_page *p = c->page;
  if (w->depth == 1) return check_root(w, "ListBucketResult", w->err);
  if (strcmp(w->path[0], "ListBucketResult") != 0) return check_root(w, "ListBucketResult", w->err);
  if (at(w, 3, "ListBucketResult", "Contents", "Key")) return set_text(w, &c->current.key);
  if (at(w, 3, "ListBucketResult", "Contents", "ETag")) return set_text(w, &c->current.etag);
  if (at(w, 3, "ListBucketResult", "Contents", "Size")) return parse_u64(w->text, &c->current.size_bytes, w->err);
  if (at(w, 2, "ListBucketResult", "Contents", NULL)) return list_contents_end(w, c);
  if (at(w, 3, "ListBucketResult", "CommonPrefixes", "Prefix")) {
    LP_TRY(grow((void **)&p->prefixes, &c->cap_prefixes, p->n_prefixes, sizeof *p->prefixes, w->err));
    p->prefixes[p->n_prefixes] = NULL;
    LP_TRY(set_text(w, &p->prefixes[p->n_prefixes]));
    p->n_prefixes++;
    return LP_OK;
  }
  if (at(w, 2, "ListBucketResult", "IsTruncated", NULL)) {
    p->is_truncated = strcmp(w->text, "true") == 0;
    return LP_OK;
  }
  if (at(w, 2, "ListBucketResult", "NextContinuationToken", NULL)) return set_text(w, &p->next_token);
  return LP_OK;
}

void lp__s3_list_page_reset(lp__s3_list_page *page) {
  if (page == NULL) return;
  for (size_t i = 0; i < page->n_entries; i++) {
    free(page->entries[i].key);
    free(page->entries[i].etag);
  }
  for (size_t i = 0; i < page->n_prefixes; i++) free(page->prefixes[i]);
  free(page->entries);
  free(page->prefixes);
  free(page->next_token);
  memset(page, 0, sizeof *page);
}

lp_status lp__s3_parse_list(const char *xml, size_t len, lp__s3_list_page *out, lp_error *err) {
  if (out == NULL) return lp_error_set(err, LP_EINVAL, "S3 XML: NULL output");
  memset(out, 0, sizeof *out);
  list_ctx c = {.page = out};
  lp_status rc = walk(xml, len, list_end, &c, err);
  free(c.current.key);
  free(c.current.etag);
  if (rc == LP_OK && out->is_truncated && out->next_token == NULL)
    rc = lp_error_set(err, LP_ECORRUPT, "S3 XML: a truncated listing without NextContinuationToken");
  return rc;
}

/* ---- InitiateMultipartUploadResult ---- */

static lp_status upload_end(walker *w, void *ctx) {
  if (w->depth == 1) return check_root(w, "InitiateMultipartUploadResult", w->err);
  if (at(w, 2, "InitiateMultipartUploadResult", "UploadId", NULL)) return set_text(w, (char **)ctx);
  return LP_OK;
}

lp_status lp__s3_parse_upload_id(const char *xml, size_t len, char **out_upload_id, lp_error *err) {
  if (out_upload_id == NULL) return lp_error_set(err, LP_EINVAL, "S3 XML: NULL output");
  *out_upload_id = NULL;
  lp_status rc = walk(xml, len, upload_end, out_upload_id, err);
  if (rc == LP_OK && (*out_upload_id == NULL || **out_upload_id == '\0'))
    rc = lp_error_set(err, LP_ECORRUPT, "S3 XML: no UploadId in InitiateMultipartUploadResult");
  if (rc != LP_OK) {
    free(*out_upload_id);
    *out_upload_id = NULL;
  }
  return rc;
}

/* ---- Error ---- */

typedef struct error_ctx {
  bool is_error;
  char *code, *message;
  size_t code_size, message_size;
} error_ctx;

static void copy_truncated(char *dst, size_t size, const char *src) {
  if (dst != NULL && size > 0) snprintf(dst, size, "%s", src);
}

static lp_status error_end(walker *w, void *ctx) {
  error_ctx *c = ctx;
  if (w->depth == 1) c->is_error = strcmp(w->path[0], "Error") == 0;
  if (at(w, 2, "Error", "Code", NULL)) copy_truncated(c->code, c->code_size, w->text);
  if (at(w, 2, "Error", "Message", NULL)) copy_truncated(c->message, c->message_size, w->text);
  return LP_OK;
}

lp_status lp__s3_parse_error(const char *xml, size_t len, bool *out_is_error, char *code, size_t code_size,
                             char *message, size_t message_size, lp_error *err) {
  error_ctx c = {.code = code, .message = message, .code_size = code_size, .message_size = message_size};
  copy_truncated(code, code_size, "");
  copy_truncated(message, message_size, "");
  lp_status rc = walk(xml, len, error_end, &c, err);
  if (out_is_error) *out_is_error = rc == LP_OK && c.is_error;
  return rc;
}

/* ---- DeleteResult ---- */

typedef struct delete_ctx {
  size_t n_errors;
  char *key, *code;
  size_t key_size, code_size;
} delete_ctx;

static lp_status delete_end(walker *w, void *ctx) {
  delete_ctx *c = ctx;
  if (w->depth == 1) return check_root(w, "DeleteResult", w->err);
  if (at(w, 2, "DeleteResult", "Error", NULL)) c->n_errors++;
  if (c->n_errors == 0 && at(w, 3, "DeleteResult", "Error", "Key")) copy_truncated(c->key, c->key_size, w->text);
  if (c->n_errors == 0 && at(w, 3, "DeleteResult", "Error", "Code")) copy_truncated(c->code, c->code_size, w->text);
  return LP_OK;
}

lp_status lp__s3_parse_delete_result(const char *xml, size_t len, size_t *out_n_errors, char *first_key,
                                     size_t key_size, char *first_code, size_t code_size, lp_error *err) {
  delete_ctx c = {.key = first_key, .code = first_code, .key_size = key_size, .code_size = code_size};
  copy_truncated(first_key, key_size, "");
  copy_truncated(first_code, code_size, "");
  lp_status rc = walk(xml, len, delete_end, &c, err);
  if (out_n_errors) *out_n_errors = c.n_errors;
  return rc;
}
