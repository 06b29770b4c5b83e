/* Field shapes the data-file fuzz targets try to read fuzzed columns as. Header-only, for fuzz targets. */
#ifndef LP_FUZZ_SHAPES_H
#define LP_FUZZ_SHAPES_H

#include <string.h>

#include "format/schema.h"

#define FUZZ_N_SHAPES 13

static lp__field fuzz_item_utf8 = {.name = "item", .type = LP__TYPE_UTF8, .nullable = true};
static lp__field fuzz_item_i64 = {.name = "item", .type = LP__TYPE_INT64, .nullable = true};
static lp__field fuzz_members[2] = {{.name = "x", .type = LP__TYPE_INT32, .nullable = true},
                                    {.name = "y", .type = LP__TYPE_UTF8, .nullable = true}};
static lp__field fuzz_packed_members[2] = {{.name = "x", .type = LP__TYPE_INT32},
                                           {.name = "y", .type = LP__TYPE_FLOAT64}};
static lp__kv fuzz_packed_meta = {.key = "lance-encoding:packed", .value = (uint8_t *)"true", .value_len = 4};

/* Shape i (0 <= i < FUZZ_N_SHAPES): a field whose leaves are consecutive columns. */
static inline lp__field fuzz_shape(int i) {
  lp__field f;
  memset(&f, 0, sizeof f);
  f.name = "f";
  f.nullable = true;
  f.parent_id = -1;
  switch (i) {
    case 0: f.type = LP__TYPE_INT32; break;
    case 1: f.type = LP__TYPE_INT64; break;
    case 2: f.type = LP__TYPE_FLOAT64; break;
    case 3: f.type = LP__TYPE_BOOL; break;
    case 4: f.type = LP__TYPE_UTF8; break;
    case 5: f.type = LP__TYPE_LARGE_UTF8; break;
    case 6: f.type = LP__TYPE_LIST; f.children = &fuzz_item_utf8; f.n_children = 1; break;
    case 7: f.type = LP__TYPE_LIST; f.children = &fuzz_item_i64; f.n_children = 1; break;
    case 8: f.type = LP__TYPE_FIXED_SIZE_LIST; f.elem_type = LP__TYPE_FLOAT32; f.list_size = 8; break;
    case 9: f.type = LP__TYPE_FIXED_SIZE_LIST; f.elem_type = LP__TYPE_FLOAT32; f.list_size = 64; break;
    case 10: f.type = LP__TYPE_STRUCT; f.children = fuzz_members; f.n_children = 2; break;
    case 12: /* a packed struct: one column in 2.1 */
      f.type = LP__TYPE_STRUCT;
      f.children = fuzz_packed_members;
      f.n_children = 2;
      f.metadata = &fuzz_packed_meta;
      f.n_metadata = 1;
      break;
    default: f.type = LP__TYPE_BINARY; break;
  }
  return f;
}

#endif
