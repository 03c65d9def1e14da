/* Per-column transform kinds and their names (YAML, model files). A column's
 * transform is a chain of these, applied left to right, e.g. [log, standard]. */
#ifndef MLPS_TRANSFORM_TYPES_H
#define MLPS_TRANSFORM_TYPES_H

typedef enum { XF_NONE, XF_STANDARD, XF_MINMAX, XF_LOG, XF_LOG10, XF_COUNT } xf_kind;
extern const char *const XF_NAMES[XF_COUNT];
#define XF_MAX_CHAIN 4

#endif
