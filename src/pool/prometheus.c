/* Statistics in the Prometheus text exposition format (0.0.4). */
#include <stdio.h>
#include <stdlib.h>

#include "pool/pool_int.h"

typedef struct {
  const char *name; /* without the lancepool_ prefix */
  const char *type; /* counter or gauge */
  const char *help;
  uint64_t value;
} metric;

/* Write a label value with \\, \" and \n escaped. */
static void put_label(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    if (*s == '\\' || *s == '"') {
      fputc('\\', out);
      fputc(*s, out);
    } else if (*s == '\n') {
      fputs("\\n", out);
    } else {
      fputc(*s, out);
    }
  }
}

static void put_metric(FILE *out, const char *pool_name, const metric *m) {
  fprintf(out, "# HELP lancepool_%s %s\n# TYPE lancepool_%s %s\nlancepool_%s{pool=\"", m->name, m->help,
          m->name, m->type, m->name);
  put_label(out, pool_name);
  fprintf(out, "\"} %llu\n", (unsigned long long)m->value);
}

static void put_sample(FILE *out, const char *pool_name, const char *suffix, const char *quantile,
                       double value) {
  fprintf(out, "lancepool_wait_seconds%s{pool=\"", suffix);
  put_label(out, pool_name);
  if (quantile != NULL) fprintf(out, "\",quantile=\"%s", quantile);
  fprintf(out, "\"} %.9g\n", value);
}

/* The wait times as a summary: p50 and p99 quantiles, sum and count; the max as a gauge. */
static void put_waits(FILE *out, const char *pool_name, const lp_pool_stats *s) {
  const double ns = 1e-9;
  fputs(
      "# HELP lancepool_wait_seconds Time acquires spent waiting for a connection.\n"
      "# TYPE lancepool_wait_seconds summary\n",
      out);
  put_sample(out, pool_name, "", "0.5", (double)s->wait_p50_ns * ns);
  put_sample(out, pool_name, "", "0.99", (double)s->wait_p99_ns * ns);
  put_sample(out, pool_name, "_sum", NULL, (double)s->wait_time_total_ns * ns);
  put_sample(out, pool_name, "_count", NULL, (double)s->wait_count);
  fputs(
      "# HELP lancepool_wait_seconds_max Longest wait for a connection.\n"
      "# TYPE lancepool_wait_seconds_max gauge\n",
      out);
  put_sample(out, pool_name, "_max", NULL, (double)s->wait_max_ns * ns);
}

lp_status lp_pool_stats_prometheus(const lp_pool_stats *s, const char *pool_name, char **out_text,
                                   lp_error *err) {
  if (s == NULL || pool_name == NULL || out_text == NULL) {
    return lp_error_set(err, LP_EINVAL, "lp_pool_stats_prometheus: arguments must not be NULL");
  }
  *out_text = NULL;
  const metric metrics[] = {
      {"connections_created_total", "counter", "Connections opened by the factory.", s->connections_created},
      {"connections_reused_total", "counter", "Acquires that got an existing connection.",
       s->connections_reused},
      {"connections_expired_total", "counter", "Connections closed for max age or max idle time.",
       s->connections_expired},
      {"connections_destroyed_total", "counter", "Connections destroyed, for any reason.", s->destroyed},
      {"pool_hits_total", "counter", "Acquires served at once by an idle connection.", s->pool_hits},
      {"pool_misses_total", "counter", "Acquires that had to create or wait.", s->pool_misses},
      {"waits_total", "counter", "Acquires that waited.", s->wait_count},
      {"timeouts_total", "counter", "Acquires that timed out.", s->timeouts},
      {"validation_failures_total", "counter", "Connections that failed validation.", s->validation_failures},
      {"create_failures_total", "counter", "Factory creates that failed.", s->create_failures},
      {"leaks_detected_total", "counter", "Acquisitions held past the leak threshold.", s->leaks_detected},
      {"maintenance_runs_total", "counter", "Calls of the resource's maintenance task.", s->maintenance_runs},
      {"maintenance_failures_total", "counter", "Maintenance calls that failed.", s->maintenance_failures},
      {"current_size", "gauge", "Open connections.", s->current_size},
      {"available_connections", "gauge", "Idle connections.", s->available_connections},
      {"in_use", "gauge", "Connections held by callers.", s->in_use},
      {"waiters", "gauge", "Callers waiting for a connection.", s->waiters},
  };
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  if (out == NULL) return lp_error_set(err, LP_ENOMEM, "lp_pool_stats_prometheus: out of memory");
  for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) put_metric(out, pool_name, &metrics[i]);
  put_waits(out, pool_name, s);
  bool is_ok = !ferror(out);
  if (fclose(out) != 0 || !is_ok) {
    free(text);
    return lp_error_set(err, LP_ENOMEM, "lp_pool_stats_prometheus: out of memory");
  }
  *out_text = text;
  return LP_OK;
}
