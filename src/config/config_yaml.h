/* Typed access to the YAML tree (ytree.h) for the config parser, and the
 * list of problems it collects: every getter checks type and range and
 * reports "FILE:LINE:COLUMN: key.path: what is wrong; what to do" into the
 * list instead of stopping, so one run shows every problem. Internal to
 * config/. */
#ifndef MLPS_CONFIG_YAML_H
#define MLPS_CONFIG_YAML_H

#include <stddef.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "config/ytree.h"
#include "util/err.h"

typedef struct cfg_problem cfg_problem;

/* One load: the tree and the problems found so far. Zero it to start. */
typedef struct {
  ytree_doc doc;
  const char *origin; /* the file (or text origin) */
  cfg_problem *probs;
  int n, cap;
} cfg_ctx;

/* ytree's error callback (ctx is a cfg_ctx). */
void cfg_tree_err(void *ctx, const char *origin, int line, int col, const char *path,
                  const char *msg);
/* Records a problem at node at (NULL: the document root, or the origin
 * without a position when there is no tree). */
void cfg_perr(cfg_ctx *c, const ynode *at, const char *path, const char *fmt, ...)
    MLPS_PRINTF(4, 5);
/* Sorts the problems by place into errs (which may be NULL) and frees c.
 * Returns MLPS_OK when there were none, else MLPS_EINPUT. */
int cfg_ctx_finish(cfg_ctx *c, cfg_errors *errs);

/* A null scalar (~, null, empty) or absent node. */
int cfg_node_is_null(const ynode *n);
/* "a list", "a mapping" or "a value", for messages. */
const char *cfg_kind_name(const ynode *n);

/* "path.key" (or "key" at the top). */
void cfg_keypath(char *out, size_t cap, const char *path, const char *key);
/* A section or nested mapping map[key], its key path in sub: NULL when
 * absent or null; reports when it is not a mapping. */
const ynode *cfg_section(cfg_ctx *c, const ynode *map, const char *path, const char *key, char *sub,
                         size_t cap);
/* Reports keys of map not in allowed[0..n), with the closest valid name. */
void cfg_check_keys(cfg_ctx *c, const ynode *map, const char *path, const char *const *allowed,
                    int n);

/* Value of node v at key path kp: 1 and out set when valid, -1 when wrong
 * (reported). lookup (may be NULL) resolves aliases of enum names. */
int cfg_node_int(cfg_ctx *c, const ynode *v, const char *kp, cfg_range r, long *out);
int cfg_node_num(cfg_ctx *c, const ynode *v, const char *kp, cfg_range r, double *out);
int cfg_node_bool(cfg_ctx *c, const ynode *v, const char *kp, int *out);
int cfg_node_str(cfg_ctx *c, const ynode *v, const char *kp, char *out, size_t cap,
                 int allow_empty);
int cfg_node_enum(cfg_ctx *c, const ynode *v, const char *kp, const char *what,
                  const char *const *table, int n, int (*lookup)(const char *), int *out);
/* Value of an option described by o, stored into the struct at base. */
int cfg_node_opt(cfg_ctx *c, const cfg_opt *o, const ynode *v, const char *kp, void *base);

/* The same for map[key] under path: 0 when the key is absent (out untouched). */
int cfg_get_int(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
                long *out);
int cfg_get_i(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
              int *out);
int cfg_get_num(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
                double *out);
int cfg_get_bool(cfg_ctx *c, const ynode *map, const char *path, const char *key, int *out);
int cfg_get_str(cfg_ctx *c, const ynode *map, const char *path, const char *key, char *out,
                size_t cap, int allow_empty);
int cfg_get_enum(cfg_ctx *c, const ynode *map, const char *path, const char *key, const char *what,
                 const char *const *table, int n, int *out);
int cfg_get_opt(cfg_ctx *c, const cfg_opt *o, const ynode *map, const char *path, void *base);

#endif
