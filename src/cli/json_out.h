/* JSON Lines output of Arrow record batches for the `dump` command, and the schema type text of `schema`.
 *
 * Written by hand: it is output only (jansson parses; it cannot print shortest round-trip floats), and no
 * Debian library prints the shortest decimal that reads back to the same float32 or float16. The mapping
 * (see README, "Command line") is: integers exact, floats shortest round-trip in ECMAScript Number text
 * form with NaN/Infinity/-Infinity as strings and -0 as -0, utf8 as JSON strings (escaped like
 * JSON.stringify), binary as base64, bool as true/false, timestamps and dates as integers in their own
 * unit, lists as arrays, structs as objects, nulls as null.
 *
 * One thread at a time per lp__json_out / plan. */
#ifndef LP_CLI_JSON_OUT_H
#define LP_CLI_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query/distance.h" /* lp__half_to_float, lp__half_from_double */
#include "lancepool/arrow_c.h"
#include "lancepool/error.h"

/* A buffered writer: bytes collect in buf and go to fp when it fills or on flush. */
typedef struct lp__json_out {
  FILE *fp;    /* borrowed */
  char *buf;   /* owned */
  size_t len;  /* bytes waiting in buf */
  size_t cap;  /* size of buf */
  bool failed; /* a write to fp failed; later output is dropped */
} lp__json_out;

/* Allocate a buffer of cap_bytes (at least 4096) that writes to fp. */
lp_status lp__json_out_init(lp__json_out *o, FILE *fp, size_t cap_bytes, lp_error *err);
/* Write out what is buffered; LP_EIO when any write to fp failed since init. */
lp_status lp__json_out_flush(lp__json_out *o, lp_error *err);
/* Free the buffer (without flushing). Accepts a zeroed struct. */
void lp__json_out_reset(lp__json_out *o);

/* A rendering plan for one schema: a tree of nodes mirroring the Arrow types, with keys pre-escaped. */
typedef struct lp__json_plan lp__json_plan;

/* Build a plan for a struct schema ("+s") whose children are the columns. LP_EUNSUPPORTED names a column
 * whose type the dump cannot render. Caller owns *out; free with lp__json_plan_free(). */
lp_status lp__json_plan_create(const struct ArrowSchema *schema, lp__json_plan **out, lp_error *err);
void lp__json_plan_free(lp__json_plan *plan);

/* Write every row of batch (a struct array matching the plan) as one JSON object and a newline.
 * LP_ECORRUPT when the array's shape (buffers, children, offsets) does not match the plan. */
lp_status lp__json_write_rows(lp__json_out *o, const lp__json_plan *plan, const struct ArrowArray *batch,
                              lp_error *err);

/* Shortest round-trip text of a float64 / float32 / float16 (given as its bits), in ECMAScript
 * Number::toString form ("1", "0.1", "1e+21", "1.5e-7", "-0"); NaN, Infinity and -Infinity as bare words.
 * out must hold LP__JSON_NUM_MAX bytes; returns the length (no terminator is counted, one is written). */
#define LP__JSON_NUM_MAX 40
size_t lp__json_format_f64(double v, char *out);
size_t lp__json_format_f32(float v, char *out);
size_t lp__json_format_f16(uint16_t bits, char *out);


/* The canonical type text of an Arrow field ("int64", "timestamp[us, tz=UTC]", "list<utf8>",
 * "fixed_size_list<float32, 384>", "struct<a: int32, b: utf8>"). Caller frees *out.
 * LP_EUNSUPPORTED names a format the language has no word for. */
lp_status lp__type_text(const struct ArrowSchema *field, char **out, lp_error *err);

#endif
