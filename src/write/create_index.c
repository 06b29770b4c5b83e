/* lp_db_create_index: build an index and commit it (lance.h). One entry point for every index type; each
 * type has its own builder below. Only the full-text index ("fts") is built so far: lancepool's own
 * format (query/fts_block.h, "Saved blocks"), recorded as a table config entry in an UpdateConfig commit. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/fts_block.h"
#include "table/indices.h"
#include "table/session.h"
#include "table/table.h"
#include "write/write_int.h"

void lp_index_options_init(lp_index_options *o) {
  memset(o, 0, sizeof *o);
  lp__fts_params p;
  lp__fts_params_default(&p);
  o->base_tokenizer = "simple";
  o->language = "English";
  o->with_position = p.with_position;
  o->max_token_length = p.max_token_length;
  o->lower_case = p.lower_case;
  o->stem = p.stem;
  o->remove_stop_words = p.remove_stop_words;
  o->ascii_folding = p.ascii_folding;
  o->min_ngram_length = p.min_ngram_length;
  o->max_ngram_length = p.max_ngram_length;
  o->prefix_only = p.prefix_only;
}

/* Index types LanceDB has that another builder may add here later. */
static const char *const LATER_TYPES[] = {"ivf_pq", "ivf_flat", "ivf_sq", "ivf_hnsw_sq", "btree", "bitmap"};

static lp_status check_type(const char *type, lp_error *err) {
  if (type == NULL) return lp_error_set(err, LP_EINVAL, "create index: no index type given");
  if (strcmp(type, "fts") == 0) return LP_OK;
  for (size_t i = 0; i < sizeof LATER_TYPES / sizeof *LATER_TYPES; i++)
    if (strcmp(type, LATER_TYPES[i]) == 0)
      return lp_error_set(err, LP_EUNSUPPORTED, "create index: index type \"%s\" is not built by lancepool yet (only fts)", type);
  return lp_error_set(err, LP_EINVAL, "create index: unknown index type \"%s\"", type);
}

/* ---- fts ------------------------------------------------------------------------------------------- */

static lp_status fts_params(const lp_index_options *o, lp__fts_params *p, lp_error *err) {
  lp__fts_params_default(p);
  if (o->base_tokenizer) LP_TRY(lp__fts_base_parse(o->base_tokenizer, &p->base, err));
  const char *lang = o->language ? o->language : "English";
  if (lang[0] == '\0' || strlen(lang) >= sizeof p->language)
    return lp_error_set(err, LP_EINVAL, "create index: language \"%s\" is not a language name", lang);
  snprintf(p->language, sizeof p->language, "%s", lang);
  p->with_position = o->with_position;
  p->max_token_length = o->max_token_length;
  p->lower_case = o->lower_case;
  p->stem = o->stem;
  p->remove_stop_words = o->remove_stop_words;
  p->ascii_folding = o->ascii_folding;
  p->min_ngram_length = o->min_ngram_length;
  p->max_ngram_length = o->max_ngram_length;
  p->prefix_only = o->prefix_only;
  lp__fts_tokenizer *tk = NULL; /* checks the language, stemmer, stop words and ngram lengths */
  LP_TRY(lp__fts_tokenizer_new(p, &tk, err));
  lp__fts_tokenizer_free(tk);
  return LP_OK;
}

/* The name must not belong to another index: a LanceDB one, or lancepool's on another column. */
static lp_status check_name_free(const lp_table *t, const lp__index_list *idx, const char *name, int32_t field_id,
                                 lp_error *err) {
  for (size_t i = 0; i < idx->n; i++)
    if (strcmp(idx->v[i].name, name) == 0)
      return lp_error_set(err, LP_EEXIST, "create index: table %s already has an index named \"%s\"", t->name, name);
  for (size_t i = 0; i < t->m->schema.n_fields; i++) {
    const lp__field *f = &t->m->schema.fields[i];
    char other[LP__FTS_NAME_MAX];
    lp__fts_params p;
    bool found = false;
    if (f->id == field_id) continue;
    LP_TRY(lp__fts_own_index(t->m, f->id, other, sizeof other, &p, &found, err));
    if (found && strcmp(other, name) == 0)
      return lp_error_set(err, LP_EEXIST, "create index: table %s already has an index named \"%s\" (on column %s)", t->name, name,
                          f->name);
  }
  return LP_OK;
}

/* The column must be a string column without LanceDB's full-text index, and without lancepool's unless
 * replace. */
static lp_status fts_check_column(const lp_table *t, const lp__index_list *idx, const lp__field *f, bool replace,
                                  lp_error *err) {
  if (f->type != LP__TYPE_UTF8 && f->type != LP__TYPE_LARGE_UTF8)
    return lp_error_set(err, LP_EINVAL, "create index: a full-text index needs a string column (utf8 or large_utf8); column %s is not one",
                        f->name);
  for (size_t i = 0; i < idx->n; i++) {
    const lp__index_meta *m = &idx->v[i];
    size_t n = strlen(m->details_type);
    if (m->n_fields == 1 && m->fields[0] == f->id && n >= 20 && strcmp(m->details_type + n - 20, "InvertedIndexDetails") == 0)
      return lp_error_set(err, LP_EEXIST, "create index: column %s already has LanceDB's full-text index \"%s\"; lancepool uses it",
                          f->name, m->name);
  }
  char old[LP__FTS_NAME_MAX];
  lp__fts_params p;
  bool found = false;
  LP_TRY(lp__fts_own_index(t->m, f->id, old, sizeof old, &p, &found, err));
  if (found && !replace)
    return lp_error_set(err, LP_EEXIST, "create index: column %s already has the full-text index \"%s\" (use replace)", f->name, old);
  return LP_OK;
}

typedef struct config_ctx {
  const char *key, *value;
} config_ctx;

/* Commit table config entry key = value over whatever the latest version holds. */
static lp_status prepare_config(void *vctx, const lp__base *base, lp__plan *plan, lp_error *err) {
  const config_ctx *c = vctx;
  if (base->version == 0) return lp_error_set(err, LP_ENOTFOUND, "the table has no version");
  lp__arena *a = plan->arena;
  Lance__Table__Transaction__UpdateConfig *op = lp__arena_msg(a, &lance__table__transaction__update_config__descriptor);
  Lance__Table__Transaction__UpdateMap *map = lp__arena_msg(a, &lance__table__transaction__update_map__descriptor);
  Lance__Table__Transaction__UpdateMapEntry *e = lp__arena_msg(a, &lance__table__transaction__update_map_entry__descriptor);
  Lance__Table__Transaction__UpdateMapEntry **list = lp__arena_alloc(a, sizeof *list);
  if (op == NULL || map == NULL || e == NULL || list == NULL) return lp_error_set(err, LP_ENOMEM, "create index: out of memory");
  e->key = lp__arena_strdup(a, c->key);
  e->opt_value_case = LANCE__TABLE__TRANSACTION__UPDATE_MAP_ENTRY__OPT_VALUE_VALUE;
  e->value = lp__arena_strdup(a, c->value);
  list[0] = e;
  map->n_update_entries = 1;
  map->update_entries = list;
  op->config_updates = map;
  for (size_t i = 0; i < base->pb->n_fragments; i++) lp__ptrvec_push(a, &plan->fragments, base->pb->fragments[i]);
  bool has_max = false;
  uint64_t max_id = 0;
  (void)lp__next_fragment_id(base, &has_max, &max_id);
  plan->has_max_fragment_id = has_max;
  plan->max_fragment_id = max_id;
  plan->has_deletions = lp__base_has_deletions(base);
  plan->keep_index = true;
  plan->config_key = c->key;
  plan->config_value = c->value;
  plan->op = LP__OP_UPDATE_CONFIG;
  plan->op_msg = &op->base;
  return lp__plan_status(plan, "create index", err);
}

static lp_status create_fts(lp_db *db, lp_table *t, const lp__field *f, const lp_index_options *o, const char *name,
                            const lp_write_options *wo, uint64_t *out_version, lp_error *err) {
  lp__fts_params p;
  LP_TRY(fts_params(o, &p, err));
  char key[64], *value = NULL;
  lp__fts_config_key(f->id, key, sizeof key);
  LP_TRY(lp__fts_config_value(name, &p, &value, err));
  /* the blocks first: a version that names the index finds them saved (a failure leaves only files
     nothing refers to, which the next create-index overwrites) */
  lp_status rc = lp__fts_save_all_blocks(t, f, &p, err);
  if (rc == LP_OK) {
    config_ctx c = {key, value};
    lp__commit_opts co = {wo->durable, false, wo->max_commit_attempts, lp__session_version_hints(db->session), NULL};
    rc = lp__commit(t->dir, &co, prepare_config, &c, out_version, err);
  }
  free(value);
  return rc;
}

/* ---- the entry point ------------------------------------------------------------------------------- */

static lp_status find_field(const lp_table *t, const char *column, const lp__field **out, lp_error *err) {
  for (size_t i = 0; i < t->m->schema.n_fields; i++)
    if (strcmp(t->m->schema.fields[i].name, column) == 0) {
      *out = &t->m->schema.fields[i];
      return LP_OK;
    }
  return lp_error_set(err, LP_EINVAL, "create index: table %s has no column \"%s\"", t->name, column);
}

lp_status lp_db_create_index(lp_db *db, const char *name, const lp_index_options *index, const lp_write_options *opts,
                             char *out_name, size_t out_name_cap, uint64_t *out_version, lp_error *err) {
  if (out_version) *out_version = 0;
  if (out_name && out_name_cap) out_name[0] = '\0';
  if (db == NULL || name == NULL || index == NULL || out_version == NULL)
    return lp_error_set(err, LP_EINVAL, "lp_db_create_index: db, table name, index options and out_version must not be NULL");
  if (index->column == NULL || index->column[0] == '\0') return lp_error_set(err, LP_EINVAL, "create index: no column given");
  LP_TRY(check_type(index->type, err));
  if (lp__db_is_store(db))
    return lp_error_set(err, LP_EUNSUPPORTED, "create index: writing to object storage is not supported yet");
  lp_write_options wo;
  lp__wopts_resolve(opts, &wo);
  char default_name[LP__FTS_NAME_MAX + 8];
  const char *index_name = index->name;
  if (index_name == NULL) {
    int w = snprintf(default_name, sizeof default_name, "%s_idx", index->column);
    if (w < 0 || (size_t)w >= sizeof default_name) return lp_error_set(err, LP_EINVAL, "create index: column name too long");
    index_name = default_name;
  }
  lp_table *t = NULL;
  LP_TRY(lp_table_open(db, name, LP_VERSION_LATEST, &t, err));
  lp__index_list idx = {0};
  const lp__field *f = NULL;
  lp_status rc = find_field(t, index->column, &f, err);
  if (rc == LP_OK && t->m->index_section)
    rc = lp__index_section_decode(t->m->index_section, t->m->index_section_len, t->dir, &idx, err);
  if (rc == LP_OK) rc = fts_check_column(t, &idx, f, index->replace, err);
  if (rc == LP_OK) rc = check_name_free(t, &idx, index_name, f->id, err);
  if (rc == LP_OK) rc = create_fts(db, t, f, index, index_name, &wo, out_version, err);
  if (rc == LP_OK && out_name && out_name_cap) snprintf(out_name, out_name_cap, "%s", index_name);
  lp__index_list_reset(&idx);
  lp_table_close(t);
  if (rc != LP_OK) lp_error_wrap(err, "table %s: ", name);
  return rc;
}
