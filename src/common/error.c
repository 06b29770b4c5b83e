/* Status names and per-call error messages. */
#include "lancepool/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void format_into(lp_error *err, const char *fmt, va_list ap) {
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

lp_status lp_error_set(lp_error *err, lp_status code, const char *fmt, ...) {
  if (err == NULL) return code;
  va_list ap;
  va_start(ap, fmt);
  format_into(err, fmt, ap);
  va_end(ap);
  err->code = code;
  err->sys_errno = 0;
  return code;
}

lp_status lp_error_set_errno(lp_error *err, lp_status code, int sys_errno, const char *fmt, ...) {
  if (err == NULL) return code;
  va_list ap;
  va_start(ap, fmt);
  format_into(err, fmt, ap);
  va_end(ap);
  size_t used = strlen(err->message);
  char buf[128];
  /* strerror_r (GNU flavour) may return a static string instead of filling buf. */
  const char *text = strerror_r(sys_errno, buf, sizeof buf);
  snprintf(err->message + used, sizeof err->message - used, ": %s", text);
  err->code = code;
  err->sys_errno = sys_errno;
  return code;
}

lp_status lp_error_wrap(lp_error *err, const char *fmt, ...) {
  if (err == NULL) return LP_OK;
  char prefix[sizeof err->message];
  char old[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  /* Truncation is fine here: the message is one bounded line. */
  size_t n_prefix = strnlen(prefix, sizeof prefix - 1);
  memcpy(err->message, prefix, n_prefix);
  size_t room = sizeof err->message - 1 - n_prefix;
  size_t n_old = strnlen(old, room);
  memcpy(err->message + n_prefix, old, n_old);
  err->message[n_prefix + n_old] = '\0';
  return err->code;
}

void lp_error_clear(lp_error *err) {
  if (err == NULL) return;
  err->code = LP_OK;
  err->sys_errno = 0;
  err->message[0] = '\0';
}

const char *lp_status_name(lp_status code) {
  switch (code) {
#define NAME_CASE(name, text) \
  case LP_##name:             \
    return "LP_" #name;
    LP_STATUS_MAP(NAME_CASE)
#undef NAME_CASE
  }
  return "LP_UNKNOWN";
}

const char *lp_status_str(lp_status code) {
  switch (code) {
#define TEXT_CASE(name, text) \
  case LP_##name:             \
    return text;
    LP_STATUS_MAP(TEXT_CASE)
#undef TEXT_CASE
  }
  return "unknown status";
}
