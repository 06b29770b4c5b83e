/* Row filters: the language LanceDB 0.31.0 accepts in `where(...)`, `countRows(...)` and `delete(...)`,
 * parsed, bound to a table schema and evaluated a chunk of rows at a time over Arrow record batches.
 * Internal. README.md ("Filters") lists the language; tests/interop/test_predicate_oracle.c checks it
 * against official LanceDB 0.31.0.
 *
 *   logic        AND OR NOT, parentheses; precedence NOT > AND > OR, a comparison binds tighter than NOT
 *   comparisons  = != <> < <= > >=, [NOT] IN (...), [NOT] BETWEEN a AND b, IS [NOT] NULL|TRUE|FALSE,
 *                [NOT] [I]LIKE 'pat' [ESCAPE '\']   (% any run, _ one UTF-8 character, \ escapes)
 *   values       columns (plain identifiers fold to lower case, `back quoted` names are kept, a.b.c and
 *                a['b'] are struct members), literals (42 -7 1.5 2e-3 'it''s' "str" TRUE FALSE NULL
 *                date '...' timestamp '...'), + - * / % || and unary minus, CAST / TRY_CAST / ::, and the
 *                scalar functions of predicate_func.c and predicate_regex.c, the list functions of
 *                predicate_list.c (array_has, array_length, l[i], ...) and array literals [a, b] as their operand
 * Keywords are case-insensitive. What LanceDB refuses (CASE, IS DISTINCT FROM, SIMILAR TO, INTERVAL, ...)
 * is refused with the position.
 *
 * Typing follows LanceDB: at the top of the filter and through AND/OR, a literal compared with a column
 * (directly or inside `column op expression`) is converted to the column's type and the filter is
 * rejected (LP_EINVAL naming the column) when it cannot be; elsewhere DataFusion's coercion gives both
 * sides a common type. Floats compare in IEEE-754 total order as Arrow does: NaN equals NaN and is greater
 * than every number, -0.0 < +0.0. Strings and binaries compare bytewise. NULLs follow SQL three-valued
 * logic; a row is selected only when the predicate is TRUE. ILIKE folds ASCII and Latin-1 letters only.
 * Evaluation errors (a division by zero, a failed CAST) are LP_EINVAL with the position.
 *
 * Thread safety: a parsed or bound predicate is immutable; any number of threads may evaluate one bound
 * predicate at the same time. */
#ifndef LP_QUERY_PREDICATE_H
#define LP_QUERY_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/schema.h"
#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

/* Limits on untrusted predicate text. */
#define LP__PRED_MAX_TEXT_BYTES (1u << 20) /* 1 MiB */
#define LP__PRED_MAX_DEPTH 200             /* nesting of parentheses / operators */

typedef struct lp__pred lp__pred;             /* a parsed predicate (syntax tree) */
typedef struct lp__pred_bound lp__pred_bound; /* a predicate bound to one schema, ready to evaluate */

/* Parse len bytes of text. On a syntax error returns LP_EINVAL with a message of the form
 * "predicate: at character 7: expected an expression, found '>'" (1-based character offset, counted in
 * UTF-8 characters). Caller owns *out; free with lp__pred_free. */
LP_MUST_CHECK lp_status lp__pred_parse(const char *text, size_t len, lp__pred **out, lp_error *err);
void lp__pred_free(lp__pred *p);

/* Bind a parsed predicate to the top-level fields of a table (fields[0..n_fields), e.g. schema->fields).
 * Checks every column exists and every comparison is well typed; LP_EINVAL names the column otherwise.
 * The bound predicate copies what it needs: p and fields may be freed afterwards. Caller owns *out. */
LP_MUST_CHECK lp_status lp__pred_bind(const lp__pred *p, const lp__field *fields, size_t n_fields,
                                      lp__pred_bound **out, lp_error *err);

/* The same, against an Arrow C schema of a struct ("+s") whose children are the top-level columns. */
LP_MUST_CHECK lp_status lp__pred_bind_arrow(const lp__pred *p, const struct ArrowSchema *schema,
                                            lp__pred_bound **out, lp_error *err);

/* Parse + bind in one call. */
LP_MUST_CHECK lp_status lp__pred_compile(const char *text, const lp__field *fields, size_t n_fields,
                                         lp__pred_bound **out, lp_error *err);
void lp__pred_bound_free(lp__pred_bound *b);

/* The top-level columns (indices into the field list given to bind) the predicate reads, ascending and
 * without duplicates; a scan needs to load only these. Borrowed from b. *out_n may be 0 (e.g. "TRUE"). */
void lp__pred_bound_columns(const lp__pred_bound *b, const size_t **out_idx, size_t *out_n);

/* LanceDB's pseudo-columns `_rowid` and `_rowaddr` (uint64; a table column of the same name wins). A
 * predicate reading one binds it as field n_fields + LP__PRED_ROWID / + LP__PRED_ROWADDR: callers of
 * lp__pred_eval_columns then pass n_fields + LP__PRED_N_PSEUDO columns, the last two being the rows' ids
 * and addresses (lp__pred_u64_view wraps a buffer). lp__pred_bound_columns lists only table fields. */
enum { LP__PRED_ROWID = 0, LP__PRED_ROWADDR = 1, LP__PRED_N_PSEUDO = 2 };
/* LP__PRED_ROWID / LP__PRED_ROWADDR for a pseudo-column's name, else -1. */
int lp__pred_pseudo_index(const char *name);
/* The pseudo-columns the predicate reads: bit (1u << LP__PRED_ROWID) and bit (1u << LP__PRED_ROWADDR). */
unsigned lp__pred_bound_pseudo(const lp__pred_bound *b);
/* A non-nullable uint64 Arrow array over vals[0..n) without copying: out borrows vals and bufs (2
 * pointers of storage the caller provides), and its release does nothing. */
void lp__pred_u64_view(const uint64_t *vals, int64_t n, const void **bufs, struct ArrowArray *out);

/* Evaluate over one record batch: batch is a struct array whose children are the top-level columns in
 * the order given to bind (all of them). Writes one bit per row (LSB first, Arrow bitmap order) to
 * out_sel, which must hold (batch->length + 7) / 8 bytes: 1 where the predicate is TRUE; bits past the
 * last row are 0. *out_n_selected (may be NULL) receives the number of TRUE rows. The batch's own
 * validity and offset are honoured. LP_EINVAL when an array's layout does not match the bound type. */
LP_MUST_CHECK lp_status lp__pred_eval(const lp__pred_bound *b, const struct ArrowArray *batch,
                                      uint8_t *out_sel, int64_t *out_n_selected, lp_error *err);

/* The same over loose columns: cols[i] is the array of top-level field i (index as in bind); only the
 * indices listed by lp__pred_bound_columns are read and the others may be NULL. Each array must have at
 * least n_rows rows. For a projected scan, pass the loaded columns at their schema positions. */
LP_MUST_CHECK lp_status lp__pred_eval_columns(const lp__pred_bound *b, const struct ArrowArray *const *cols,
                                              size_t n_cols, int64_t n_rows, uint8_t *out_sel,
                                              int64_t *out_n_selected, lp_error *err);

/* A readable rendering of the parsed tree with full parentheses, e.g. "((a > 1) AND (NOT b))"; used by
 * tests to check precedence. Caller frees. NULL when out of memory. */
char *lp__pred_to_string(const lp__pred *p);

/* ---- value expressions: `update --set 'col = EXPR'` (predicate_expr.c) ------------------------------
 * The value part of the language above (columns, literals, arithmetic, casts, functions), bound to the
 * top-level fields and cast to the type of a target column as LanceDB's update does (DataFusion's cast
 * rules; a value that does not convert is LP_EINVAL). Targets are scalar columns only. */
typedef struct lp__expr lp__expr;

LP_MUST_CHECK lp_status lp__expr_compile(const char *text, const lp__field *fields, size_t n_fields,
                                         const lp__field *target, lp__expr **out, lp_error *err);
/* The same for a new column named `name`: the value keeps its own type (DataFusion's), which must be one a
 * column can be given; *out_field (reset with lp__field_reset) is the column: that type, id -1, nullable
 * unless the value cannot be NULL (as DataFusion decides: see predicate_expr.c). */
LP_MUST_CHECK lp_status lp__expr_compile_new(const char *text, const lp__field *fields, size_t n_fields,
                                             const char *name, lp__field *out_field, lp__expr **out, lp_error *err);
void lp__expr_free(lp__expr *e);
/* The top-level columns the expression reads (as lp__pred_bound_columns). */
void lp__expr_columns(const lp__expr *e, const size_t **out_idx, size_t *out_n);
/* Evaluate over n_rows rows of the loose columns cols (as lp__pred_eval_columns) into *out, a new array
 * of the target column's Arrow type. LP_EINVAL when a value fails (a division by zero, a failed cast, a
 * NULL for a non-nullable target). */
LP_MUST_CHECK lp_status lp__expr_eval(const lp__expr *e, const struct ArrowArray *const *cols, size_t n_cols,
                                      int64_t n_rows, struct ArrowArray *out, lp_error *err);

#endif
