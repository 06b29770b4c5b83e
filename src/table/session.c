/* Sessions: a reference-counted, thread-safe holder of the caches shared by connections: decoded metadata,
 * and (under a budget of its own, so large vector columns never push metadata out) decoded vectors. */
#include "table/session.h"

#include "table/versions.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CACHE_BYTES ((size_t)256 << 20)
#define DEFAULT_VECTOR_CACHE_BYTES ((size_t)512 << 20)

struct lp_session {
  int refs; /* atomic */
  lp__cache *cache;
  lp__cache *vectors; /* NULL when vector_cache_bytes is 0 */
  lp__version_hints *hints; /* latest versions seen, NULL when out of memory (then every lookup lists) */
};

void lp_session_config_init(lp_session_config *cfg) {
  cfg->cache_bytes = DEFAULT_CACHE_BYTES;
  cfg->vector_cache_bytes = DEFAULT_VECTOR_CACHE_BYTES;
}

lp_status lp_session_create(const lp_session_config *cfg, lp_session **out, lp_error *err) {
  lp_session_config dflt;
  if (cfg == NULL) {
    lp_session_config_init(&dflt);
    cfg = &dflt;
  }
  if (out == NULL) return lp_error_set(err, LP_EINVAL, "lp_session_create: out is NULL");
  lp_session *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "session: out of memory");
  lp_status rc = lp__cache_create(cfg->cache_bytes, &s->cache, err);
  if (rc != LP_OK) goto fail_free;
  if (cfg->vector_cache_bytes > 0 && (rc = lp__cache_create(cfg->vector_cache_bytes, &s->vectors, err)) != LP_OK)
    goto fail_cache;
  s->hints = lp__version_hints_new();
  s->refs = 1;
  *out = s;
  return LP_OK;
fail_cache:
  lp__cache_destroy(s->cache);
fail_free:
  free(s);
  return rc;
}

lp_session *lp_session_ref(lp_session *s) {
  if (s) __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
  return s;
}

void lp_session_unref(lp_session *s) {
  if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  lp__cache_destroy(s->vectors);
  lp__cache_destroy(s->cache);
  lp__version_hints_free(s->hints);
  free(s);
}

void lp_session_stats_get(lp_session *s, lp_session_stats *out) {
  lp__cache_stats cs;
  lp__cache_stats_get(s->cache, &cs);
  out->hits = cs.hits;
  out->misses = cs.misses;
  out->evictions = cs.evictions;
  out->bytes_used = cs.bytes_used;
  out->bytes_budget = cs.bytes_budget;
  out->entries = cs.entries;
  memset(&cs, 0, sizeof cs);
  if (s->vectors) lp__cache_stats_get(s->vectors, &cs);
  out->vector_hits = cs.hits;
  out->vector_misses = cs.misses;
  out->vector_evictions = cs.evictions;
  out->vector_bytes_used = cs.bytes_used;
  out->vector_bytes_budget = cs.bytes_budget;
}

lp__cache *lp__session_cache(lp_session *s) {
  return s->cache;
}

lp__version_hints *lp__session_version_hints(lp_session *s) { return s ? s->hints : NULL; }

lp__cache *lp__session_vector_cache(lp_session *s) {
  return s->vectors;
}
