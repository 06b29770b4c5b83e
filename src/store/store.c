/* The pooled store. Every public call borrows a connection from the store's lp_pool with
 * LP_POOL_SCOPED_ACQUIRE (released on every path; as broken after an I/O error or corruption) and runs a
 * table-level function on it. A connection is an lp_db on the store's shared lp_session plus the table
 * handle it last opened: with freshness_interval_ms 0 the handle is re-opened at the latest version on
 * every operation (a directory listing; the session keeps decoded manifests, so nothing is decoded again
 * unless a new version appeared).
 *
 * Writes go through a group committer: a caller queues its request; the first caller to find no leader
 * leads, optionally waits group_commit_window_us for company (only when writers were concurrent lately),
 * takes the whole queue and commits each run of same-kind requests as one commit; the others sleep until
 * their request is marked done. When a combined commit fails, its requests are committed one by one so
 * each caller gets its own outcome. Maintenance (compaction, version cleanup) runs beside the queue (see
 * "maintenance" below), so writers never wait for it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "io/io.h"
#include "table/table.h"
#include "write/write.h"
#include "store/store_index.h"
#include "store/store_int.h"

enum { W_ADD, W_UPSERT, W_DELETE, W_DELETE_WHERE };

#define COMPACT_ATTEMPTS 3 /* a compaction that loses to a concurrent delete is redone this often */
#define ORPHAN_SLACK_S 2   /* file times are coarse: an uncommitted file may look this much older */

#define MAX_GROUP 256

typedef struct wreq {
  int kind;
  const lp_store_record *recs; /* W_ADD, W_UPSERT */
  size_t n;
  const char *const *ids;      /* W_DELETE */
  const char *predicate;       /* W_DELETE_WHERE */
  uint64_t deleted;            /* W_DELETE*: rows deleted */
  bool done;
  lp_status rc;
  lp_error err;
  struct wreq *next;
} wreq;

/* One pooled connection. */
typedef struct store_conn {
  lp_db *db;
  lp_table *t;    /* the table as last opened, or NULL */
  uint64_t t_seq; /* the store's commit sequence when t was opened */
  int64_t t_ms;   /* when t was opened */
} store_conn;

struct lp_store {
  char *dir, *table;
  lp_store_config cfg;
  lp_write_options wopts;
  lp_session *session;
  lp_pool *pool;
  lp__store_layout *lay; /* the table's columns and their roles, resolved at open */
  lp__store_index *idx; /* id -> live position, shared by every connection */
  _Atomic uint64_t commit_seq; /* bumped after every commit of this store */
  _Atomic uint64_t maint_seq;  /* commit_seq at the last successful maintenance pass (+1: none yet) */
  pthread_mutex_t wmu;
  pthread_cond_t wdone;
  wreq *head, *tail;    /* queued writes; under wmu */
  bool has_leader;      /* under wmu */
  size_t last_group;    /* requests in the last batch; under wmu */
  time_t writing_since; /* wall time the leader began its commits; 0 when none is running; under wmu */
  uint64_t commits, writes, compactions, cleanups, maint_errors; /* under wmu */
  pthread_mutex_t maint_run; /* one maintenance pass (compaction, cleanup) at a time */
  lp_db *maint_db;           /* the maintenance connection (under maint_run), or NULL */
  int64_t cleaned_ms;        /* when the last version cleanup ran (under maint_run); 0 = never */
  _Atomic bool is_open;      /* lp_store_open finished: the pool's cleanup task may maintain the table */
  lp_storage_option *storage_options; /* owned copies of cfg's (keys and values too) */
  size_t n_storage_options;
};

/* Open a connection to the store's database, with its storage options. */
static lp_status store_db_open(lp_store *s, lp_db **out, lp_error *err) {
  return lp_db_open_with_options(s->dir, s->session, s->storage_options, s->n_storage_options, out, err);
}

static lp_status copy_storage_options(lp_store *s, const lp_store_config *cfg, lp_error *err) {
  s->cfg.storage_options = NULL;
  s->cfg.n_storage_options = 0;
  if (cfg->n_storage_options == 0) return LP_OK;
  if (cfg->storage_options == NULL) return lp_error_set(err, LP_EINVAL, "store open: n_storage_options without storage_options");
  s->storage_options = calloc(cfg->n_storage_options, sizeof *s->storage_options);
  if (s->storage_options == NULL) return lp_error_set(err, LP_ENOMEM, "store open: out of memory");
  for (size_t i = 0; i < cfg->n_storage_options; i++) {
    const lp_storage_option *o = &cfg->storage_options[i];
    if (o->key == NULL || o->value == NULL) return lp_error_set(err, LP_EINVAL, "store open: storage option %zu is NULL", i);
    s->storage_options[i].key = strdup(o->key);
    s->storage_options[i].value = strdup(o->value);
    s->n_storage_options++;
    if (s->storage_options[i].key == NULL || s->storage_options[i].value == NULL)
      return lp_error_set(err, LP_ENOMEM, "store open: out of memory");
  }
  return LP_OK;
}

static void free_storage_options(lp_store *s) {
  for (size_t i = 0; i < s->n_storage_options; i++) {
    free((char *)s->storage_options[i].key);
    free((char *)s->storage_options[i].value);
  }
  free(s->storage_options);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lp_store_config_init(lp_store_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  lp_pool_config_init(&cfg->pool);
  cfg->pool.name = "lancepool-store";
  cfg->pool.max_connections = 8;
  cfg->pool.min_connections = 1;
  cfg->pool.acquire_timeout_ms = 5000;
  cfg->pool.cleanup_interval_ms = 1000;
  cfg->freshness_interval_ms = 0;
  cfg->group_commit_window_us = 1000;
  cfg->durable = true;
  cfg->compact_min_fragments = 32;
  cfg->compact_target_rows = 65536;
  cfg->cache_bytes = (size_t)1 << 30;
  cfg->compact_deleted_ratio = 0.2;
  cfg->retention_ms = 600000;
  cfg->create_if_missing = true;
}

/* ---- the pool's factory --------------------------------------------------------------------------------- */

static lp_status conn_create(void *ctx, void **out, lp_error *err) {
  lp_store *s = ctx;
  store_conn *c = calloc(1, sizeof *c);
  if (c == NULL) return lp_error_set(err, LP_ENOMEM, "store connection: out of memory");
  lp_status rc = store_db_open(s, &c->db, err);
  if (rc != LP_OK) {
    free(c);
    return rc;
  }
  *out = c;
  return LP_OK;
}

static void conn_destroy(void *ctx, void *conn) {
  (void)ctx;
  store_conn *c = conn;
  lp_table_close(c->t);
  lp_db_close(c->db);
  free(c);
}

static lp_status conn_validate(void *ctx, void *conn, lp_error *err) {
  lp_store *s = ctx;
  (void)conn;
  return s->cfg.conn_check != NULL ? s->cfg.conn_check(s->cfg.conn_check_ctx, err) : LP_OK;
}

/* The table at its latest version (re-checked unless within the freshness interval and no commit of
 * this store happened since). Borrowed from the connection. */
static lp_status conn_table(lp_store *s, store_conn *c, lp_table **out, lp_error *err) {
  uint64_t seq = atomic_load(&s->commit_seq);
  if (c->t != NULL && s->cfg.freshness_interval_ms > 0 && c->t_seq == seq &&
      now_ms() - c->t_ms < (int64_t)s->cfg.freshness_interval_ms) {
    *out = c->t;
    return LP_OK;
  }
  lp_table_close(c->t);
  c->t = NULL;
  LP_TRY(lp_table_open(c->db, s->table, LP_VERSION_LATEST, &c->t, err));
  c->t_seq = seq;
  c->t_ms = now_ms();
  *out = c->t;
  return LP_OK;
}

static bool is_broken_status(lp_status rc) { return rc == LP_EIO || rc == LP_ECORRUPT; }

/* Acquire a connection into `lease` (declared by the caller with LP_POOL_SCOPED_ACQUIRE) and explain a
 * timeout. */
#define STORE_ACQUIRE(lease, s, err)                                                                      \
  LP_POOL_SCOPED_ACQUIRE(lease, (s)->pool, err);                                                          \
  if (lease.status != LP_OK) {                                                                            \
    if (lease.status == LP_ETIMEOUT)                                                                      \
      lp_error_wrap(err, "store %s: all %d connections stayed busy past the acquire timeout (%lld ms)",   \
                    (s)->table, (s)->cfg.pool.max_connections, (long long)(s)->cfg.pool.acquire_timeout_ms); \
    return lease.status;                                                                                  \
  }

static lp_status open_or_create(lp_store *s, lp_error *err) {
  STORE_ACQUIRE(lease, s, err);
  store_conn *c = lease.conn;
  lp_table *t = NULL;
  lp_status rc = conn_table(s, c, &t, err);
  if (rc == LP_ENOTFOUND && s->cfg.create_if_missing) {
    rc = lp__store_conn_create(c->db, s->table, s->cfg.dim, err);
    if (rc == LP_EEXIST) rc = LP_OK; /* another process created it first */
    if (rc == LP_OK) rc = conn_table(s, c, &t, err);
  }
  if (rc == LP_OK) rc = lp__store_layout_resolve(t, s->cfg.dim, &s->cfg.columns, &s->lay, err);
  if (rc == LP_OK) rc = lp__store_index_create(s->lay->role[LP__COL_ID], &s->idx, err);
  lease.is_broken = is_broken_status(rc);
  return rc;
}

static lp_status pool_maintain(void *ctx, lp_pool *pool, lp_error *err);

lp_status lp_store_open(const char *dir, const char *table, const lp_store_config *cfg, lp_store **out,
                        lp_error *err) {
  if (dir == NULL || table == NULL || cfg == NULL || out == NULL)
    return lp_error_set(err, LP_EINVAL, "store open: dir, table, cfg and out are required");
  if (cfg->dim == 0 || cfg->dim > LP_STORE_MAX_DIM)
    return lp_error_set(err, LP_EINVAL, "store open: dimension %u is not in 1..%u", cfg->dim, LP_STORE_MAX_DIM);
  if (table[0] == '\0' || strchr(table, '/') != NULL)
    return lp_error_set(err, LP_EINVAL, "store open: table name '%s' is empty or has a '/'", table);
  if (!(cfg->compact_deleted_ratio >= 0) || cfg->compact_deleted_ratio > 1)
    return lp_error_set(err, LP_EINVAL, "store open: compact_deleted_ratio %g is not in 0..1",
                        cfg->compact_deleted_ratio);
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
  s->cfg.pool.name = NULL; /* the pool copies its name; ours would dangle */
  atomic_store(&s->maint_seq, UINT64_MAX);
  lp_write_options_init(&s->wopts);
  s->wopts.durable = cfg->durable;
  pthread_mutex_init(&s->wmu, NULL);
  pthread_cond_init(&s->wdone, NULL);
  pthread_mutex_init(&s->maint_run, NULL);
  lp_status rc = copy_storage_options(s, cfg, err);
  bool in_store = strncmp(dir, "s3://", 5) == 0; /* a bucket has no folders to make */
  if (rc == LP_OK && cfg->create_if_missing && !in_store) rc = lp__mkdir_p(dir, err);
  lp_session_config sc;
  lp_session_config_init(&sc);
  if (cfg->cache_bytes > 0) sc.vector_cache_bytes = cfg->cache_bytes;
  if (rc == LP_OK) rc = lp_session_create(&sc, &s->session, err);
  lp_pool_config pc = cfg->pool;
  pc.validate_on_acquire = pc.validate_on_acquire || cfg->conn_check != NULL;
  lp_pool_factory f = {.create = conn_create,
                       .destroy = conn_destroy,
                       .validate = conn_validate,
                       .maintain = pool_maintain,
                       .ctx = s};
  if (rc == LP_OK) rc = lp_pool_create(&pc, &f, &s->pool, err);
  if (rc == LP_OK) rc = open_or_create(s, err);
  if (rc == LP_OK) atomic_store(&s->is_open, true);
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
  if (s->pool != NULL) {
    lp_error e;
    if (lp_pool_close(s->pool, -1, &e) != LP_OK) fprintf(stderr, "lancepool store: %s\n", e.message);
    lp_pool_destroy(s->pool);
  }
  lp_db_close(s->maint_db);
  lp_session_unref(s->session);
  lp__store_index_destroy(s->idx);
  lp__store_layout_free(s->lay);
  pthread_mutex_destroy(&s->wmu);
  pthread_cond_destroy(&s->wdone);
  pthread_mutex_destroy(&s->maint_run);
  free(s->dir);
  free(s->table);
  free_storage_options(s);
  free(s);
}

lp_pool *lp_store_pool(lp_store *s) { return s ? s->pool : NULL; }

/* ---- group commit ---------------------------------------------------------------------------------- */

/* Commit one request on its own. */
static lp_status commit_one(lp_store *s, store_conn *c, wreq *r) {
  switch (r->kind) {
  case W_ADD:
    return lp__store_conn_add(c->db, s->table, s->lay, r->recs, r->n, &s->wopts, s->idx, &r->err);
  case W_UPSERT:
    return lp__store_conn_upsert(c->db, s->table, s->lay, r->recs, r->n, &s->wopts, &r->err);
  case W_DELETE: {
    bool *found = malloc(r->n * sizeof *found);
    if (found == NULL) return lp_error_set(&r->err, LP_ENOMEM, "store delete: out of memory");
    lp_status rc = lp__store_conn_delete_located(c->db, s->table, s->lay->role[LP__COL_ID], s->idx, r->ids, r->n,
                                                 &s->wopts, found, &r->deleted, &r->err);
    free(found);
    return rc;
  }
  default:
    return lp__store_db_delete(c->db, s->table, r->predicate, &s->wopts, &r->deleted, &r->err);
  }
}

/* One commit for a group of same-kind add/upsert/delete-by-id requests: their records (or ids)
 * concatenated. Any failure leaves nothing committed; the caller then retries them one by one. */
static lp_status commit_group(lp_store *s, store_conn *c, wreq **g, size_t n, lp_error *err) {
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
    uint64_t deleted = 0, expected = 0;
    if (rc == LP_OK)
      rc = lp__store_conn_delete_located(c->db, s->table, s->lay->role[LP__COL_ID], s->idx, ids, total, &s->wopts,
                                         found, &deleted, err);
    /* Each row counts for the first request that named it. */
    k = 0;
    for (size_t i = 0; rc == LP_OK && i < n; i++)
      for (size_t j = 0; j < g[i]->n; j++, k++) {
        if (!found[k]) continue;
        bool first = true;
        for (size_t q = 0; q < k && first; q++)
          if (strcmp(ids[q], ids[k]) == 0) first = false;
        if (first) {
          g[i]->deleted++;
          expected++;
        }
      }
    (void)expected; /* another process may have deleted some rows in between: the engine's count wins */
    free(ids);
    free(found);
    return rc;
  }
  lp_store_record *recs = malloc((total ? total : 1) * sizeof *recs);
  if (recs == NULL) return lp_error_set(err, LP_ENOMEM, "store: out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < g[i]->n; j++) recs[k++] = g[i]->recs[j];
  rc = lp__store_validate(recs, total, s->lay, err); /* two requests naming one id: one by one */
  if (rc == LP_OK)
    rc = g[0]->kind == W_ADD ? lp__store_conn_add(c->db, s->table, s->lay, recs, total, &s->wopts, s->idx, err)
                             : lp__store_conn_upsert(c->db, s->table, s->lay, recs, total, &s->wopts, err);
  free(recs);
  return rc;
}

static void committed(lp_store *s, uint64_t *commits) {
  (*commits)++;
  atomic_fetch_add(&s->commit_seq, 1);
}

/* Commit a detached list of requests in order, grouping runs of one groupable kind. Sets rc/err on each. */
static void commit_list(lp_store *s, wreq *list, uint64_t *commits) {
  lp_error aerr;
  LP_POOL_SCOPED_ACQUIRE(lease, s->pool, &aerr);
  store_conn *c = lease.conn;
  while (list != NULL) {
    wreq *g[MAX_GROUP];
    size_t n = 0;
    bool groupable = list->kind == W_ADD || list->kind == W_UPSERT || list->kind == W_DELETE;
    while (list != NULL && n < MAX_GROUP && (n == 0 || (groupable && list->kind == g[0]->kind))) {
      g[n++] = list;
      list = list->next;
    }
    if (lease.status != LP_OK) {
      for (size_t i = 0; i < n; i++) {
        g[i]->rc = lease.status;
        g[i]->err = aerr;
        lp_error_wrap(&g[i]->err, "store %s: cannot get a connection to commit", s->table);
      }
      continue;
    }
    lp_error gerr;
    lp_status rc = n > 1 ? commit_group(s, c, g, n, &gerr) : LP_EINVAL;
    if (n > 1 && rc == LP_OK) {
      committed(s, commits);
      for (size_t i = 0; i < n; i++) g[i]->rc = LP_OK;
      continue;
    }
    if (is_broken_status(rc)) lease.is_broken = true;
    for (size_t i = 0; i < n; i++) { /* one by one: each caller gets its own outcome */
      g[i]->deleted = 0;
      g[i]->rc = commit_one(s, c, g[i]);
      if (g[i]->rc == LP_OK && (g[i]->kind != W_DELETE_WHERE || g[i]->deleted > 0)) committed(s, commits);
      if (is_broken_status(g[i]->rc)) lease.is_broken = true;
    }
  }
}

static lp_status submit(lp_store *s, wreq *r, lp_error *err) {
  pthread_mutex_lock(&s->wmu);
  if (s->tail) s->tail->next = r;
  else s->head = r;
  s->tail = r;
  while (!r->done && s->has_leader) pthread_cond_wait(&s->wdone, &s->wmu);
  if (!r->done) { /* lead: perhaps wait for company, then take the whole queue */
    s->has_leader = true;
    bool wait = s->cfg.group_commit_window_us > 0 && s->head == r && r->next == NULL && s->last_group > 1;
    pthread_mutex_unlock(&s->wmu);
    if (wait) {
      struct timespec ts = {(time_t)(s->cfg.group_commit_window_us / 1000000u),
                            (long)(s->cfg.group_commit_window_us % 1000000u) * 1000L};
      nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&s->wmu);
    wreq *list = s->head;
    s->head = s->tail = NULL;
    s->writing_since = time(NULL);
    pthread_mutex_unlock(&s->wmu);
    uint64_t commits = 0, writes = 0;
    commit_list(s, list, &commits);
    pthread_mutex_lock(&s->wmu);
    size_t group = 0;
    for (wreq *q = list; q != NULL; q = q->next) {
      q->done = true;
      writes += q->rc == LP_OK;
      group++;
    }
    s->last_group = group;
    s->commits += commits;
    s->writes += writes;
    s->writing_since = 0;
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
  LP_TRY(lp__store_validate(recs, n, s->lay, err));
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
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store delete: NULL store");
  if (n_ids > 0 && ids == NULL) return lp_error_set(err, LP_EINVAL, "store delete: ids is NULL");
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
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store delete: NULL store");
  if (predicate == NULL || predicate[0] == '\0')
    return lp_error_set(err, LP_EINVAL, "store delete: the predicate is empty (use \"true\" to delete everything)");
  wreq r = {.kind = W_DELETE_WHERE, .predicate = predicate, .n = 1};
  lp_status rc = submit(s, &r, err);
  if (rc == LP_OK && out_deleted) *out_deleted = r.deleted;
  return rc;
}

lp_status lp_store_delete_path(lp_store *s, const char *path, uint64_t *out_deleted, lp_error *err) {
  if (out_deleted) *out_deleted = 0;
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store delete: NULL store");
  if (path == NULL) return lp_error_set(err, LP_EINVAL, "store delete: path is NULL");
  if (s->lay->role[LP__COL_PATH] == NULL)
    return lp_error_set(err, LP_EINVAL, "store delete: table %s has no path column", s->table);
  const char *one[1] = {path};
  char *pred = lp__store_ids_predicate(s->lay->role[LP__COL_PATH], one, 1); /* "`path` IN ('...')" */
  if (pred == NULL) return lp_error_set(err, LP_ENOMEM, "store delete: out of memory");
  lp_status rc = lp_store_delete_where(s, pred, out_deleted, err);
  free(pred);
  return rc;
}

lp_status lp_store_get_columns(lp_store *s, const char *const *ids, size_t n_ids, const char *const *columns,
                               size_t n_columns, lp_store_rows *out, lp_error *err) {
  if (out == NULL) return lp_error_set(err, LP_EINVAL, "store get: out is NULL");
  memset(out, 0, sizeof *out);
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store get: NULL store");
  out->dim = s->cfg.dim;
  STORE_ACQUIRE(lease, s, err);
  lp_table *t = NULL;
  lp_status rc = conn_table(s, lease.conn, &t, err);
  if (rc == LP_OK) rc = lp__store_table_get(t, s->lay, s->idx, ids, n_ids, columns, n_columns, out, err);
  lease.is_broken = is_broken_status(rc);
  return rc;
}

lp_status lp_store_get(lp_store *s, const char *const *ids, size_t n_ids, lp_store_rows *out, lp_error *err) {
  return lp_store_get_columns(s, ids, n_ids, NULL, 0, out, err);
}

lp_status lp_store_query_run(lp_store *s, const lp_store_query *q, lp_store_rows *out, lp_error *err) {
  if (out == NULL) return lp_error_set(err, LP_EINVAL, "store search: out is NULL");
  memset(out, 0, sizeof *out);
  if (s == NULL || q == NULL) return lp_error_set(err, LP_EINVAL, "store search: NULL store or query");
  STORE_ACQUIRE(lease, s, err);
  lp_table *t = NULL;
  lp_status rc = conn_table(s, lease.conn, &t, err);
  if (rc == LP_OK) rc = lp__store_table_query(t, s->lay, q, out, err);
  lease.is_broken = is_broken_status(rc);
  return rc;
}

lp_status lp_store_search(lp_store *s, const float *query, uint32_t dim, size_t k, const char *predicate,
                          lp_metric metric, lp_store_rows *out, lp_error *err) {
  lp_store_query q;
  lp__store_vector_query(&q, query, dim, k, predicate, metric);
  return lp_store_query_run(s, &q, out, err);
}

lp_status lp_store_paths(lp_store *s, char ***out_paths, size_t *out_n, lp_error *err) {
  if (out_paths == NULL || out_n == NULL) return lp_error_set(err, LP_EINVAL, "store paths: NULL output");
  *out_paths = NULL;
  *out_n = 0;
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store paths: NULL store");
  STORE_ACQUIRE(lease, s, err);
  lp_table *t = NULL;
  lp_status rc = conn_table(s, lease.conn, &t, err);
  if (rc == LP_OK) rc = lp__store_table_paths(t, s->lay, out_paths, out_n, err);
  lease.is_broken = is_broken_status(rc);
  return rc;
}

lp_status lp_store_count(lp_store *s, uint64_t *out, lp_error *err) {
  if (s == NULL || out == NULL) return lp_error_set(err, LP_EINVAL, "store count: NULL argument");
  STORE_ACQUIRE(lease, s, err);
  lp_table *t = NULL;
  lp_status rc = conn_table(s, lease.conn, &t, err);
  if (rc == LP_OK) rc = lp_table_count_rows(t, out, err);
  lease.is_broken = is_broken_status(rc);
  return rc;
}

/* ---- maintenance ----------------------------------------------------------------------------------- *
 * Maintenance runs beside the write queue, not through it: a compaction is an ordinary Rewrite commit,
 * which the engine rebases over the store's concurrent appends (and they over it); when a concurrent
 * delete touched the fragments being rewritten the engine reports a conflict and the compaction is
 * redone from the new version. Cleanup keeps every file younger than the oldest write of this store
 * still in progress. Passes are serialized by maint_run. */

static void count_maintenance(lp_store *s, uint64_t compactions, uint64_t cleanups, uint64_t errors) {
  pthread_mutex_lock(&s->wmu);
  s->compactions += compactions;
  s->cleanups += cleanups;
  s->maint_errors += errors;
  pthread_mutex_unlock(&s->wmu);
}

/* The maintenance connection: the store's own lp_db on the shared session, outside the pool, so a long
 * compaction never holds a connection that writers and readers wait for (caller holds maint_run). */
static lp_status maint_db(lp_store *s, lp_db **out, lp_error *err) {
  if (s->maint_db == NULL) LP_TRY(store_db_open(s, &s->maint_db, err));
  *out = s->maint_db;
  return LP_OK;
}

/* After an I/O error or corruption: open a fresh maintenance connection next time. */
static void maint_db_settle(lp_store *s, lp_status rc) {
  if (!is_broken_status(rc)) return;
  lp_db_close(s->maint_db);
  s->maint_db = NULL;
}

/* Compact (caller holds maint_run). *out_rewritten = fragments replaced. */
static lp_status compact_on(lp_store *s, lp_db *db, uint64_t *out_rewritten, lp_error *err) {
  lp_write_options o = s->wopts;
  if (s->cfg.compact_target_rows > 0) o.max_rows_per_file = s->cfg.compact_target_rows;
  lp_status rc = LP_ECONFLICT;
  for (int i = 0; i < COMPACT_ATTEMPTS && rc == LP_ECONFLICT; i++) {
    uint64_t v = 0;
    *out_rewritten = 0;
    rc = lp_db_compact(db, s->table, &o, &v, out_rewritten, err);
  }
  if (rc == LP_OK && *out_rewritten > 0) atomic_fetch_add(&s->commit_seq, 1);
  return rc;
}

/* Remove old versions and unused files, sparing the files of this store's writes in progress. */
static lp_status cleanup_on(lp_store *s, lp_db *db, lp_error *err) {
  pthread_mutex_lock(&s->wmu);
  time_t since = s->writing_since;
  pthread_mutex_unlock(&s->wmu);
  time_t spare_from = (since ? since : time(NULL)) - ORPHAN_SLACK_S;
  uint64_t nv = 0, nf = 0, secs = (s->cfg.retention_ms + 999) / 1000;
  lp_status rc = lp__db_cleanup(db, s->table, secs, spare_from, &nv, &nf, err);
  if (rc == LP_OK && nv + nf > 0) count_maintenance(s, 0, 1, 0);
  return rc;
}

/* Does the table need compacting (many fragments, or many deleted rows)? */
static lp_status needs_compaction(lp_store *s, lp_db *db, bool *out, lp_error *err) {
  *out = false;
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, s->table, LP_VERSION_LATEST, &t, err));
  uint64_t physical = 0, deleted = 0;
  for (size_t i = 0; i < t->m->n_fragments; i++) {
    physical += t->m->fragments[i].physical_rows;
    deleted += t->m->fragments[i].num_deleted_rows;
  }
  *out = (s->cfg.compact_min_fragments > 0 && t->m->n_fragments >= s->cfg.compact_min_fragments) ||
         (physical > 0 && s->cfg.compact_deleted_ratio > 0 &&
          (double)deleted >= s->cfg.compact_deleted_ratio * (double)physical);
  lp_table_close(t);
  return LP_OK;
}

/* How often the pool's cleanup task cleans up versions: a quarter of the retention (so a version outlives
 * it by at most that), between 1 s and 60 s. Cleanup reads the manifests of every kept version; doing it
 * every pass (1 s) while writers commit hundreds of versions a second cost a fifth of a core. */
static int64_t cleanup_period_ms(const lp_store *s) {
  int64_t p = (int64_t)(s->cfg.retention_ms / 4);
  return p < 1000 ? 1000 : p > 60000 ? 60000 : p;
}

/* One maintenance pass: compact when forced or when the thresholds are crossed, then clean up: a pass on
 * demand unless nothing was committed or compacted since the last pass; a scheduled pass (the pool's
 * cleanup task) once every cleanup period, commits or not, so versions that have aged past the retention
 * go even when nobody writes. Counted in the stats. */
static lp_status maintain_pass(lp_store *s, bool force_compact, bool scheduled, uint64_t *out_rewritten,
                               lp_error *err) {
  *out_rewritten = 0;
  pthread_mutex_lock(&s->maint_run);
  uint64_t seq = atomic_load(&s->commit_seq);
  lp_db *db = NULL;
  bool compact = force_compact;
  lp_status rc = maint_db(s, &db, err);
  if (rc == LP_OK && !compact) rc = needs_compaction(s, db, &compact, err);
  bool idle = scheduled ? s->cleaned_ms != 0 && now_ms() - s->cleaned_ms < cleanup_period_ms(s)
                         : !compact && seq == atomic_load(&s->maint_seq);
  if (rc == LP_OK && !idle) s->cleaned_ms = now_ms();
  if (rc == LP_OK && compact) rc = compact_on(s, db, out_rewritten, err);
  /* A pass that kept losing to concurrent deletes compacts next time; only an explicit compaction fails. */
  if (rc == LP_ECONFLICT && !force_compact) rc = LP_OK;
  if (rc == LP_OK && !idle) rc = cleanup_on(s, db, err);
  if (rc == LP_OK) atomic_store(&s->maint_seq, seq);
  maint_db_settle(s, rc);
  pthread_mutex_unlock(&s->maint_run);
  count_maintenance(s, rc == LP_OK && *out_rewritten > 0, 0, rc != LP_OK);
  return rc;
}

lp_status lp_store_compact(lp_store *s, uint64_t *out_rewritten, lp_error *err) {
  if (out_rewritten) *out_rewritten = 0;
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store compact: NULL store");
  uint64_t rewritten = 0;
  lp_status rc = maintain_pass(s, true, false, &rewritten, err);
  if (out_rewritten) *out_rewritten = rewritten;
  return rc;
}

lp_status lp_store_maintain(lp_store *s, bool *out_compacted, lp_error *err) {
  if (out_compacted) *out_compacted = false;
  if (s == NULL) return lp_error_set(err, LP_EINVAL, "store maintain: NULL store");
  uint64_t rewritten = 0;
  lp_status rc = maintain_pass(s, false, false, &rewritten, err);
  if (out_compacted) *out_compacted = rc == LP_OK && rewritten > 0;
  return rc;
}

/* The pool's maintenance task (lp_pool_factory.maintain): every cleanup pass of the store's pool, on the
 * pool's cleanup thread, runs one maintenance pass. It uses the store's maintenance connection rather than
 * a pooled one, so a long compaction never holds a connection that callers wait for. A failure is counted
 * in both the store's and the pool's statistics; the next pass tries again. */
static lp_status pool_maintain(void *ctx, lp_pool *pool, lp_error *err) {
  (void)pool;
  lp_store *s = ctx;
  if (!atomic_load(&s->is_open)) return LP_OK; /* the table may not exist yet */
  uint64_t rewritten = 0;
  return maintain_pass(s, false, true, &rewritten, err);
}

void lp_store_stats_get(lp_store *s, lp_store_stats *out) {
  memset(out, 0, sizeof *out);
  if (s == NULL) return;
  lp_pool_stats_get(s->pool, &out->pool);
  pthread_mutex_lock(&s->wmu);
  out->commits = s->commits;
  out->writes = s->writes;
  out->compactions = s->compactions;
  out->cleanups = s->cleanups;
  out->maintenance_errors = s->maint_errors;
  pthread_mutex_unlock(&s->wmu);
}
