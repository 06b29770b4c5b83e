/* The usage line of every sub-command, in one place: each command prints its own on a usage error, and
 * `lancepool help CMD` / `lancepool CMD --help` print it on stdout. */
#ifndef LP_CLI_USAGE_H
#define LP_CLI_USAGE_H

#define VERSION_USAGE "lancepool version | lancepool --version | lancepool -V"
#define ADD_USAGE "lancepool add DB TABLE --jsonl FILE|- [--no-fsync]"
#define ALTER_USAGE "lancepool alter DB TABLE ([--rename OLD=NEW]... [--nullable COL]... [--drop COL]... | [--add 'NAME = EXPR']...) [--no-fsync]"
#define BENCH_USAGE                                                                                        \
  "lancepool bench [--quick (10,000 records, threads 1,8, 0.75 s)] [--records N] [--dim N] [--threads 1,2,8] [--seconds S] [--db DIR] " \
  "[--csv FILE] [--png FILE] [--peer-log FILE] [--no-peers] [--no-durable] [--max-connections N] [--workloads search,get,add1,add100,delete,mixed,fts,hybrid]"
#define CLEANUP_USAGE "lancepool cleanup DB TABLE --older-than SECONDS"
#define COMPACT_USAGE "lancepool compact DB TABLE [--max-rows-per-file N] [--no-fsync]"
#define COUNT_USAGE "lancepool count DB TABLE [--version N|--tag NAME] [--where PRED]"
#define CREATE_INDEX_USAGE                                                                             \
  "lancepool create-index DB TABLE --column COL --type fts [--name NAME] [--replace]"                \
  " [--with-position] [--base-tokenizer simple|whitespace|raw|ngram] [--language L] [--[no-]stem]"   \
  " [--[no-]remove-stop-words] [--[no-]ascii-folding] [--[no-]lower-case] [--max-token-length N]"    \
  " [--min-ngram-length N] [--max-ngram-length N] [--prefix-only]"
#define CREATE_USAGE "lancepool create DB TABLE --schema 'id:int64 not null, v:vector(384), ...' [--jsonl FILE|-] [--overwrite] [--data-storage-version 2.0|2.1|2.2] [--no-fsync]"
#define DELETE_USAGE "lancepool delete DB TABLE --where PREDICATE [--no-fsync]"
#define DROP_USAGE "lancepool drop DB TABLE"
#define DUMP_USAGE "lancepool dump DB TABLE [--version N|--tag NAME] [--columns a,b] [--limit N] [--offset N] [--where PRED] [--with-row-id]"
#define INDICES_USAGE "lancepool indices DB TABLE [--version N|--tag NAME]"
#define MERGE_USAGE                                                                                      \
  "lancepool merge DB TABLE --on KEY[,KEY...] --jsonl FILE|- [--update-all [--update-where PRED]] [--insert-all]" \
  " [--delete-not-matched [--delete-where PRED]] [--no-fsync]"
#define RESTORE_USAGE "lancepool restore DB TABLE --version N|--tag NAME [--no-fsync]"
#define SCHEMA_USAGE "lancepool schema DB TABLE [--version N|--tag NAME]"
#define SEARCH_USAGE                                                                                   \
  "lancepool search DB TABLE --vector '[0.1, 0.2, ...]' [--column C] [--k 10] [--metric l2|cosine|dot]" \
  " [--where PRED] [--postfilter] [--columns a,b] [--version N|--tag NAME] [--nprobes 20] [--refine-factor R]"    \
  " [--bypass-index] [--fast-search] [--with-row-id]"                                                     \
  " [--text 'QUERY' [--text-column C] [--operator or|and] [--phrase] [--fuzziness N|auto]"              \
  " [--rerank rrf|linear] [--alpha A]]"
#define TAG_USAGE "lancepool tag DB TABLE create NAME --version N | tag DB TABLE delete NAME | tag DB TABLE list"
#define TABLES_USAGE "lancepool tables DB"
#define UPDATE_USAGE "lancepool update DB TABLE --set 'col = EXPR, col2 = EXPR' [--where PRED] [--no-fsync]"
#define UPSERT_USAGE "lancepool upsert DB TABLE --on KEY --jsonl FILE|- [--no-fsync]"
#define VERSIONS_USAGE "lancepool versions DB TABLE"

#endif
