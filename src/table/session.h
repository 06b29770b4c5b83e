/* The session's internals shared with the table layer. Internal. */
#ifndef LP_TABLE_SESSION_H
#define LP_TABLE_SESSION_H

#include "table/cache.h"
#include "lancepool/lance.h"

/* The session's metadata cache (never NULL for a live session). */
lp__cache *lp__session_cache(lp_session *s);
/* The session's decoded-vector cache (search), or NULL when its budget is 0. */
lp__cache *lp__session_vector_cache(lp_session *s);

/* The session's remembered latest table versions (versions.h); NULL for a NULL session. */
struct lp__version_hints;
struct lp__version_hints *lp__session_version_hints(lp_session *s);

#endif
