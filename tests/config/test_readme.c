/* README.md's config reference against the code, so the documentation
 * cannot drift: the `search` table lists exactly method, trials, metric,
 * pruner, early_terminate, max_seconds and the sampler options of CFG_SAMPLER_OPTS, the `train`
 * table exactly CFG_TRAIN_OPTS and schedule, each option with the default the loader resolves (a
 * config with only data.path), and the `layers` row states the limit validation uses
 * (CFG_MAX_LAYERS). Usage: test_readme README.md */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "test_util.h"

#define MAX_ROWS 64

typedef struct {
  char key[64], type[256], def[256];
} row;

/* Copies cell into out without surrounding spaces and backticks. */
static void cell(const char *s, size_t n, char *out, size_t cap) {
  while (n && (*s == ' ' || *s == '`')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '`')) n--;
  snprintf(out, cap, "%.*s", (int)n, s);
}

/* The rows of the first table after the heading line `heading` (key, type
 * and default columns). Returns the number of rows, -1 if the heading is
 * missing. */
static int table_after(const char *text, const char *heading, row *rows) {
  const char *h = strstr(text, heading);
  if (!h) return -1;
  const char *p = strstr(h, "\n|");
  const char *next = strstr(h + 1, "\n#");
  if (!p || (next && p > next)) return 0;
  int n = 0;
  for (p++; *p == '|' && n < MAX_ROWS; p = strchr(p, '\n') + 1) {
    const char *end = strchr(p, '\n');
    if (!end) break;
    const char *c[5];
    int k = 0;
    for (const char *q = p; q < end && k < 5; q++)
      if (*q == '|') c[k++] = q;
    if (k == 5 && p[1] == ' ' && p[2] == '`') { /* a row, not the header or the rule */
      cell(c[0] + 1, (size_t)(c[1] - c[0] - 1), rows[n].key, sizeof rows[n].key);
      cell(c[1] + 1, (size_t)(c[2] - c[1] - 1), rows[n].type, sizeof rows[n].type);
      cell(c[2] + 1, (size_t)(c[3] - c[2] - 1), rows[n].def, sizeof rows[n].def);
      n++;
    }
  }
  return n;
}

static const row *find(const row *rows, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (!strcmp(rows[i].key, key)) return &rows[i];
  return NULL;
}

/* The README's default of option o is the resolved one: the same text, or
 * for numbers the same value (the README writes 0 where the dump writes 0.0). */
static int same_default(const cfg_opt *o, const char *readme, const void *base) {
  char text[64];
  cfg_opt_text(o, base, text, sizeof text);
  if (!strcmp(readme, text)) return 1;
  if (o->type != CFG_OPT_NUM) return 0;
  char *end;
  double v = strtod(readme, &end);
  return end != readme && !*end && v == strtod(text, NULL);
}

/* Every option of opts has a row with its default; every row is an option
 * or one of the others. */
static void check_section(const char *text, const char *heading, const cfg_opt *opts, int n_opts,
                          const void *base, const char *const *others, int n_others) {
  row rows[MAX_ROWS];
  int n = table_after(text, heading, rows);
  CHECK(n > 0);
  if (n <= 0) fprintf(stderr, "README: no table under %s\n", heading);
  for (int i = 0; i < n_opts; i++) {
    const row *r = find(rows, n, opts[i].key);
    char text_def[64];
    cfg_opt_text(&opts[i], base, text_def, sizeof text_def);
    if (!r) {
      fprintf(stderr, "README %s: no row for %s (default %s)\n", heading, opts[i].key, text_def);
      t_failures++;
    } else if (!same_default(&opts[i], r->def, base)) {
      fprintf(stderr, "README %s: %s default '%s', the code resolves %s\n", heading, opts[i].key,
              r->def, text_def);
      t_failures++;
    }
  }
  for (int i = 0; i < n; i++) {
    int known = 0;
    for (int j = 0; j < n_opts; j++) known |= !strcmp(rows[i].key, opts[j].key);
    for (int j = 0; j < n_others; j++) known |= !strcmp(rows[i].key, others[j]);
    if (!known) {
      fprintf(stderr, "README %s: row %s is no key of the config\n", heading, rows[i].key);
      t_failures++;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_readme README.md\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static char text[1 << 20];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';

  mlps_config *cfg = calloc(1, sizeof *cfg);
  cfg_errors e;
  const char *minimal = "data: {path: x.h5}\n";
  CHECK(cfg_load_text(minimal, strlen(minimal), "minimal.yaml", NULL, 0, cfg, &e) == MLPS_OK);
  cfg_errors_free(&e);

  static const char *const search_others[] = {"method", "trials",          "metric",
                                              "pruner", "early_terminate", "max_seconds"};
  check_section(text, "### `search`", CFG_SAMPLER_OPTS, CFG_N_SAMPLER_OPTS, &cfg->search.sampler,
                search_others, 6);
  static const char *const train_others[] = {"schedule"};
  check_section(text, "### `train`", CFG_TRAIN_OPTS, CFG_N_TRAIN_OPTS, &cfg->train, train_others,
                1);

  row rows[MAX_ROWS];
  int n = table_after(text, "### `parameters`", rows);
  const row *layers = find(rows, n, "layers");
  char want[64];
  snprintf(want, sizeof want, "integer 1..%d", CFG_MAX_LAYERS);
  CHECK(layers != NULL);
  if (layers && strcmp(layers->type, want) != 0) {
    fprintf(stderr, "README parameters: layers is '%s', validation allows %s\n", layers->type,
            want);
    t_failures++;
  }
  free(cfg);
  return TEST_RESULT("config_readme");
}
