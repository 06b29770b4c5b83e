/* The pooled store: every public call borrows a connection (LP__SCOPED_CONN releases it on every path,
 * as broken after an I/O error) and runs a connection-level function. Writes go through a group
 * committer: the first writer to arrive leads, waits group_commit_window_us for others, then commits every
 * queued request of one kind together; each caller returns when its request is done. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store_conns.h"
#include "store/store_int.h"

enum { W_ADD, W_UPSERT, W_DELETE };

typedef struct wreq {
  int kind;
  const lp_store_record *recs; /* W_ADD, W_UPSERT */
  size_t n;
  const char *const *ids;      /* W_DELETE */
  uint64_t deleted;
  bool done;
  lp_status rc;
  lp_error err;
  struct wreq *next;
} wreq;

struct lp_store {
  char *dir, *table;
  lp_store_config cfg;
  lp__conns conns;
  pthread_mutex_t wmu;
  pthread_cond_t wdone;
  wreq *head, *tail; /* queued writes; under wmu */
  bool has_leader;   /* under wmu */
  uint64_t commits, writes; /* under wmu */
};

void lp_store_config_init(lp_store_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->max_connections = 8;
  cfg->acquire_timeout_ms = 5000;
  cfg->freshness_interval_ms = 0;
  cfg->group_commit_window_us = 2000;
  cfg->compact_min_fragments = 16;
  cfg->compact_deleted_ratio = 0.2;
  cfg->retention_ms = 600000;
  cfg->create_if_missing = true;
}

static lp_status open_or_create(lp_store *s, lp_error *err) {
  LP__SCOPED_CONN(c, &s->conns);
  LP_TRY(lp__conns_acquire(&s->conns, &c.db, err));
  lp_table *t = NULL;
  c.rc = lp_table_open(c.db, s->table, LP_VERSION_LATEST, &t, err);
  if (c.rc == LP_ENOTFOUND && s->cfg.create_if_missing) {
    c.rc = lp__store_conn_create(c.db, s->table, s->cfg.dim, err);
    if (c.rc == LP_EEXIST) c.rc = LP_OK; /* another process created it first */
    if (c.rc == LP_OK) c.rc = lp_table_open(c.db, s->table, LP_VERSION_LATEST, &t, err);
  }
  if (c.rc == LP_OK) c.rc = lp__store_check_schema(t, s->cfg.dim, err);
  lp_table_close(t);
  return c.rc;
}

lp_status lp_store_open(const char *dir, const char *table, const lp_store_config *cfg, lp_store **out,
                        lp_error *err) {
  if (dir == NULL || table == NULL || cfg == NULL || out == NULL)
    return lp_error_set(err, LP_EINVAL, "store open: dir, table, cfg and out are required");
  if (cfg->dim == 0 || cfg->dim > LP_STORE_MAX_DIM)
    return lp_error_set(err, LP_EINVAL, "store open: dimension %u is not in 1..%u", cfg->dim, LP_STORE_MAX_DIM);
  lp_store *s = calloc(1, sizeof *s);
  if (s == NULL) return lp_error_set(err, LP_ENOMEM, "store open: out of memory");
  s->cfg = *cfg;
  s->dir = strdup(dir);
  s->table = strdup(table);
  if (s->dir == NULL || s->table == NULL) {
    free(s->dir);
    free(s->table);
    free(s);
    return lp_error_set(err, LP_ENOMEM, "store open: out of memory");
  }
  if (cfg->create_if_missing) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s", dir);
    for (char *p = cmd + 1; *p; p++)
      if (*p == '/') {
        *p = '\0';
        (void)mkdir(cmd, 0777);
        *p = '/';
      }
    (void)mkdir(cmd, 0777);
  }
  lp_status rc = lp__conns_init(&s->conns, s->dir, cfg->max_connections, cfg->acquire_timeout_ms, err);
  if (rc != LP_OK) {
    free(s->dir);
    free(s->table);
    free(s);
    return rc;
  }
  pthread_mutex_init(&s->wmu, NULL);
  pthread_cond_init(&s->wdone, NULL);
  rc = open_or_create(s, err);
  if (rc != LP_OK) {
    lp_error_wrap(err, "store %s/%s", dir, table);
    lp_store_close(s);
    return rc;
  }
  *out = s;
  return LP_OK;
}

void lp_store_close(lp_store *s) {
  if (s == NULL) return;
  pthread_mutex_lock(&s->wmu);
  while (s->has_leader || s->head != NULL) pthread_cond_wait(&s->wdone, &s->wmu);
  pthread_mutex_unlock(&s->wmu);
  lp__conns_reset(&s->conns);
  pthread_mutex_destroy(&s->wmu);
  pthread_cond_destroy(&s->wdone);
  free(s->dir);
  free(s->table);
  free(s);
}

/* ---- group commit ---------------------------------------------------------------------------------- */

/* Commit requests reqs[0..n) (all of one kind) on db as one commit when possible. When the combined
 * commit fails, each request is committed on its own so each caller gets its own outcome. */
static lp_status commit_one(lp_store *s, lp_db *db, wreq *r) {
  if (r->kind == W_DELETE) return lp__store_conn_delete_ids(db, s->table, r->ids, r->n, &r->deleted, &r->err);
  if (r->kind == W_ADD) return lp__store_conn_add(db, s->table, r->recs, r->n, s->cfg.dim, &r->err);
  const char **ids = malloc((r->n ? r->n : 1) * sizeof *ids);
  if (ids == NULL) return lp_error_set(&r->err, LP_ENOMEM, "store upsert: out of memory");
  for (size_t i = 0; i < r->n; i++) ids[i] = r->recs[i].id;
  lp_status rc = lp__store_conn_delete_ids(db, s->table, ids, r->n, NULL, &r->err);
  free(ids);
  if (rc != LP_OK) return rc;
  struct ArrowArrayStream st = {0};
  rc = lp__store_records_stream(r->recs, r->n, s->cfg.dim, &st, &r->err);
  uint64_t v = 0;
  if (rc == LP_OK) rc = lp_db_add(db, s->table, &st, NULL, &v, &r->err);
  return rc;
}

/* One commit for a group of same-kind requests: the records (or ids) concatenated. */
static lp_status commit_group(lp_store *s, lp_db *db, wreq **g, size_t n, lp_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += g[i]->n;
  lp_status rc = LP_OK;
  if (g[0]->kind == W_DELETE) {
    const char **ids = malloc((total ? total : 1) * sizeof *ids);
    bool *found = malloc((total ? total : 1) * sizeof *found);
    if (ids == NULL || found == NULL) rc = lp_error_set(err, LP_ENOMEM, "store: out of memory");
    size_t k = 0;
    for (size_t i = 0; rc == LP_OK && i < n; i++)
      for (size_t j = 0; j < g[i]->n; j++) ids[k++] = g[i]->ids[j];
    if (rc == LP_OK) rc = lp__store_conn_exists(db, s->table, ids, total, found, err);
    if (rc == LP_OK) rc = lp__store_conn_delete_ids(db, s->table, ids, total, NULL, err);
    k = 0;
    for (size_t i = 0; rc == LP_OK && i < n; i++)
      for (size_t j = 0; j < g[i]->n; j++) g[i]->deleted += found[k++];
    free(ids);
    free(found);
    return rc;
  }
  lp_store_record *recs = malloc((total ? total : 1) * sizeof *recs);
  if (recs == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < g[i]->n; j++) recs[k++] = g[i]->recs[j];
  rc = lp__store_validate(recs, total, s->cfg.dim, err); /* ids unique across the group? */
  if (rc == LP_OK) {
    wreq merged = {.kind = g[0]->kind, .recs = recs, .n = total};
    rc = commit_one(s, db, &merged);
    if (rc != LP_OK && err != NULL) *err = merged.err;
  }
  free(recs);
  return rc;
}

/* Commit a detached list of requests, grouping runs of the same kind. Sets rc/err/done on each. */
static void commit_list(lp_store *s, wreq *list, uint64_t *out_commits) {
  LP__SCOPED_CONN(c, &s->conns);
  lp_error aerr;
  lp_status arc = lp__conns_acquire(&s->conns, &c.db, &aerr);
  while (list != NULL) {
    wreq *g[256];
    size_t n = 0;
    while (list != NULL && n < 256 && (n == 0 || list->kind == g[0]->kind)) {
      g[n++] = list;
      list = list->next;
    }
    if (arc != LP_OK) {
      for (size_t i = 0; i < n; i++) {
        g[i]->rc = arc;
        g[i]->err = aerr;
      }
      continue;
    }
    lp_error gerr;
    lp_status rc = n > 1 ? commit_group(s, c.db, g, n, &gerr) : LP_EINVAL;
    if (n > 1 && rc == LP_OK) {
      (*out_commits)++;
      for (size_t i = 0; i < n; i++) g[i]->rc = LP_OK;
    } else {
      for (size_t i = 0; i < n; i++) { /* one by one: each caller gets its own outcome */
        g[i]->deleted = 0;
        g[i]->rc = commit_one(s, c.db, g[i]);
        if (g[i]->rc == LP_OK) (*out_commits)++;
        if (g[i]->rc == LP_EIO || g[i]->rc == LP_ECORRUPT) c.rc = g[i]->rc;
      }
    }
  }
}

static lp_status submit(lp_store *s, wreq *r, lp_error *err) {
  pthread_mutex_lock(&s->wmu);
  if (s->tail) s->tail->next = r;
  else s->head = r;
  s->tail = r;
  while (!r->done && s->has_leader) pthread_cond_wait(&s->wdone, &s->wmu);
  if (!r->done) { /* lead: wait for company, then take the whole queue */
    s->has_leader = true;
    pthread_mutex_unlock(&s->wmu);
    if (s->cfg.group_commit_window_us > 0) {
      struct timespec ts = {0, (long)s->cfg.group_commit_window_us * 1000L};
      nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&s->wmu);
    wreq *list = s->head;
    s->head = s->tail = NULL;
    pthread_mutex_unlock(&s->wmu);
    uint64_t commits = 0, writes = 0;
    commit_list(s, list, &commits);
    pthread_mutex_lock(&s->wmu);
    for (wreq *q = list; q != NULL; q = q->next) {
      q->done = true;
      writes++;
    }
    s->commits += commits;
    s->writes += writes;
    s->has_leader = false;
    pthread_cond_broadcast(&s->wdone);
  }
  pthread_mutex_unlock(&s->wmu);
  if (r->rc != LP_OK && err != NULL) *err = r->err;
  return r->rc;
}

/* ---- public operations ------------------------------------------------------------------------------ */

static lp_status write_records(lp_store *s, int kind, const lp_store_record *recs, size_t n, lp_error *err) {
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store: NULL store");
  LP_TRY(lp__store_validate(recs, n, s->cfg.dim, err));
  if (n == 0) return LP_OK;
  wreq r = {.kind = kind, .recs = recs, .n = n};
  return submit(s, &r, err);
}

lp_status lp_store_add(lp_store *s, const lp_store_record *recs, size_t n, lp_error *err) {
  return write_records(s, W_ADD, recs, n, err);
}

lp_status lp_store_upsert(lp_store *s, const lp_store_record *recs, size_t n, lp_error *err) {
  return write_records(s, W_UPSERT, recs, n, err);
}

lp_status lp_store_delete_ids(lp_store *s, const char *const *ids, size_t n_ids, uint64_t *out_deleted,
                              lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] == NULL || ids[i][0] == '\0') return lp_error_set(err, LP_EINVAL, "store delete: id %zu is empty", i);
  if (n_ids == 0) return LP_OK;
  wreq r = {.kind = W_DELETE, .ids = ids, .n = n_ids};
  lp_status rc = submit(s, &r, err);
  if (rc == LP_OK && out_deleted) *out_deleted = r.deleted;
  return rc;
}

lp_status lp_store_delete_where(lp_store *s, const char *predicate, uint64_t *out_deleted, lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  if (predicate == NULL) return lp_error_set(err, LP_EINVAL, "store delete: predicate is NULL");
  LP__SCOPED_CONN(c, &s->conns);
  LP_TRY(lp__conns_acquire(&s->conns, &c.db, err));
  uint64_t deleted = 0;
  c.rc = lp__store_db_delete(c.db, s->table, predicate, &deleted, err);
  if (out_deleted) *out_deleted = deleted;
  return c.rc;
}

lp_status lp_store_delete_path(lp_store *s, const char *path, uint64_t *out_deleted, lp_error *err) {
  if (path == NULL) return lp_error_set(err, LP_EINVAL, "store delete: path is NULL");
  const char *one[1] = {path};
  char *pred = lp__store_ids_predicate(one, 1); /* "id IN ('...')" with the path quoted */
  if (pred == NULL) return lp_error_set(err, LP_ENOMEM, "store delete: out of memory");
  char *q = malloc(strlen(pred) + 16);
  lp_status rc;
  if (q == NULL) {
    rc = lp_error_set(err, LP_ENOMEM, "store delete: out of memory");
  } else {
    sprintf(q, "path IN %s", pred + 6);
    rc = lp_store_delete_where(s, q, out_deleted, err);
  }
  free(q);
  free(pred);
  return rc;
}

lp_status lp_store_get(lp_store *s, const char *const *ids, size_t n_ids, lp_store_rows *out, lp_error *err) {
  LP__SCOPED_CONN(c, &s->conns);
  LP_TRY(lp__conns_acquire(&s->conns, &c.db, err));
  c.rc = lp__store_conn_get(c.db, s->table, ids, n_ids, out, err);
  return c.rc;
}

lp_status lp_store_search(lp_store *s, const float *query, uint32_t dim, size_t k, const char *predicate,
                          lp_metric metric, lp_store_rows *out, lp_error *err) {
  if (dim != s->cfg.dim)
    return lp_error_set(err, LP_EINVAL, "store search: query has dimension %u, the store's is %u", dim, s->cfg.dim);
  LP__SCOPED_CONN(c, &s->conns);
  LP_TRY(lp__conns_acquire(&s->conns, &c.db, err));
  c.rc = lp__store_conn_search(c.db, s->table, query, dim, k, predicate, metric, out, err);
  return c.rc;
}

lp_status lp_store_count(lp_store *s, uint64_t *out, lp_error *err) {
  LP__SCOPED_CONN(c, &s->conns);
  LP_TRY(lp__conns_acquire(&s->conns, &c.db, err));
  lp_table *t = NULL;
  c.rc = lp_table_open(c.db, s->table, LP_VERSION_LATEST, &t, err);
  if (c.rc == LP_OK) c.rc = lp_table_count_rows(t, out, err);
  lp_table_close(t);
  return c.rc;
}

lp_status lp_store_compact(lp_store *s, lp_error *err) {
  (void)s;
  return lp_error_set(err, LP_EUNSUPPORTED, "store compact: the engine has no compaction yet (branch write)");
}

void lp_store_stats_get(lp_store *s, lp_store_stats *out) {
  lp__conns_stats(&s->conns, out);
  pthread_mutex_lock(&s->wmu);
  out->commits = s->commits;
  out->writes = s->writes;
  pthread_mutex_unlock(&s->wmu);
}
