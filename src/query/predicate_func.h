/* Scalar functions of predicates (predicate_func.c): how each one types its arguments and result, and
 * its vector kernel. Private to src/query. */
#ifndef LP_QUERY_PREDICATE_FUNC_H
#define LP_QUERY_PREDICATE_FUNC_H

#include "query/predicate_int.h"

#define LP__VFUNC_MAX_ARGS 8

/* In kernels (an lp__ectx *x and a vnode *v in scope): j over the rows whose bit is set in mask[], and
 * the value vector of v's k-th operand. */
#define FOR_ROWS(mask, j)                                                        \
  for (int64_t w_ = 0; w_ < x->nw; w_++)                                         \
    for (uint64_t m_ = (mask)[w_]; m_ != 0; m_ &= m_ - 1)                        \
      for (int64_t j = w_ * 64 + __builtin_ctzll(m_), once_ = 1; once_; once_ = 0)
#define ARG(k) (&x->slots[v->args[k]->slot])

typedef struct lp__vfunc_def lp__vfunc_def;

/* Checks and coerces args[0..n) in place (they stay owned by the caller) and sets *out to the type of
 * the result; an error names the function and the position. */
typedef lp_status (*lp__vfunc_type_fn)(lp__binder *bd, const lp__vfunc_def *def, vnode **args, size_t n, uint32_t pos,
                                       lp__type *out);
/* Computes out (validity and values) for the rows of act; the arguments are already evaluated. */
typedef lp_status (*lp__vfunc_eval_fn)(lp__ectx *x, const vnode *v, const uint64_t *act, lp__vslot *out);

/* Optional: prepares state once the node has its arguments (compiles a constant regex into v->aux). */
typedef lp_status (*lp__vfunc_prepare_fn)(lp__binder *bd, vnode *v);

struct lp__vfunc_def {
  const char *name;
  int id;
  int min_args, max_args;
  lp__vfunc_type_fn type;
  lp__vfunc_eval_fn eval;
  bool is_volatile; /* never folded at bind time */
  int unit_arg;     /* a timestamp result has the unit of this argument (-1: nanoseconds) */
  lp__vfunc_prepare_fn prepare;
};

/* By name (lower case) or by id; NULL when there is none. */
const lp__vfunc_def *lp__vfunc_find(const char *name);
const lp__vfunc_def *lp__vfunc_get(int id);
/* The list functions' kernels (predicate_list.c), by id; NULL when id is none of them. */
const lp__vfunc_def *lp__vlist_def(int id);

/* Room for `need` more bytes of computed strings in a slot's arena; false when out of memory. Pointers
 * into the arena from earlier calls for the same chunk stay valid only when reserve is called once per
 * kernel, before any string is written. */
bool lp__vslot_reserve(lp__vslot *s, size_t need);

#endif
