/* One ArrowArrayStream adapter for the engine's producers (scans, filtered scans): the producer supplies
 * next/schema/free as lp_status functions; the adapter keeps the error text for get_last_error, makes a
 * failure sticky (later get_next calls return the same errno value), and frees the producer on release.
 * Internal. */
#ifndef LP_TABLE_STREAM_H
#define LP_TABLE_STREAM_H

#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

typedef struct lp__stream_ops {
  lp_status (*next)(void *state, struct ArrowArray *out, lp_error *err); /* out->release NULL at the end */
  lp_status (*schema)(void *state, struct ArrowSchema *out, lp_error *err);
  void (*free_state)(void *state);
} lp__stream_ops;

/* Fill *out to serve `state` through `ops` (a static table). Takes ownership of state: on failure it is
 * freed with ops->free_state. */
lp_status lp__stream_wrap(const lp__stream_ops *ops, void *state, struct ArrowArrayStream *out, lp_error *err);

/* The errno value a stream callback returns for a status. */
int lp__status_errno(lp_status st);

#endif
