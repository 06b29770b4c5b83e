/* lancepool: status codes and per-call errors shared by every module.
 *
 * Every fallible public function returns an lp_status and takes an `lp_error *err` as its last argument;
 * err may be NULL. On failure the message says what was expected, what was found and where. */
#ifndef LANCEPOOL_ERROR_H
#define LANCEPOOL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LP_BUILDING_LIBRARY)
#define LP_API __attribute__((visibility("default")))
#else
#define LP_API
#endif
#define LP_MUST_CHECK __attribute__((warn_unused_result))

/* One list gives the codes, their names and their texts. Append only: the numbers are ABI. */
#define LP_STATUS_MAP(X)                                              \
  X(OK, "success")                                                    \
  X(EINVAL, "invalid argument")                                       \
  X(ENOMEM, "out of memory")                                          \
  X(EIO, "I/O error")                                                 \
  X(ECORRUPT, "not valid Lance data")                                 \
  X(ETIMEOUT, "timed out")                                            \
  X(ECLOSED, "closing or closed")                                     \
  X(EBUSY, "too many waiters")                                        \
  X(ENOTFOUND, "not found")                                           \
  X(EEXIST, "already exists")                                         \
  X(EUNSUPPORTED, "not supported")                                    \
  X(ECONFLICT, "commit conflict")                                     \
  X(EFACTORY, "connection factory failed")

typedef enum lp_status {
#define LP_STATUS_ENUM_(name, text) LP_##name,
  LP_STATUS_MAP(LP_STATUS_ENUM_)
#undef LP_STATUS_ENUM_
} lp_status;

typedef struct lp_error {
  lp_status code;
  int sys_errno;     /* errno of the failing system call, else 0 */
  char message[256]; /* one line, no trailing newline */
} lp_error;

/* Fill err (if not NULL) and return code, so callers can write `return lp_error_set(...)`.
 * Thread-safe. */
LP_API lp_status lp_error_set(lp_error *err, lp_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like lp_error_set, and also records errno and appends strerror(sys_errno) to the message. */
LP_API lp_status lp_error_set_errno(lp_error *err, lp_status code, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix an existing message with context ("table foo: " + old message). Returns err->code, and LP_OK when err
 * is NULL: so write `lp_error_wrap(err, ...); return rc;`, never `return lp_error_wrap(err, ...);`. */
LP_API lp_status lp_error_wrap(lp_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset err to LP_OK with an empty message. Accepts NULL. */
LP_API void lp_error_clear(lp_error *err);

/* "LP_ETIMEOUT" and "timed out" for a code; "LP_UNKNOWN" / "unknown status" for anything else.
 * Static strings; thread-safe. */
LP_API const char *lp_status_name(lp_status code);
LP_API const char *lp_status_str(lp_status code);

#define LP_TRY(expr)                     \
  do {                                   \
    lp_status lp_rc_ = (expr);           \
    if (lp_rc_ != LP_OK) return lp_rc_;  \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif /* LANCEPOOL_ERROR_H */
