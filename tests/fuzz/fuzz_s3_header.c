/* Fuzz target: HTTP response header lines as curl hands them to the S3 client (status lines, ETag,
 * Content-Length), one line per '\n' of the input, all into one request's outputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp__s3_req r;
  memset(&r, 0, sizeof r);
  const char *p = (const char *)data, *end = p + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    lp__s3_parse_header(&r, p, n);
    if (strnlen(r.etag, sizeof r.etag) >= sizeof r.etag) abort();
    if (r.header_status < 0 || r.header_status >= 10000) abort();
    p += n;
  }
  return 0;
}
