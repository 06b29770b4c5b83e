/* The schema command's type language: canonical text for an Arrow field type, derived from its C Data
 * Interface format string (see README, "Command line"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_out.h"

#define TYPE_MAX_DEPTH 64

static lp_status emit(FILE *out, const struct ArrowSchema *s, int depth, lp_error *err) {
  static const struct { const char *format, *text; } simple[] = {
      {"n", "null"}, {"b", "bool"}, {"c", "int8"}, {"s", "int16"}, {"i", "int32"}, {"l", "int64"},
      {"C", "uint8"}, {"S", "uint16"}, {"I", "uint32"}, {"L", "uint64"}, {"e", "float16"},
      {"f", "float32"}, {"g", "float64"}, {"u", "utf8"}, {"U", "large_utf8"}, {"z", "binary"},
      {"Z", "large_binary"}, {"tdD", "date32"}, {"tdm", "date64"},
  };
  static const char *units[] = {"s", "ms", "us", "ns"};
  const char *f = s->format ? s->format : "";
  if (depth > TYPE_MAX_DEPTH) return lp_error_set(err, LP_EUNSUPPORTED, "type nested deeper than %d", TYPE_MAX_DEPTH);
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(f, simple[i].format) == 0) {
      fputs(simple[i].text, out);
      return LP_OK;
    }
  if (strncmp(f, "ts", 2) == 0 && f[2] != '\0' && strchr("smun", f[2]) && f[3] == ':') {
    const char *unit = units[strchr("smun", f[2]) - "smun"];
    if (f[4] == '\0') fprintf(out, "timestamp[%s]", unit);
    else fprintf(out, "timestamp[%s, tz=%s]", unit, f + 4);
    return LP_OK;
  }
  bool list = strcmp(f, "+l") == 0, large = strcmp(f, "+L") == 0, fixed = strncmp(f, "+w:", 3) == 0;
  if (list || large || fixed) {
    if (s->n_children != 1 || s->children == NULL || s->children[0] == NULL)
      return lp_error_set(err, LP_ECORRUPT, "list type '%s' needs exactly one child", f);
    fputs(list ? "list<" : large ? "large_list<" : "fixed_size_list<", out);
    LP_TRY(emit(out, s->children[0], depth + 1, err));
    if (fixed) fprintf(out, ", %s", f + 3);
    fputc('>', out);
    return LP_OK;
  }
  if (strcmp(f, "+s") == 0) {
    fputs("struct<", out);
    for (int64_t i = 0; i < s->n_children; i++) {
      if (i > 0) fputs(", ", out);
      fprintf(out, "%s: ", s->children[i]->name ? s->children[i]->name : "");
      LP_TRY(emit(out, s->children[i], depth + 1, err));
    }
    fputc('>', out);
    return LP_OK;
  }
  return lp_error_set(err, LP_EUNSUPPORTED, "no type text for Arrow format '%s'", f);
}

lp_status lp__type_text(const struct ArrowSchema *field, char **out, lp_error *err) {
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  FILE *mem = open_memstream(&text, &len);
  if (mem == NULL) return lp_error_set(err, LP_ENOMEM, "type text: out of memory");
  lp_status rc = emit(mem, field, 0, err);
  if (fclose(mem) != 0 && rc == LP_OK) rc = lp_error_set(err, LP_ENOMEM, "type text: out of memory");
  if (rc != LP_OK) {
    free(text);
    return rc;
  }
  *out = text;
  return LP_OK;
}
