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
  pn_node *a, *b;    /* operands */
  pn_node **list;    /* PN_IN: the literals */
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
} bkind;

typedef struct bbytes {
  uint8_t *p; /* owned */
  size_t n;
} bbytes;

struct lp__like;

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
};

struct lp__pred_bound {
  bnode *root;
  bcol *cols;
  size_t n_cols;
  size_t *top_used;  /* top-level columns read, ascending */
  size_t n_top_used;
  size_t n_fields;   /* top-level fields bound against */
  uint32_t levels;   /* scratch bitmap levels evaluation needs */
  bool needs_mat;    /* some B_CMP_COL needs materialisation buffers */
};

vclass lp__pred_type_class(lp__type t);
void lp__bnode_free(bnode *n);

#endif
