/* Fuzz target: S3's XML answers (ListBucketResult, InitiateMultipartUploadResult, Error, DeleteResult), each
 * parser run on the same bytes. A parsed listing must hold what it claims. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *xml = (const char *)data;
  lp__s3_list_page page;
  if (lp__s3_parse_list(xml, size, &page, NULL) == LP_OK) {
    for (size_t i = 0; i < page.n_entries; i++)
      if (page.entries[i].key == NULL || strlen(page.entries[i].key) > LP__S3_MAX_KEY_BYTES) abort();
    if (page.is_truncated && page.next_token == NULL) abort();
  }
  lp__s3_list_page_reset(&page);
  char *upload_id = NULL;
  if (lp__s3_parse_upload_id(xml, size, &upload_id, NULL) == LP_OK && (upload_id == NULL || *upload_id == '\0')) abort();
  free(upload_id);
  bool is_error;
  char code[16], message[32];
  (void)lp__s3_parse_error(xml, size, &is_error, code, sizeof code, message, sizeof message, NULL);
  if (strlen(code) >= sizeof code || strlen(message) >= sizeof message) abort();
  size_t n_errors;
  char key[8];
  (void)lp__s3_parse_delete_result(xml, size, &n_errors, key, sizeof key, code, sizeof code, NULL);
  return 0;
}
