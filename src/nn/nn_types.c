/* Name tables of the engine's enumerations. */
#include "nn/nn_types.h"

#include <string.h>

#include "util/names.h"

const char *const NN_ACTIVATION_NAMES[ACT_COUNT] = {"relu",  "leaky_relu", "elu",  "selu",  "gelu",
                                                    "swish", "sigmoid",    "tanh", "linear"};
const char *const NN_LOSS_NAMES[LOSS_COUNT] = {"mse", "mae", "chi2"};
const char *const NN_OPTIMIZER_NAMES[OPT_COUNT] = {"sgd", "adam", "adamw", "radam"};
const char *const NN_INIT_NAMES[INIT_COUNT] = {"torch", "he", "glorot"};
const char *const NN_SCHEDULE_NAMES[SCHED_COUNT] = {"constant", "plateau", "cosine", "stages"};

int nn_activation_from_name(const char *name) {
  if (strcmp(name, "silu") == 0) return ACT_SWISH;
  return names_find(NN_ACTIVATION_NAMES, ACT_COUNT, name);
}
