/* The ArrowArrayStream adapter shared by the engine's producers (see stream.h). */
#include "table/stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const lp__stream_ops *ops;
  void *state;
  int failed; /* errno value once an error happened; the stream stays failed */
  char message[sizeof ((lp_error *)0)->message];
} adapter;

int lp__status_errno(lp_status st) {
  switch (st) {
    case LP_ENOMEM: return ENOMEM;
    case LP_EINVAL: return EINVAL;
    case LP_ENOTFOUND: return ENOENT;
    case LP_EUNSUPPORTED: return ENOTSUP;
    default: return EIO;
  }
}

static int remember(adapter *a, lp_status rc, const lp_error *err) {
  snprintf(a->message, sizeof a->message, "%s", err->message);
  return lp__status_errno(rc);
}

static int get_next(struct ArrowArrayStream *st, struct ArrowArray *out) {
  adapter *a = st->private_data;
  if (a->failed) return a->failed;
  lp_error err = {0};
  lp_status rc = a->ops->next(a->state, out, &err);
  if (rc != LP_OK) a->failed = remember(a, rc, &err);
  return a->failed;
}

static int get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out) {
  adapter *a = st->private_data;
  lp_error err = {0};
  lp_status rc = a->ops->schema(a->state, out, &err);
  return rc == LP_OK ? 0 : remember(a, rc, &err);
}

static const char *last_error(struct ArrowArrayStream *st) {
  adapter *a = st->private_data;
  return a->message[0] ? a->message : NULL;
}

static void release(struct ArrowArrayStream *st) {
  adapter *a = st->private_data;
  if (a != NULL) {
    a->ops->free_state(a->state);
    free(a);
  }
  st->private_data = NULL;
  st->release = NULL;
}

lp_status lp__stream_wrap(const lp__stream_ops *ops, void *state, struct ArrowArrayStream *out, lp_error *err) {
  adapter *a = calloc(1, sizeof *a);
  if (a == NULL) {
    ops->free_state(state);
    return lp_error_set(err, LP_ENOMEM, "stream: out of memory");
  }
  a->ops = ops;
  a->state = state;
  out->get_schema = get_schema;
  out->get_next = get_next;
  out->get_last_error = last_error;
  out->release = release;
  out->private_data = a;
  return LP_OK;
}
