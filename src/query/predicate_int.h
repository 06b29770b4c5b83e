/* Private to predicate_*.c: the syntax tree the parser builds and the binder reads. */
#ifndef LP_QUERY_PREDICATE_INT_H
#define LP_QUERY_PREDICATE_INT_H

#include "query/predicate.h"

typedef enum pn_kind {
  PN_COLUMN,  /* path[0..n_path) */
  PN_LITERAL, /* lit */
  PN_CMP,     /* a op b */
  PN_AND,     /* a AND b */
  PN_OR,      /* a OR b */
  PN_NOT,     /* NOT a */
  PN_IN,      /* a [NOT] IN (list) */
  PN_LIKE,    /* a [NOT] [I]LIKE b (b a string literal) */
  PN_IS_NULL, /* a IS [NOT] NULL */
  PN_IS_BOOL, /* a IS [NOT] TRUE|FALSE (truth) */
  PN_ARITH,   /* a aop b: + - * / % and '|' for || */
  PN_NEG,     /* -a */
  PN_CAST,    /* CAST(a AS cast_type) or TRY_CAST (try_cast) or a::cast_type */
  PN_FUNC,    /* s(list...): s is the function name folded to lower case */
} pn_kind;

typedef enum pn_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } pn_cmp;

typedef enum pn_lit { LIT_NULL, LIT_BOOL, LIT_INT, LIT_FLOAT, LIT_STRING, LIT_DATE, LIT_TIMESTAMP } pn_lit;

typedef struct pn_node pn_node;
struct pn_node {
  pn_kind kind;
  uint32_t pos;      /* 1-based character offset of the node's first token */
  uint32_t height;   /* 1 for a leaf; bounded by LP__PRED_MAX_HEIGHT */
  pn_cmp op;         /* PN_CMP */
  bool negated;      /* PN_IN, PN_LIKE, PN_IS_NULL, PN_IS_BOOL */
  bool truth;        /* PN_IS_BOOL: TRUE or FALSE */
  bool ilike;        /* PN_LIKE */
  char aop;          /* PN_ARITH */
  bool try_cast;     /* PN_CAST */
  lp__type cast_type; /* PN_CAST */
  lp__time_unit cast_unit;
  pn_node *a, *b;    /* operands */
  pn_node **list;    /* PN_IN: the literals; PN_FUNC: the arguments */
  size_t n_list;
  char **path;       /* PN_COLUMN: name parts, as they must match the schema */
  size_t n_path;
  pn_lit lit;        /* PN_LITERAL */
  int64_t i;         /* LIT_INT, LIT_BOOL (0/1), LIT_DATE (days since 1970), LIT_TIMESTAMP (ns since 1970 UTC) */
  double f;          /* LIT_FLOAT */
  char *s;           /* LIT_STRING bytes (NUL-terminated copy) */
  size_t s_len;
};

struct lp__pred {
  pn_node *root;
  char *text; /* the text, for messages */
};

/* Trees deeper than this are rejected by the parser, so every recursive walk is bounded. */
#define LP__PRED_MAX_HEIGHT 1000

void lp__pn_free(pn_node *n);
/* A deep copy (BETWEEN tests its operand twice; IN over an expression compares it once per item). NULL
 * when out of memory. */
pn_node *lp__pn_clone(const pn_node *n);
/* Text of dates and timestamps as typed literals read them (see predicate.h); false when malformed. */
bool lp__pred_text_to_date(const char *s, size_t len, int64_t *out_days);
bool lp__pred_text_to_timestamp(const char *s, size_t len, int64_t *out_ns);
const char *lp__pn_cmp_text(pn_cmp op);

/* ---- bound form ---------------------------------------------------------------------------------- */

#define LP__PRED_MAX_PATH 16 /* struct nesting a.b.c... */

/* Value classes: which columns and literals may be compared. */
typedef enum vclass { VC_BOOL, VC_INT, VC_UINT, VC_FLOAT, VC_STR, VC_BIN, VC_DATE, VC_TS, VC_NESTED } vclass;

/* A column reference resolved against the schema. */
typedef struct bcol {
  size_t top;                            /* index of the top-level field */
  uint32_t depth;                        /* struct levels below the top-level field */
  uint32_t child[LP__PRED_MAX_PATH];     /* child index at each level */
  lp__type type;                         /* of the leaf */
  lp__time_unit unit;                    /* TIMESTAMP */
  lp__type elem;                         /* LIST, LARGE_LIST, FIXED_SIZE_LIST: the items' type (NULL: unknown) */
  lp__time_unit elem_unit;               /* the items' unit when they are TIMESTAMP */
  int32_t list_size;                     /* FIXED_SIZE_LIST */
  char *name;                            /* dotted, for messages (owned) */
} bcol;

typedef enum bkind {
  B_CONST,        /* cst for every row */
  B_BOOLCOL,      /* a boolean column used as a condition */
  B_CMP_LIT,      /* column op literal (literal in the column's domain) */
  B_CMP_COL,      /* column op column */
  B_NONNULL,      /* cst (TRUE/FALSE) wherever the column is not null, else NULL */
  B_IN,           /* column [NOT] IN keys/strs */
  B_LIKE,         /* column [NOT] LIKE pattern */
  B_ISNULL,       /* column IS [NOT] NULL */
  B_ISNULL_EXPR,  /* (expression) IS [NOT] NULL */
  B_IS_BOOL,      /* (expression) IS [NOT] TRUE|FALSE */
  B_AND,
  B_OR,
  B_NOT,
  B_BOOLEQ,       /* expression (=|!=) expression */
  B_VCMP,         /* value expression va op vb (same representation, see vnode) */
  B_VBOOL,        /* a boolean value expression va used as a condition */
  B_VISNULL,      /* va IS [NOT] NULL */
  B_VLIKE,        /* va [NOT] LIKE pattern, va a string expression */
} bkind;

typedef struct bbytes {
  uint8_t *p; /* owned */
  size_t n;
} bbytes;

struct lp__like;

/* ---- value expressions: arithmetic, casts, functions ----------------------------------------------
 * A value expression evaluates, a chunk of rows at a time, into a vector: a validity bitmap and one
 * value per row in one of four representations. Booleans, dates (days) and timestamps (in their unit)
 * are R_I64; every float is R_F64 (float32 results are rounded to float32 after each operation). The
 * binder inserts the casts DataFusion's type coercion would, so every kernel sees operands of one
 * representation and one type. */
typedef enum vrep { R_I64, R_U64, R_F64, R_STR } vrep;
typedef enum vkind { V_COL, V_CONST, V_NEG, V_ARITH, V_CAST, V_FUNC } vkind;

typedef struct vstr {
  const uint8_t *p;
  size_t n;
} vstr;

typedef struct vnode vnode;
struct vnode {
  vkind kind;
  lp__type type;        /* DataFusion's type of the result */
  lp__time_unit unit;   /* TIMESTAMP */
  vrep rep;
  uint32_t pos;         /* 1-based character offset, for run-time errors */
  int slot;             /* the scratch vector it evaluates into */
  int col;              /* V_COL: index into lp__pred_bound.cols */
  char op;              /* V_ARITH: + - * / % and '|' for || */
  int fn;               /* V_FUNC: a vfunc (predicate_value.c) */
  bool try_cast;        /* V_CAST: NULL where the value does not convert, instead of an error */
  bool is_null;         /* V_CONST: NULL */
  int64_t ki;           /* V_CONST values, by representation */
  uint64_t ku;
  double kf;
  struct {
    uint8_t *p;         /* owned */
    size_t n;
  } ks;
  vnode **args;         /* operands (owned) */
  size_t n_args;
  void *aux;            /* V_FUNC: state compiled at bind time (a regex), freed with aux_free */
  void (*aux_free)(void *);
};

void lp__vnode_free(vnode *v);

typedef struct bnode bnode;
struct bnode {
  bkind kind;
  int8_t cst;       /* B_CONST: 1 TRUE, 0 FALSE, -1 NULL; B_NONNULL: 1 or 0 */
  pn_cmp op;
  bool negated;
  bool truth;
  int col, col2;    /* indices into lp__pred_bound.cols */
  int64_t li;       /* B_CMP_LIT: signed ints, dates, timestamps, bools, float total-order keys */
  uint64_t lu;      /* B_CMP_LIT: unsigned ints */
  bbytes ls;        /* B_CMP_LIT: strings and binaries */
  uint64_t *keys;   /* B_IN on non-byte columns: order-preserving keys, sorted, unique */
  bbytes *strs;     /* B_IN on byte columns: sorted, unique */
  size_t n_items;
  bool in_has_null; /* B_IN: the list holds a NULL */
  struct lp__like *like;
  bnode *a, *b;
  vnode *va, *vb;   /* B_VCMP, B_VBOOL, B_VISNULL, B_VLIKE */
};

struct lp__pred_bound {
  bnode *root;
  bcol *cols;
  size_t n_cols;
  size_t *top_used;  /* top-level columns read, ascending */
  size_t n_top_used;
  unsigned pseudo;   /* pseudo-columns read: bit LP__PRED_ROWID, bit LP__PRED_ROWADDR */
  size_t n_fields;   /* top-level fields bound against */
  uint32_t levels;   /* scratch bitmap levels evaluation needs */
  bool needs_mat;    /* some B_CMP_COL needs materialisation buffers */
  int n_slots;       /* value vectors evaluation needs (one per vnode) */
};

vclass lp__pred_type_class(lp__type t);
void lp__bnode_free(bnode *n);
const char *lp__pred_type_name(lp__type t);
/* Width of an integer type (64 for any other type). */
int lp__pred_int_bits(lp__type t);

/* ---- binding (predicate_bind.c, predicate_value.c) ------------------------------------------------ */

typedef struct lp__binder {
  const lp__field *fields;
  size_t n_fields;
  lp__pred_bound *b;
  const char *text;
  lp_error *err;
  bool top; /* LanceDB converts literals to column types only at the top, and through AND / OR */
  const pn_node *root_node; /* the whole filter */
} lp__binder;

/* Resolves a column reference; its index in b->cols, or -1 with the error set. */
int lp__pred_resolve(lp__binder *bd, const pn_node *c);
/* Whether a parse node needs the value layer (arithmetic, a cast, a function, a sign on a column). */
bool lp__pn_is_computed(const pn_node *n);
/* Binds a value expression (folding constant parts); NULL with the error set. */
vnode *lp__vbind(lp__binder *bd, const pn_node *n);
/* ---- list functions (predicate_list.c) ---- */
/* True for the names of the list functions; lp__vbind_list binds a call of one (NULL and an error naming
 * the position when it cannot). */
bool lp__vlist_is(const char *name);
/* A new value node (its slot reserved); lp__vwith gives it its operands (consumed, also on failure) and
 * folds it when they are constants. NULL with the error set. */
vnode *lp__vnew(lp__binder *bd, vkind kind, lp__type type, uint32_t pos);
vnode *lp__vwith(lp__binder *bd, vnode *v, vnode **args, size_t n);
vnode *lp__vbind_list(lp__binder *bd, const pn_node *n);
/* Binds x op y where either side is computed, or where the column-literal shortcuts of predicate_bind.c
 * do not apply: coerces both sides to DataFusion's common type. */
bnode *lp__vbind_cmp(lp__binder *bd, const pn_node *x, pn_cmp op, const pn_node *y, uint32_t pos, bool resolve);
/* Casts an argument to a type / two operands to their common type (DataFusion's coercion). */
LP_MUST_CHECK lp_status lp__vcoerce_arg(lp__binder *bd, vnode **arg, lp__type to, uint32_t pos);
LP_MUST_CHECK lp_status lp__vcoerce_common(lp__binder *bd, vnode **a, vnode **b, uint32_t pos, lp__type *out);
/* Completes a bound predicate whose root is set: the top-level columns it reads and its scratch levels. */
LP_MUST_CHECK lp_status lp__pred_bound_finish(lp__pred_bound *b, lp_error *err);
/* Gives the value nodes that survived folding consecutive slots (after binding). */
void lp__vslots_compact(lp__pred_bound *b);
/* LanceDB's literal check of `column op <binary expression>` (see predicate_value.c). */
LP_MUST_CHECK lp_status lp__lance_check_literals(lp__binder *bd, const pn_node *y, const bcol *c);
/* Binds a computed expression in a boolean position, IS [NOT] NULL of one, and [NOT] [I]LIKE over one. */
bnode *lp__vbind_bool(lp__binder *bd, const pn_node *n);
bnode *lp__vbind_isnull(lp__binder *bd, const pn_node *n, bool negated);
bnode *lp__vbind_like(lp__binder *bd, const pn_node *n);

/* ---- evaluation (predicate_eval.c, predicate_value_eval.c) --------------------------------------- */

#define LP__CHUNK_ROWS 4096
#define LP__CHUNK_WORDS (LP__CHUNK_ROWS / 64)

/* A column located in the batch for this call: its leaf array and every validity bitmap on the way. */
typedef struct lp__rcol {
  const struct ArrowArray *leaf;
  int64_t off; /* index of row 0 in the leaf's buffers */
  int n_valid;
  const uint8_t *valid[LP__PRED_MAX_PATH + 2];
  int64_t voff[LP__PRED_MAX_PATH + 2];
} lp__rcol;

/* One value vector of the current chunk. */
typedef struct lp__vslot {
  uint64_t valid[LP__CHUNK_WORDS];
  union {
    int64_t i[LP__CHUNK_ROWS];
    uint64_t u[LP__CHUNK_ROWS];
    double f[LP__CHUNK_ROWS];
    vstr s[LP__CHUNK_ROWS];
  } v;
  uint8_t *arena; /* bytes of computed strings (owned, reused chunk after chunk) */
  size_t arena_cap;
} lp__vslot;

typedef struct lp__ectx {
  const lp__pred_bound *b;
  lp__rcol *rc;
  uint64_t *scratch; /* levels * 2 * CHUNK_WORDS */
  uint64_t *acts;    /* levels * CHUNK_WORDS: the rows that matter, per level */
  uint64_t *v1, *v2, *tmp;
  void *mat1, *mat2; /* CHUNK_ROWS * 16 bytes each, B_CMP_COL only */
  lp__vslot *slots;  /* b->n_slots */
  int64_t start, cnt, nw;
  lp_error *err;
} lp__ectx;

uint64_t lp__tail_mask(int64_t cnt, int64_t w);
void lp__ectx_validity(const lp__ectx *x, const lp__rcol *c, uint64_t *out);
bool lp__ectx_str_at(const lp__rcol *c, bool large, int64_t i, const uint8_t **s, size_t *n);
/* Evaluates v for the rows of act (rows outside may hold anything) into x->slots[v->slot]. */
LP_MUST_CHECK lp_status lp__veval(lp__ectx *x, const vnode *v, const uint64_t *act);
/* Folds a vnode whose operands are all constants into a constant (in place); false when it cannot (an
 * error such as a division by zero is left for evaluation to report). */
bool lp__vfold(vnode *v);
/* Locates column bc (struct members included) in its top-level array for n_rows rows from row 0, checking
 * the shapes as the filter evaluator does (predicate_expr.c evaluates values with it). */
LP_MUST_CHECK lp_status lp__pred_locate_column(const bcol *bc, const struct ArrowArray *top, int64_t n_rows,
                                               lp__rcol *out, lp_error *err);

#endif
