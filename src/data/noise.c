/* The targets' measurement noise (data.noise): poisson from the targets
 * themselves, or a gaussian sigma dataset read and checked beside them. */
#include "data/noise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/agree.h"

const char *const NOISE_MODEL_NAMES[NOISE_COUNT] = {"none", "poisson", "gaussian"};

/* "column j" or "column j (file column c)". */
static const char *col_name(const data_set *ds, size_t j, char *buf, size_t size) {
  if (ds->y_cols && ds->y_cols[j] != (int64_t)j)
    snprintf(buf, size, "column %zu (file column %lld)", j, (long long)ds->y_cols[j]);
  else snprintf(buf, size, "column %zu", j);
  return buf;
}

/* Poisson: rates are counts per exposure, so none may be negative. */
static int check_poisson(const data_set *ds, mlps_err *e) {
  for (size_t i = 0; i < ds->n; i++)
    for (size_t j = 0; j < ds->m; j++)
      if (ds->Y[i * ds->m + j] < 0.0f) {
        char c[64];
        return mlps_errorf(e, MLPS_EINPUT,
                           "%s: dataset '%s': value %g at row %zu, %s is negative, but "
                           "data.noise.model poisson takes the targets as counts per exposure "
                           "(>= 0); fix the row, or declare the noise as gaussian with a sigma "
                           "dataset",
                           ds->path, ds->targets, (double)ds->Y[i * ds->m + j], i,
                           col_name(ds, j, c, sizeof c));
      }
  return MLPS_OK;
}

/* Every sigma finite and > 0: a zero would be an infinite weight. */
static int check_positive(const data_set *ds, const data_noise *nz, mlps_err *e) {
  size_t rows = nz->per_row ? ds->n : 1;
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < ds->m; j++) {
      float v = nz->sigma[i * ds->m + j];
      if (v > 0.0f && isfinite(v)) continue;
      char c[64], r[48] = "";
      if (nz->per_row) snprintf(r, sizeof r, "row %zu, ", i);
      return mlps_errorf(e, MLPS_EINPUT,
                         "%s: dataset '%s' (data.noise.sigma): sigma %g at %s%s; every sigma must "
                         "be finite and > 0 (give values without noise a small positive sigma)",
                         ds->path, nz->dataset, (double)v, r, col_name(ds, j, c, sizeof c));
    }
  return MLPS_OK;
}

/* The shape of the sigma dataset: per_row 1 for (n_file, m_file), 0 for
 * (m_file) or (1, m_file); the per-output values into nz->col_. */
static int sigma_shape(const data_set *ds, data_noise *nz, mlps_err *e) {
  hid_t fid;
  MLPS_TRY(h5_open_read(ds->path, &fid, e));
  hid_t did;
  int rc = h5_open_dataset(fid, ds->path, nz->dataset, &did, e);
  if (rc) return h5_close_file(fid, ds->path, rc, e);
  hid_t sp = H5Dget_space(did);
  int r = H5Sget_simple_extent_ndims(sp);
  hsize_t dims[2] = {0, 0};
  if (r >= 1 && r <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  H5Dclose(did);
  int per_output = (r == 1 && dims[0] == ds->m_file) ||
                   (r == 2 && dims[0] == 1 && dims[1] == ds->m_file && ds->n_file > 1);
  if (r == 2 && dims[0] == ds->n_file && dims[1] == ds->m_file) {
    nz->per_row = 1;
  } else if (per_output) {
    double *a = NULL;
    size_t dd[2];
    int rank;
    rc = h5_read_f64(fid, nz->dataset, &a, dd, &rank, e);
    if (!rc) {
      nz->col_ = malloc(sizeof(float) * (ds->m ? ds->m : 1));
      if (!nz->col_) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
      for (size_t j = 0; !rc && j < ds->m; j++) {
        double v = a[ds->y_cols ? (size_t)ds->y_cols[j] : j];
        nz->col_[j] = fabs(v) > 3.4e38 ? (float)INFINITY : (float)v;
      }
    }
    free(a);
    nz->sigma = nz->col_;
  } else {
    char shape[96] = "?";
    if (r == 1) snprintf(shape, sizeof shape, "(%llu)", (unsigned long long)dims[0]);
    else if (r == 2)
      snprintf(shape, sizeof shape, "(%llu, %llu)", (unsigned long long)dims[0],
               (unsigned long long)dims[1]);
    else snprintf(shape, sizeof shape, "rank %d", r);
    rc = mlps_errorf(e, MLPS_EINPUT,
                     "%s: dataset '%s' (data.noise.sigma) has shape %s; expected (%zu, %zu) like "
                     "targets '%s' (a sigma per value) or (%zu) (a sigma per output)",
                     ds->path, nz->dataset, shape, ds->n_file, ds->m_file, ds->targets, ds->m_file);
  }
  return h5_close_file(fid, ds->path, rc, e);
}

int noise_load(MPI_Comm comm, MPI_Comm node, const data_spec *spec, data_set *ds, mlps_err *e) {
  const noise_spec *ns = &spec->noise;
  ds->noise = NULL;
  if (ns->model == NOISE_NONE) return MLPS_OK;
  data_noise *nz = calloc(1, sizeof *nz);
  if (!nz) return mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
  ds->noise = nz;
  nz->model = ns->model;
  nz->exposure = ns->exposure;
  nz->min_counts = ns->min_counts > 0 ? ns->min_counts : 1.0;
  snprintf(nz->dataset, sizeof nz->dataset, "%s", ns->sigma);
  int rc = MLPS_OK;
  if (ns->model == NOISE_POISSON) {
    if (!(ns->exposure > 0) || !isfinite(ns->exposure))
      rc = mlps_errorf(e, MLPS_EINPUT, "data.noise: poisson needs exposure > 0, got %g",
                       ns->exposure);
    if (!rc) rc = check_poisson(ds, e);
  } else if (!ns->sigma[0]) {
    rc = mlps_errorf(e, MLPS_EINPUT, "data.noise: gaussian needs sigma: DATASET");
  } else {
    /* Every rank reads the shape (and a per-output sigma): cheap, and all
     * must agree before the collective load of a per-row sigma. */
    rc = sigma_shape(ds, nz, e);
    if (comm != MPI_COMM_NULL) rc = mpi_agree(comm, rc, e);
    if (!rc && nz->per_row) {
      data_spec ss = {0};
      ss.path = ds->path;
      ss.inputs = nz->dataset;
      ss.input_columns = spec->target_columns;
      ss.max_rows = spec->max_rows;
      ss.mem_limit = spec->mem_limit;
      ss.inputs_only = 1;
      ss.read_block_bytes = spec->read_block_bytes;
      data_set *sd = calloc(1, sizeof *sd);
      if (!sd) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
      if (comm != MPI_COMM_NULL) rc = mpi_agree(comm, rc, e);
      if (!rc) {
        nz->sig_ = sd;
        rc = comm == MPI_COMM_NULL ? data_load(&ss, sd, e)
                                   : data_load_shared_nodes(comm, node, &ss, sd, e);
        if (!rc) nz->sigma = sd->X;
      } else {
        free(sd);
      }
    }
    if (!rc) rc = check_positive(ds, nz, e);
  }
  if (comm != MPI_COMM_NULL) rc = mpi_agree(comm, rc, e);
  if (rc) noise_free(ds);
  return rc;
}

void noise_free(data_set *ds) {
  data_noise *nz = ds->noise;
  if (!nz) return;
  if (nz->sig_) {
    data_free(nz->sig_);
    free(nz->sig_);
  }
  free(nz->col_);
  free(nz);
  ds->noise = NULL;
}
