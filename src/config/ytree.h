/* A small YAML document tree built from libyaml events, with the origin
 * (file or --set argument), line and column of every node, so the config
 * parser can name the place of every problem.
 *
 * Deliberately limited, because config files are small and hand-written:
 * anchors, aliases and merge keys are rejected (no "billion laughs"
 * expansion is possible), as are tags other than !!str, duplicate keys,
 * non-scalar keys, nesting deeper than YTREE_MAX_DEPTH, more than
 * YTREE_MAX_NODES nodes, more than one document, and files larger than
 * YTREE_MAX_BYTES. */
#ifndef MLPS_YTREE_H
#define MLPS_YTREE_H

#include <stddef.h>

#define YTREE_MAX_BYTES (1u << 20) /* 1 MiB: a sweep config is a few KiB */
#define YTREE_MAX_NODES 100000
#define YTREE_MAX_DEPTH 64

typedef enum { YT_SCALAR, YT_SEQ, YT_MAP } ytree_kind;

typedef struct ynode {
  ytree_kind kind;
  const char *origin;   /* file name or "--set k=v"; owned by the ytree_doc */
  int line, col;        /* 1-based; 0 for nodes that came from --set */
  char *str;            /* scalar text (NUL-terminated) */
  int quoted;           /* scalar was quoted or tagged !!str: always a string */
  int n, cap;           /* number of items (seq) or key/value pairs (map) */
  struct ynode **items; /* seq items, or map values */
  struct ynode **keys;  /* map keys (scalars) */
} ynode;

/* Origins are interned strings kept for the life of the document. */
typedef struct {
  ynode *root;
  int n_origins;
  char **origins;
} ytree_doc;

/* One problem found while building or changing a tree. */
typedef void (*ytree_error_fn)(void *ctx, const char *origin, int line, int col, const char *path,
                               const char *msg);

/* Parses text (len bytes) into doc. origin names the source in messages.
 * Returns 0, or the number of problems reported through err. After a fatal
 * problem (syntax error, a limit) root is NULL; after the others (anchors,
 * duplicate keys, tags) the tree is still built, so the caller can go on
 * checking it. An empty document gives a root of NULL and no error. */
int ytree_parse(ytree_doc *doc, const char *text, size_t len, const char *origin,
                ytree_error_fn err, void *ctx);
/* Reads and parses a file (size limit enforced before reading). */
int ytree_parse_file(ytree_doc *doc, const char *path, ytree_error_fn err, void *ctx);

/* Applies an override "key.path=value": value is parsed as YAML (so lists
 * and flow maps work) and replaces or adds the node at key.path, creating
 * intermediate mappings. Integer segments index sequences. Returns 0 or the
 * number of problems reported (with origin "--set ARG"). */
int ytree_set(ytree_doc *doc, const char *arg, ytree_error_fn err, void *ctx);

void ytree_free(ytree_doc *doc);

/* Map lookup: index of key, or -1. */
int ytree_map_find(const ynode *map, const char *key);
ynode *ytree_map_get(const ynode *map, const char *key);
/* Creates a node (used by overrides and tests). */
ynode *ytree_new(ytree_kind kind, const char *origin, int line, int col);
void ytree_node_free(ynode *n);

/* Compares two trees and calls out(path) for every differing leaf path
 * ("search.trials", "parameters.lr.max", "data" when one side lacks it).
 * Returns the number of differences. */
int ytree_diff(const ynode *a, const ynode *b, void (*out)(void *ctx, const char *path), void *ctx);

#endif
