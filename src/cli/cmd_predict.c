/* mlpsweep predict: apply a trained model.h5 to the inputs in an HDF5 file. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"
#include "data/h5.h"
#include "emu/mlpsweep_emu.h"

static void predict_help(void) {
  printf(
      "usage: mlpsweep predict MODEL.h5 IN.h5 OUT.h5 [--inputs NAME] [--output NAME] [--force]\n\n"
      "Applies the model's input transforms, its network(s) (ensemble members are\n"
      "averaged in the scaled space) and the inverse target transforms, and writes\n"
      "the predictions in the data's own units to OUT.h5 (float32). It computes in\n"
      "float64 with libmlpsweep_emu, the library users link; rows with inputs\n"
      "outside the training box are counted in a warning. An existing OUT.h5 is\n"
      "refused (exit 2) unless --force is given; OUT.h5 may never be MODEL.h5 or IN.h5.\n\n"
      "options:\n"
      "  --inputs NAME   dataset of inputs (n, d) in IN.h5 (default X)\n"
      "  --output NAME   dataset written to OUT.h5 (default Y)\n"
      "  --threads N     accepted and ignored (older versions used OpenBLAS here)\n"
      "  --force         overwrite OUT.h5 if it exists\n"
      "  -h, --help      this help\n");
}

int cmd_predict(int argc, char **argv) {
  const char *pos[3] = {NULL, NULL, NULL};
  const char *inputs = "X", *output = "Y";
  int npos = 0;
  long threads = 1;
  int force = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      predict_help();
      return 0;
    } else if (strcmp(a, "--inputs") == 0 || strcmp(a, "--output") == 0) {
      if (i + 1 >= argc) return cli_usage_error("predict", "%s needs a dataset name", a);
      if (a[2] == 'i') inputs = argv[++i];
      else output = argv[++i];
    } else if (strcmp(a, "--force") == 0) {
      force = 1;
    } else if (strcmp(a, "--threads") == 0) {
      if (i + 1 >= argc) return cli_usage_error("predict", "--threads needs a number");
      if (cli_parse_long("predict", "--threads", argv[++i], 1, 1024, &threads)) return 2;
    } else if (a[0] == '-') {
      return cli_usage_error("predict", "unknown option '%s'", a);
    } else if (npos < 3) {
      pos[npos++] = a;
    } else {
      return cli_usage_error("predict", "unexpected argument '%s'", a);
    }
  }
  if (npos != 3) return cli_usage_error("predict", "needs MODEL.h5 IN.h5 OUT.h5");
  /* Before any work: OUT.h5 is truncated when it is created. */
  mlps_err e = {0};
  for (int k = 0; k < 2; k++)
    if (h5_same_file(pos[2], pos[k]))
      return cli_usage_error("predict",
                             "%s is also the %s file; write the predictions to another file",
                             pos[2], k ? "input" : "model");
  if (h5_check_overwrite(pos[2], force, &e)) return cli_report("predict", &e);
  (void)threads; /* accepted for old scripts: the emulator library uses no BLAS */
  char msg[1024];
  mlps_emu *emu = mlps_emu_open(pos[0], msg, sizeof msg);
  if (!emu) {
    mlps_errorf(&e, MLPS_EINPUT, "%s", msg);
    return cli_report("predict", &e);
  }
  data_spec spec = {0};
  spec.path = pos[1];
  spec.inputs = inputs;
  spec.inputs_only = 1;
  data_set ds = {0};
  int rc = data_load(&spec, &ds, &e);
  size_t d = mlps_emu_n_inputs(emu), m = mlps_emu_n_outputs(emu);
  if (!rc && ds.d != d)
    rc = mlps_errorf(&e, MLPS_EINPUT,
                     "%s: dataset %s has %zu columns but the model takes %zu inputs; "
                     "pass the right dataset with --inputs",
                     pos[1], inputs, ds.d, d);
  float *y = NULL;
  double *xd = NULL, *yd = NULL;
  int outside = 0;
  if (!rc) {
    y = malloc(sizeof(float) * (ds.n * m + 1));
    xd = malloc(sizeof(double) * (ds.n * d + 1)), yd = malloc(sizeof(double) * (ds.n * m + 1));
    if (!y || !xd || !yd)
      rc = mlps_errorf(&e, MLPS_ERUNTIME, "out of memory for %zu predictions", ds.n * m);
  }
  if (!rc) {
    for (size_t i = 0; i < ds.n * d; i++) xd[i] = ds.X[i];
    outside = mlps_emu_predict(emu, ds.n, xd, yd);
    if (outside < 0) rc = mlps_errorf(&e, MLPS_ERUNTIME, "prediction failed");
    for (size_t i = 0; !rc && i < ds.n * m; i++) y[i] = (float)yd[i];
  }
  if (!rc) {
    hid_t fid;
    rc = h5_create(pos[2], &fid, &e);
    if (!rc) {
      rc = h5_write_f32(fid, output, y, ds.n, m, 0, &e);
      if (!rc) rc = h5_attr_str(fid, ".", "model", pos[0], &e);
      if (!rc) rc = h5_attr_str(fid, ".", "inputs", pos[1], &e);
      H5Fclose(fid);
    }
  }
  if (!rc && outside > 0)
    fprintf(stderr,
            "mlpsweep predict: warning: %d of %zu rows have inputs outside the training box "
            "(expect larger errors there)\n",
            outside, ds.n);
  if (!rc) fprintf(stderr, "mlpsweep predict: wrote %s:%s (%zu x %zu)\n", pos[2], output, ds.n, m);
  free(y), free(xd), free(yd);
  data_free(&ds);
  mlps_emu_close(emu);
  return rc ? cli_report("predict", &e) : 0;
}
