/* Lance logical type strings (every type of the read path, both directions), the field tree built from a
 * flat pre-order list (lists, structs, list of struct, nesting), its error cases, copies, and Arrow
 * export formats. */
#include <stdlib.h>
#include <string.h>

#include "format/schema.h"
#include "lp_test.h"

/* Parse lt, check the type, format it back to the same string and check the Arrow format. */
static lp__field parse_ok(const char *lt, lp__type want, const char *arrow) {
  lp__field f = {0};
  lp_error err = {0};
  f.name = strdup("x");
  f.logical_type = strdup(lt);
  CHECK_OK(lp__logical_type_parse(lt, &f, &err), &err);
  CHECK_EQ(f.type, want);
  char *back = lp__logical_type_format(&f);
  CHECK_STR_EQ(back, lt);
  free(back);
  struct ArrowSchema s;
  CHECK_OK(lp__field_to_arrow(&f, &s, &err), &err);
  CHECK_STR_EQ(s.format, arrow);
  s.release(&s);
  return f;
}

static void test_primitives(void) {
  static const struct { const char *lt; lp__type t; const char *arrow; } cases[] = {
      {"null", LP__TYPE_NULL, "n"},          {"bool", LP__TYPE_BOOL, "b"},
      {"int8", LP__TYPE_INT8, "c"},          {"int16", LP__TYPE_INT16, "s"},
      {"int32", LP__TYPE_INT32, "i"},        {"int64", LP__TYPE_INT64, "l"},
      {"uint8", LP__TYPE_UINT8, "C"},        {"uint16", LP__TYPE_UINT16, "S"},
      {"uint32", LP__TYPE_UINT32, "I"},      {"uint64", LP__TYPE_UINT64, "L"},
      {"halffloat", LP__TYPE_FLOAT16, "e"},  {"float", LP__TYPE_FLOAT32, "f"},
      {"double", LP__TYPE_FLOAT64, "g"},     {"string", LP__TYPE_UTF8, "u"},
      {"large_string", LP__TYPE_LARGE_UTF8, "U"}, {"binary", LP__TYPE_BINARY, "z"},
      {"large_binary", LP__TYPE_LARGE_BINARY, "Z"}, {"date32:day", LP__TYPE_DATE32, "tdD"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lp__field f = parse_ok(cases[i].lt, cases[i].t, cases[i].arrow);
    lp__field_reset(&f);
  }
}

static void test_timestamps(void) {
  lp__field f = parse_ok("timestamp:us:UTC", LP__TYPE_TIMESTAMP, "tsu:UTC");
  CHECK_EQ(f.unit, LP__UNIT_US);
  CHECK_STR_EQ(f.timezone, "UTC");
  lp__field_reset(&f);
  f = parse_ok("timestamp:ns:-", LP__TYPE_TIMESTAMP, "tsn:");
  CHECK(f.timezone == NULL);
  lp__field_reset(&f);
  f = parse_ok("timestamp:ms:America/New_York", LP__TYPE_TIMESTAMP, "tsm:America/New_York");
  CHECK_STR_EQ(f.timezone, "America/New_York");
  lp__field_reset(&f);
  f = parse_ok("timestamp:s:-", LP__TYPE_TIMESTAMP, "tss:");
  lp__field_reset(&f);
}

static void test_fixed_size_lists(void) {
  lp__field f = parse_ok("fixed_size_list:float:384", LP__TYPE_FIXED_SIZE_LIST, "+w:384");
  CHECK_EQ(f.elem_type, LP__TYPE_FLOAT32);
  CHECK_EQ(f.list_size, 384);
  CHECK_EQ(lp__field_num_leaves(&f), 1);
  lp__field_reset(&f);
  f = parse_ok("fixed_size_list:halffloat:16", LP__TYPE_FIXED_SIZE_LIST, "+w:16");
  CHECK_EQ(f.elem_type, LP__TYPE_FLOAT16);
  lp_error err = {0};
  struct ArrowSchema s;
  CHECK_OK(lp__field_to_arrow(&f, &s, &err), &err);
  CHECK_EQ(s.n_children, 1);
  CHECK_STR_EQ(s.children[0]->format, "e");
  CHECK_STR_EQ(s.children[0]->name, "item");
  s.release(&s);
  lp__field_reset(&f);
  f = parse_ok("fixed_size_list:uint8:32", LP__TYPE_FIXED_SIZE_LIST, "+w:32");
  CHECK_EQ(f.elem_type, LP__TYPE_UINT8);
  lp__field_reset(&f);
}

static void test_unsupported(void) {
  const char *bad[] = {"decimal:128:10:2", "timestamp:ms:+05:30x", "timestamp:xs:UTC", "timestamp:us:",
                       "fixed_size_list:float:0", "fixed_size_list:float:-3", "fixed_size_list:string:4",
                       "fixed_size_list:float", "fixed_size_list:float:12abc", "dict:string:int32:false", "",
                       "int", "fixed_size_list:lance.bfloat16:8"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lp__field f = {0};
    lp_error err = {0};
    lp_status rc = lp__logical_type_parse(bad[i], &f, &err);
    if (strcmp(bad[i], "timestamp:ms:+05:30x") == 0) {
      /* LanceDB cannot write a zone with ':' either; we parse what follows the unit as the zone. */
      CHECK_EQ(rc, LP_OK);
      lp__field_reset(&f);
      continue;
    }
    if (rc != LP_EUNSUPPORTED) LP_FAIL("\"%s\": got %s", bad[i], lp_status_name(rc));
    CHECK_CONTAINS(err.message, "unsupported logical type");
    lp__field_reset(&f);
  }
}

static lp__field flat(const char *name, int32_t id, int32_t parent, const char *lt) {
  lp__field f = {0};
  f.name = strdup(name);
  f.id = id;
  f.parent_id = parent;
  f.logical_type = strdup(lt);
  f.nullable = true;
  return f;
}

/* id int64; tags list<string>; st struct{a int32, inner struct{z double}}; pts list<struct{x float}>. */
static void test_tree(void) {
  lp__field fl[] = {
      flat("id", 0, -1, "int64"),       flat("tags", 1, -1, "list"),     flat("item", 2, 1, "string"),
      flat("st", 3, -1, "struct"),      flat("a", 4, 3, "int32"),        flat("inner", 5, 3, "struct"),
      flat("z", 6, 5, "double"),        flat("pts", 7, -1, "list.struct"), flat("item", 8, 7, "struct"),
      flat("x", 9, 8, "float"),         flat("ll", 10, -1, "large_list"), flat("item", 11, 10, "uint8"),
  };
  size_t n = sizeof fl / sizeof fl[0];
  lp__schema s;
  lp_error err = {0};
  CHECK_OK(lp__schema_from_flat(fl, n, "m", &s, &err), &err);
  CHECK_EQ(s.n_fields, 5);
  const lp__field *st = lp__schema_find(&s, "st");
  CHECK_EQ(st->n_children, 2);
  CHECK_EQ(st->children[1].type, LP__TYPE_STRUCT);
  CHECK_EQ(st->children[1].children[0].id, 6);
  CHECK_EQ(lp__field_num_leaves(st), 2);
  CHECK_EQ(lp__field_first_leaf_id(st), 4);
  const lp__field *pts = lp__schema_find(&s, "pts");
  CHECK_EQ(pts->type, LP__TYPE_LIST);
  CHECK_EQ(lp__field_first_leaf_id(pts), 9);
  char *lt = lp__logical_type_format(pts);
  CHECK_STR_EQ(lt, "list.struct");
  free(lt);
  CHECK_EQ(lp__schema_find(&s, "ll")->type, LP__TYPE_LARGE_LIST);
  CHECK(lp__schema_find(&s, "nope") == NULL);
  lp__schema copy;
  CHECK_OK(lp__schema_copy(&s, &copy, &err), &err);
  lp__schema_reset(&s);
  CHECK_EQ(copy.n_fields, 5);
  CHECK_STR_EQ(copy.fields[2].children[1].children[0].name, "z");
  const lp__field *ptrs[5];
  for (int i = 0; i < 5; i++) ptrs[i] = &copy.fields[i];
  struct ArrowSchema as;
  CHECK_OK(lp__fields_to_arrow_struct(ptrs, 5, &as, &err), &err);
  CHECK_STR_EQ(as.format, "+s");
  CHECK_STR_EQ(as.children[1]->format, "+l");
  CHECK_STR_EQ(as.children[1]->children[0]->format, "u");
  CHECK_STR_EQ(as.children[3]->children[0]->format, "+s");
  CHECK_STR_EQ(as.children[3]->children[0]->children[0]->name, "x");
  CHECK_STR_EQ(as.children[4]->format, "+L");
  as.release(&as);
  lp__schema_reset(&copy);
}

static void test_tree_errors(void) {
  lp__schema s;
  lp_error err = {0};
  lp__field a[] = {flat("l", 0, -1, "list"), flat("i", 1, 0, "int32"), flat("j", 2, 0, "int32")};
  CHECK_EQ(lp__schema_from_flat(a, 3, "m1", &s, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "m1: list field \"l\" (id 0) has 2 children");
  lp__field b[] = {flat("x", 0, -1, "int32"), flat("y", 1, 0, "int32")};
  CHECK_EQ(lp__schema_from_flat(b, 2, "m2", &s, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "has child fields");
  lp__field c[] = {flat("x", 0, -1, "int32"), flat("x2", 0, -1, "int32")};
  CHECK_EQ(lp__schema_from_flat(c, 2, "m3", &s, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "appears twice");
  lp__field d[] = {flat("st", 0, -1, "struct"), flat("x", 1, -1, "int32"), flat("late", 2, 0, "int32")};
  CHECK_EQ(lp__schema_from_flat(d, 3, "m4", &s, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "not in pre-order");
  lp__field e[] = {flat("t", 0, -1, "timestamp:zz:UTC")};
  CHECK_EQ(lp__schema_from_flat(e, 1, "m5", &s, &err), LP_EUNSUPPORTED);
  CHECK_CONTAINS(err.message, "m5: field \"t\" (id 0): unsupported logical type \"timestamp:zz:UTC\"");
  /* Deep nesting is bounded. */
  enum { DEEP = 100 };
  lp__field deep[DEEP];
  for (int i = 0; i < DEEP; i++) deep[i] = flat("s", i, i - 1, i == DEEP - 1 ? "int32" : "struct");
  CHECK_EQ(lp__schema_from_flat(deep, DEEP, "m6", &s, &err), LP_ECORRUPT);
  CHECK_CONTAINS(err.message, "nested deeper");
}

int main(void) {
  RUN_TEST(test_primitives);
  RUN_TEST(test_timestamps);
  RUN_TEST(test_fixed_size_lists);
  RUN_TEST(test_unsupported);
  RUN_TEST(test_tree);
  RUN_TEST(test_tree_errors);
  return 0;
}
