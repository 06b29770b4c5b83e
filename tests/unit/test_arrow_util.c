/* Unit tests of arrow_util: owned arrays and their release, struct assembly, null arrays, slice copies
 * and concatenation of primitive, bool, string, list and struct arrays (offsets re-based, validity
 * merged), plus the argument errors. */
#include "format/arrow_util.h"
#include "lp_test.h"

static void make_i32(struct ArrowArray *a, const int32_t *v, const int *valid, int64_t n) {
  int32_t *vals = lp__arrow_buf_alloc((size_t)n * 4);
  uint8_t *bits = lp__arrow_buf_calloc((size_t)(n + 7) / 8);
  int64_t nulls = 0;
  for (int64_t i = 0; i < n; i++) {
    vals[i] = v[i];
    if (valid[i]) lp__bit_set(bits, i);
    else nulls++;
  }
  void *bufs[2] = {bits, vals};
  lp_error err;
  CHECK_OK(lp__arrow_array_make(a, n, nulls, 2, bufs, NULL, 0, &err), &err);
}

static void make_str(struct ArrowArray *a, const char *const *s, int64_t n) {
  int32_t *off = lp__arrow_buf_alloc((size_t)(n + 1) * 4);
  size_t total = 0;
  for (int64_t i = 0; i < n; i++) total += s[i] ? strlen(s[i]) : 0;
  char *data = lp__arrow_buf_alloc(total);
  uint8_t *bits = lp__arrow_buf_calloc((size_t)(n + 7) / 8);
  int64_t nulls = 0;
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    size_t l = s[i] ? strlen(s[i]) : 0;
    if (l) memcpy(data + off[i], s[i], l);
    off[i + 1] = off[i] + (int32_t)l;
    if (s[i]) lp__bit_set(bits, i);
    else nulls++;
  }
  void *bufs[3] = {bits, off, data};
  lp_error err;
  CHECK_OK(lp__arrow_array_make(a, n, nulls, 3, bufs, NULL, 0, &err), &err);
}

static struct ArrowSchema sch(const char *fmt, int64_t n, struct ArrowSchema **kids) {
  struct ArrowSchema s;
  memset(&s, 0, sizeof s);
  s.format = fmt;
  s.n_children = n;
  s.children = kids;
  return s;
}

static void test_concat_slice_primitive_and_strings(void) {
  lp_error err;
  struct ArrowArray parts[2], out, sl;
  int32_t v1[3] = {1, 2, 3}, v2[2] = {4, 5};
  int ok1[3] = {1, 0, 1}, ok2[2] = {1, 1};
  make_i32(&parts[0], v1, ok1, 3);
  make_i32(&parts[1], v2, ok2, 2);
  struct ArrowSchema si = sch("i", 0, NULL);
  CHECK_OK(lp__arrow_concat(parts, 2, &si, &out, &err), &err);
  CHECK(parts[0].release == NULL && parts[1].release == NULL);
  CHECK_EQ(out.length, 5);
  CHECK_EQ(out.null_count, 1);
  CHECK_EQ(((const int32_t *)out.buffers[1])[3], 4);
  CHECK(!lp__bit_get(out.buffers[0], 1) && lp__bit_get(out.buffers[0], 4));
  CHECK_OK(lp__arrow_slice_copy(&out, &si, 1, 3, &sl, &err), &err);
  CHECK_EQ(sl.length, 3);
  CHECK_EQ(sl.null_count, 1);
  CHECK_EQ(((const int32_t *)sl.buffers[1])[0], 2);
  CHECK_EQ(lp__arrow_slice_copy(&out, &si, 4, 3, &sl, &err), LP_EINVAL);
  lp__arrow_release(&sl);
  lp__arrow_release(&out);
  const char *a[2] = {"ab", NULL}, *b[3] = {"", "xyz", "q"};
  make_str(&parts[0], a, 2);
  make_str(&parts[1], b, 3);
  struct ArrowSchema su = sch("u", 0, NULL);
  CHECK_OK(lp__arrow_concat(parts, 2, &su, &out, &err), &err);
  const int32_t *off = out.buffers[1];
  CHECK_EQ(off[5], 6);
  CHECK_EQ(off[3] - off[2], 0);
  CHECK(memcmp((const char *)out.buffers[2] + off[3], "xyz", 3) == 0);
  CHECK_OK(lp__arrow_slice_copy(&out, &su, 3, 2, &sl, &err), &err);
  CHECK_EQ(((const int32_t *)sl.buffers[1])[0], 0); /* offsets re-based */
  CHECK_EQ(((const int32_t *)sl.buffers[1])[2], 4);
  lp__arrow_release(&sl);
  lp__arrow_release(&out);
}

static void test_struct_list_nulls(void) {
  lp_error err;
  /* list<int32> of 2 rows: [1,2], [3] ; concatenated with a null-only list array of 2 rows */
  struct ArrowArray items, lists[2], out;
  int32_t iv[3] = {1, 2, 3};
  int ok[3] = {1, 1, 1};
  make_i32(&items, iv, ok, 3);
  int32_t *loff = lp__arrow_buf_alloc(12);
  loff[0] = 0;
  loff[1] = 2;
  loff[2] = 3;
  void *lb[2] = {NULL, loff};
  struct ArrowArray *kp[1] = {&items};
  CHECK_OK(lp__arrow_array_make(&lists[0], 2, 0, 2, lb, kp, 1, &err), &err);
  struct ArrowSchema si = sch("i", 0, NULL), *sk[1] = {&si};
  struct ArrowSchema sl = sch("+l", 1, sk);
  CHECK_OK(lp__arrow_make_nulls(&lists[1], &sl, 2, &err), &err);
  CHECK_EQ(lists[1].null_count, 2);
  CHECK_OK(lp__arrow_concat(lists, 2, &sl, &out, &err), &err);
  CHECK_EQ(out.length, 4);
  CHECK_EQ(out.null_count, 2);
  CHECK_EQ(((const int32_t *)out.buffers[1])[4], 3);
  CHECK_EQ(out.children[0]->length, 3);
  /* a record batch of the list column and an int column */
  struct ArrowArray cols[2];
  lp__arrow_move(&out, &cols[0]);
  int32_t xv[4] = {9, 8, 7, 6};
  int xok[4] = {1, 1, 1, 1};
  make_i32(&cols[1], xv, xok, 4);
  struct ArrowArray batch;
  CHECK_OK(lp__arrow_struct_make(&batch, cols, 2, 4, NULL, 0, &err), &err);
  CHECK_EQ(batch.n_children, 2);
  CHECK_EQ(batch.children[1]->length, 4);
  lp__arrow_release(&batch);
  CHECK(batch.release == NULL);
  /* a child shorter than the struct is rejected, and the children are released */
  make_i32(&cols[0], xv, xok, 2);
  CHECK_EQ(lp__arrow_struct_make(&batch, cols, 1, 4, NULL, 0, &err), LP_EINVAL);
  CHECK_CONTAINS(err.message, "child 0");
  CHECK_EQ(lp__arrow_format_bit_width("tsu:UTC"), 64);
  CHECK_EQ(lp__arrow_format_bit_width("b"), 1);
  CHECK_EQ(lp__arrow_format_bit_width("u"), 0);
}

int main(void) {
  RUN_TEST(test_concat_slice_primitive_and_strings);
  RUN_TEST(test_struct_list_nulls);
  return 0;
}
