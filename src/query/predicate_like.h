/* LIKE pattern matching for predicates (see predicate_like.c). Internal. */
#ifndef LP_QUERY_PREDICATE_LIKE_H
#define LP_QUERY_PREDICATE_LIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lancepool/error.h"

typedef struct lp__like lp__like;

/* Compile a LIKE pattern (ci: ILIKE). Caller owns *out. */
LP_MUST_CHECK lp_status lp__like_compile(const char *pat, size_t len, bool ci, lp__like **out, lp_error *err);
/* Does the UTF-8 text s[0..n) match? Thread-safe, no allocation. */
bool lp__like_match(const lp__like *l, const uint8_t *s, size_t n);
void lp__like_free(lp__like *l);

#endif
