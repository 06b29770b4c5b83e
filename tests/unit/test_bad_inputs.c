/* Bad inputs as data: every folder of tests/data/bad/ (made by make_bad.py there from the LanceDB sample)
 * holds a damaged database `db/` and an `expect` file naming the operation, the status code and a
 * substring of the error message. Each case must fail with exactly that code and message: no crash (this
 * test also runs under ASan+UBSan), no success with a wrong answer. */
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "lancepool/lance.h"
#include "lp_test.h"

typedef struct expect {
  char table[256], op[32], code[32], message[256];
  uint64_t version;
} expect;

static void read_expect(const char *path, expect *e) {
  FILE *f = fopen(path, "r");
  if (f == NULL) LP_FAIL("cannot open %s", path);
  memset(e, 0, sizeof *e);
  char line[512];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *eq = strchr(line, '=');
    if (eq == NULL) continue;
    *eq = '\0';
    const char *v = eq + 1;
    if (strcmp(line, "table") == 0) snprintf(e->table, sizeof e->table, "%s", v);
    else if (strcmp(line, "op") == 0) snprintf(e->op, sizeof e->op, "%s", v);
    else if (strcmp(line, "code") == 0) snprintf(e->code, sizeof e->code, "%s", v);
    else if (strcmp(line, "message") == 0) snprintf(e->message, sizeof e->message, "%s", v);
    else if (strcmp(line, "version") == 0) e->version = strtoull(v, NULL, 10);
  }
  fclose(f);
}

/* Run one case's operation; returns its status with the message in err. */
static lp_status run_case(const char *db_dir, const expect *e, lp_error *err) {
  lp_db *db = NULL;
  lp_table *t = NULL;
  lp_status rc = lp_db_open(db_dir, NULL, &db, err);
  if (rc == LP_OK) rc = lp_table_open(db, e->table, e->version, &t, err);
  if (rc == LP_OK && strcmp(e->op, "deletions") == 0) {
    for (size_t i = 0; rc == LP_OK && i < t->m->n_fragments; i++) {
      if (!t->m->fragments[i].has_deletion) continue;
      lp__deletion_vec *dv = NULL;
      rc = lp__table_deletions(t, &t->m->fragments[i], &dv, err);
      lp__deletion_vec_unref(dv);
    }
  }
  if (rc == LP_OK && strcmp(e->op, "scan") == 0) {
    /* Random access to every live row: the status comes back as is. */
    uint64_t n = 0;
    rc = lp_table_count_rows(t, &n, err);
    uint64_t *pos = calloc(n ? n : 1, sizeof *pos);
    for (uint64_t i = 0; i < n; i++) pos[i] = n - 1 - i;
    struct ArrowArray arr = {0};
    struct ArrowSchema sch = {0};
    if (rc == LP_OK) rc = lp_table_take(t, pos, (size_t)n, NULL, 0, &arr, &sch, err);
    free(pos);
    if (arr.release) arr.release(&arr);
    if (sch.release) sch.release(&sch);
    /* A scan must fail the same way, through the stream's errno and last error. */
    lp_error serr = {0};
    struct ArrowArrayStream st = {0};
    if (lp_table_scan(t, NULL, &st, &serr) != LP_OK) LP_FAIL("scan did not start: %s", serr.message);
    int e_no = 0;
    uint64_t rows = 0;
    for (;;) {
      struct ArrowArray b = {0};
      e_no = st.get_next(&st, &b);
      if (e_no != 0 || b.release == NULL) break;
      rows += (uint64_t)b.length;
      b.release(&b);
    }
    if (rc != LP_OK) {
      if (e_no == 0) LP_FAIL("take failed (%s) but the scan returned %" PRIu64 " rows without error", err->message, rows);
      const char *msg = st.get_last_error(&st);
      if (msg == NULL) LP_FAIL("scan failed with errno %d but get_last_error is NULL", e_no);
      CHECK_CONTAINS(msg, e->message);
      fprintf(stderr, "   scan: errno %d: %s\n", e_no, msg);
    } else if (e_no != 0) {
      LP_FAIL("take succeeded but the scan failed: %s", st.get_last_error(&st));
    }
    st.release(&st);
  }
  lp_table_close(t);
  lp_db_close(db);
  return rc;
}

int main(void) {
  const char *src = getenv("LP_SOURCE_DIR");
  char root[4096];
  snprintf(root, sizeof root, "%s/tests/data/bad", src ? src : ".");
  DIR *d = opendir(root);
  if (d == NULL) LP_FAIL("cannot open %s", root);
  int n_cases = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    char dir[4600], path[4700];
    snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
    snprintf(path, sizeof path, "%s/expect", dir);
    FILE *probe = fopen(path, "r");
    if (probe == NULL) continue;
    fclose(probe);
    expect e;
    read_expect(path, &e);
    snprintf(path, sizeof path, "%s/db", dir);
    lp_error err = {0};
    lp_status rc = run_case(path, &e, &err);
    fprintf(stderr, "-- %s: %s: %s\n", de->d_name, lp_status_name(rc), err.message);
    if (strcmp(lp_status_name(rc), e.code) != 0) LP_FAIL("case %s: got %s, expected %s", de->d_name, lp_status_name(rc), e.code);
    CHECK_CONTAINS(err.message, e.message);
    /* Errors name the file or table they are about. */
    if (rc != LP_OK) CHECK_CONTAINS(err.message, "t");
    n_cases++;
  }
  closedir(d);
  CHECK_GE(n_cases, 19);
  return 0;
}
