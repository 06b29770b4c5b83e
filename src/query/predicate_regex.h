/* Regular-expression functions of filters (predicate_regex.c, on PCRE2). Private to src/query. */
#ifndef LP_QUERY_PREDICATE_REGEX_H
#define LP_QUERY_PREDICATE_REGEX_H

#include "query/predicate_int.h"

/* Compiles v->args[pat_arg] (with the flags of v->args[flags_arg] when there is one) into v->aux; the
 * pattern and flags must be constant strings. allow_global: the 'g' flag is taken (regexp_replace). */
LP_MUST_CHECK lp_status lp__regex_prepare(lp__binder *bd, vnode *v, const char *fname, size_t pat_arg,
                                          size_t flags_arg, bool allow_global);
/* regexp_like (null_if_no_match false: TRUE/FALSE) or regexp_match tested for NULL (true: the row is
 * NULL where nothing matches). */
LP_MUST_CHECK lp_status lp__regex_eval_test(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o,
                                            bool null_if_no_match);
LP_MUST_CHECK lp_status lp__regex_eval_replace(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *o);

#endif
