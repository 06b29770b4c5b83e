/* Internals of connections and tables shared by db.c, table.c, scan.c and take.c. Internal. */
#ifndef LP_TABLE_TABLE_H
#define LP_TABLE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "format/datafile.h"
#include "format/deletion.h"
#include "table/manifest.h"
#include "lancepool/lance.h"

struct lp_db {
  char *dir;           /* a local folder, or the URI of the store ("s3://bucket/prefix") */
  lp__storage *store;  /* NULL for a local folder (read with the file helpers); else every read goes here
                          and the tables' dir fields are relative to it */
  lp_session *session; /* a reference, or NULL */
  lp_table *tables;    /* open tables, closed with the connection */
};

struct lp_table {
  lp_db *db;
  char *name;
  char *dir;            /* <db dir>/<name>.lance */
  lp__manifest *m;      /* a reference: the pinned version */
  lp_table *prev, *next; /* in db->tables */
};

/* True when db is a store (S3) rather than a local folder (writes there go through write/stage.c). */
bool lp__db_is_store(const lp_db *db);

/* One data file of a fragment, opened for reading. */
typedef struct lp__open_file {
  int fd;
  char *path;
  lp__datafile_meta *meta; /* a reference */
} lp__open_file;

/* A fragment opened for reading: its files, its deletion vector, and where each projected field lives. */
typedef struct lp__frag_reader {
  const lp__fragment *frag;
  lp__open_file *files;       /* one per frag->files entry, opened lazily */
  lp__deletion_vec *deleted;  /* a reference, or NULL when no row is deleted */
} lp__frag_reader;

/* The deletion vector of a fragment that has a deletion file (cached in the session), checked against the
 * manifest's count and row range. New reference in *out. */
lp_status lp__table_deletions(lp_table *t, const lp__fragment *frag, lp__deletion_vec **out, lp_error *err);

/* Open the fragment's deletion vector (checked against the manifest) and prepare lazy file access. */
lp_status lp__frag_reader_open(lp_table *t, const lp__fragment *frag, lp__frag_reader *out, lp_error *err);
void lp__frag_reader_close(lp__frag_reader *r);

/* Row addresses (fragment id << 32 | physical row: LanceDB's `_rowaddr`) of live rows: positions[i] for
 * i < n (any order), or first .. first + n - 1 when positions is NULL. LP_EINVAL for a position past the
 * end. */
lp_status lp__table_row_addrs(lp_table *t, const uint64_t *positions, uint64_t first, size_t n, uint64_t *out,
                              lp_error *err);
/* LanceDB's `_rowid` of the same rows: the row address, or on a table with stable row ids the id its
 * fragment's row id sequence gives (LP_EUNSUPPORTED when that sequence is kept in an external file). */
lp_status lp__table_row_ids(lp_table *t, const uint64_t *positions, uint64_t first, size_t n, uint64_t *out,
                            lp_error *err);
/* The same for physical rows rows[0..n) of one fragment. */
lp_status lp__fragment_row_ids(lp_table *t, const lp__fragment *frag, const uint64_t *rows, size_t n, uint64_t *out,
                               lp_error *err);
/* Whether the table's rows carry stable row ids (then `_rowid` is not the row address). */
bool lp__table_stable_row_ids(const lp_table *t);
/* The field of LanceDB's `_rowid` output column (uint64, nullable), as withRowId() appends it. */
const lp__field *lp__rowid_field(void);
/* Owned uint64 arrays of the rows' `_rowid`s: live rows as for lp__table_row_ids, or one fragment's
 * physical rows. */
lp_status lp__table_rowid_array(lp_table *t, const uint64_t *positions, uint64_t first, size_t n,
                                struct ArrowArray *out, lp_error *err);
lp_status lp__fragment_rowid_array(lp_table *t, const lp__fragment *frag, const uint64_t *rows, size_t n,
                                   struct ArrowArray *out, lp_error *err);

/* Read rows of one top-level field of fragment r: a contiguous range (rows == NULL: [row_start,
 * row_start + n)) or the listed ascending rows. A field the fragment has no file for reads as nulls. */
lp_status lp__frag_read_field(lp_table *t, lp__frag_reader *r, const lp__field *field,
                              const struct ArrowSchema *field_schema, uint64_t row_start, const uint64_t *rows,
                              uint64_t n, struct ArrowArray *out, lp_error *err);

/* Resolve column names to top-level fields (NULL names = all, in schema order). Caller frees *out. */
lp_status lp__project(const lp_table *t, const char *const *columns, size_t n_columns, const lp__field ***out,
                      size_t *out_n, lp_error *err);
/* opts' projection; with opts->with_row_id, lp__rowid_field() follows the *out_n table fields in *out. */
lp_status lp__project_with_row_id(lp_table *t, const lp_scan_options *opts, const lp__field ***out, size_t *out_n,
                                  lp_error *err);

#endif
