/* Name table of the transform kinds. */
#include "data/transform_types.h"

const char *const XF_NAMES[XF_COUNT] = {"none", "standard", "minmax", "log", "log10"};
