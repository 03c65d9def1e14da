/* The config's options described as data, for the keys whose parsing and
 * printing follow from a type and a range alone: the sampler options of
 * `search` (fields of search/sampler.h's sampler_options, whose defaults
 * sampler_options_init sets) and the loop settings of `train`. The parser
 * (config_parse.c, config_space.c), the dump (config_dump.c) and the test
 * of README's config reference all read these tables, so adding such an
 * option is one table row (plus its struct field and default). Internal to
 * config/. */
#ifndef MLPS_CONFIG_SCHEMA_H
#define MLPS_CONFIG_SCHEMA_H

#include <stddef.h>

#define CFG_NK(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Allowed values of a number: [lo, hi], either end open. */
typedef struct {
  double lo, hi;
  int lo_open, hi_open;
} cfg_range;

typedef enum {
  CFG_OPT_INT,  /* int field, integer in range */
  CFG_OPT_NUM,  /* double field, finite number in range */
  CFG_OPT_BOOL, /* int field, 0 or 1 */
  CFG_OPT_ENUM  /* enum field (int-sized), a name of names[] */
} cfg_opt_type;

typedef struct {
  const char *key;
  cfg_opt_type type;
  size_t offset;            /* of the field in its struct */
  cfg_range range;          /* INT, NUM */
  const char *what;         /* ENUM: what a name is, for messages ("loss") */
  const char *const *names; /* ENUM: the name table */
  int n_names;
} cfg_opt;

/* The counts are checked by the compiler: the definitions (config_parse.c)
 * take their size from their rows, which must match these declarations. */
/* search: fields of sampler_options (cfg->search.sampler), in dump order. */
#define CFG_N_SAMPLER_OPTS 11
extern const cfg_opt CFG_SAMPLER_OPTS[CFG_N_SAMPLER_OPTS];
/* train: fields of cfg_train other than schedule, in dump order; also the
 * keys that parameters may fix (`patience: {value: 40}`). */
#define CFG_N_TRAIN_OPTS 6
extern const cfg_opt CFG_TRAIN_OPTS[CFG_N_TRAIN_OPTS];

/* The option's value in the struct at base, as the dump writes it (YAML). */
const char *cfg_opt_text(const cfg_opt *o, const void *base, char *buf, size_t cap);

#endif
