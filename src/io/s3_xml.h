/* Parsers of the XML bodies S3 answers with (ListBucketResult of ListObjectsV2, InitiateMultipartUpload-
 * Result, DeleteResult, Error), on expat. The bytes come from the network: every parser caps sizes and
 * counts and returns LP_ECORRUPT with a message for anything malformed, never crashes. Internal;
 * thread-safe (no shared state). */
#ifndef LP_IO_S3_XML_H
#define LP_IO_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

#define LP__S3_MAX_XML_BYTES ((size_t)64 << 20)  /* larger answers are refused */
#define LP__S3_MAX_KEY_BYTES 1024                /* S3's own limit on key length */
#define LP__S3_MAX_LIST_ENTRIES 100000           /* per page; S3 sends at most 1000 */

/* One object of a listing. */
typedef struct lp__s3_entry {
  char *key;      /* owned */
  uint64_t size_bytes;
  char *etag;     /* owned, may be NULL */
} lp__s3_entry;

/* One page of ListObjectsV2. */
typedef struct lp__s3_list_page {
  lp__s3_entry *entries;  /* owned, n_entries of them, in the server's (lexical) order */
  size_t n_entries;
  char **prefixes;        /* owned: CommonPrefixes (with a delimiter) */
  size_t n_prefixes;
  bool is_truncated;
  char *next_token;       /* owned: NextContinuationToken, NULL when absent */
} lp__s3_list_page;

void lp__s3_list_page_reset(lp__s3_list_page *page);

/* A ListBucketResult into *out (caller-owned; reset it with lp__s3_list_page_reset, also after a failure). */
lp_status lp__s3_parse_list(const char *xml, size_t len, lp__s3_list_page *out, lp_error *err);

/* The UploadId of an InitiateMultipartUploadResult, a new malloc'd string. */
lp_status lp__s3_parse_upload_id(const char *xml, size_t len, char **out_upload_id, lp_error *err);

/* An <Error> document: its Code and Message, truncated to the buffers. *out_is_error false when the root is
 * not Error (a CompleteMultipartUpload may answer 200 with an Error inside). */
lp_status lp__s3_parse_error(const char *xml, size_t len, bool *out_is_error, char *code, size_t code_size,
                             char *message, size_t message_size, lp_error *err);

/* A DeleteResult: how many <Error> entries it holds, and the first one's Key and Code (truncated). */
lp_status lp__s3_parse_delete_result(const char *xml, size_t len, size_t *out_n_errors, char *first_key,
                                     size_t key_size, char *first_code, size_t code_size, lp_error *err);

#endif
