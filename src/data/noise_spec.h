/* What the user declares about the targets' measurement noise (data.noise):
 * a flat spec, for the config and data_spec alike (data.h loads it). */
#ifndef MLPS_DATA_NOISE_SPEC_H
#define MLPS_DATA_NOISE_SPEC_H

/* Measurement noise of the targets (data.noise): the sigma of every target
 * value in data units, for the val_chi2 metric and the chi2 loss.
 *   poisson:  the targets are rates (counts per unit exposure) observed for
 *             `exposure`: counts = y * exposure and sigma = sqrt(max(counts,
 *             min_counts)) / exposure (min_counts keeps an empty bin's sigma
 *             away from 0; default 1 count).
 *   gaussian: sigma from a dataset of the same file, (n_file, m_file) like
 *             the targets (one per value) or (m_file) / (1, m_file) (one per
 *             output); the target column selection applies to it; every
 *             sigma must be finite and > 0. */
typedef enum { NOISE_NONE, NOISE_POISSON, NOISE_GAUSSIAN, NOISE_COUNT } noise_model;
extern const char *const NOISE_MODEL_NAMES[NOISE_COUNT]; /* none poisson gaussian */

typedef struct {
  noise_model model; /* NOISE_NONE: no noise (the default) */
  double exposure;   /* poisson: > 0 */
  double min_counts; /* poisson: > 0, default 1 */
  char sigma[256];   /* gaussian: the dataset */
} noise_spec;

#endif
