/* mlpsweep_emu.h: the public C API of libmlpsweep_emu, which evaluates a
 * trained emulator (OUT/model.h5 of `mlpsweep run`) from the user's own code,
 * e.g. inside an MCMC likelihood. Link: `pkg-config --cflags --libs
 * mlpsweep-emu`, or CMake `find_package(mlpsweep)` and `mlpsweep::emu`.
 *
 * - Inputs and outputs are in the data's own units: the model's input and
 *   target transforms are applied inside (the inputs' affine stages folded
 *   into the first layer at open; the rest per value). Arithmetic is
 *   float64 on the file's float32 weights, with kernels for AVX-512,
 *   AVX2+FMA or baseline CPUs picked at open (they differ in the last bits:
 *   summation order, fused multiply-adds).
 * - An ensemble model's prediction is the members' mean in the scaled target
 *   space, then inverted, as `mlpsweep predict` computes it; weighted by
 *   each member's `weight` attribute when the file has them (a committee
 *   weighted by CV error, format 3), else equal. Members may differ in
 *   architecture (a committee of configurations).
 * - Thread safety: after mlps_emu_open returns, any number of threads may
 *   call the predict functions on one handle at once. A predict call
 *   allocates nothing: its scratch (a few rows of the widest layer, at most
 *   MLPS_EMU_MAX_WIDTH + 64 values each) lives on the caller's stack, about
 *   4 * 8 * (widest layer + 64) bytes.
 * - The library prints nothing; errors come back as return values and the
 *   message of mlps_emu_open. */
#ifndef MLPSWEEP_EMU_H
#define MLPSWEEP_EMU_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLPS_EMU_VERSION_MAJOR 0
#define MLPS_EMU_VERSION_MINOR 1
/* Widest layer (inputs and outputs included) a model may have. */
#define MLPS_EMU_MAX_WIDTH 2048
/* Model file format versions this library reads. */
#define MLPS_EMU_FORMAT_MIN 1
#define MLPS_EMU_FORMAT_MAX 3

/* The library is built with hidden visibility: only these are exported. */
#if defined(MLPS_EMU_BUILD) && defined(__GNUC__)
#define MLPS_EMU_API __attribute__((visibility("default")))
#else
#define MLPS_EMU_API
#endif

typedef struct mlps_emu mlps_emu;

/* Library version text ("0.1.0"). */
MLPS_EMU_API const char *mlps_emu_version(void);

/* Opens a model file. NULL on any problem (missing file, not an mlpsweep
 * model, unsupported format version, inconsistent shapes), with a message
 * naming the file and the fix in err (err may be NULL; err_len bytes, the
 * message is truncated to fit). */
MLPS_EMU_API mlps_emu *mlps_emu_open(const char *model_path, char *err, size_t err_len);
/* Flags of mlps_emu_open_flags. MLPS_EMU_UNFOLDED keeps every transform
 * stage outside the network (the reference path the tests compare with).
 * MLPS_EMU_BASELINE uses the baseline kernel (SSE2 on x86-64: the same
 * results on every x86-64 CPU); MLPS_EMU_NO_AVX512 at most the AVX2+FMA one. */
#define MLPS_EMU_UNFOLDED 1u
#define MLPS_EMU_BASELINE 2u
#define MLPS_EMU_NO_AVX512 4u
MLPS_EMU_API mlps_emu *mlps_emu_open_flags(const char *model_path, unsigned flags, char *err,
                                           size_t err_len);
MLPS_EMU_API void mlps_emu_close(mlps_emu *emu);

MLPS_EMU_API size_t mlps_emu_n_inputs(const mlps_emu *emu);
MLPS_EMU_API size_t mlps_emu_n_outputs(const mlps_emu *emu);
MLPS_EMU_API size_t mlps_emu_n_members(const mlps_emu *emu);
/* Name of input i (the data file's column name, or "x0", "x1", ... for
 * version-1 files and data without names); NULL when i is out of range. */
MLPS_EMU_API const char *mlps_emu_input_name(const mlps_emu *emu, size_t i);
/* The model file's format_version (1, 2, or 3: members weighted unequally). */
MLPS_EMU_API int mlps_emu_format_version(const mlps_emu *emu);
/* The prediction kernel in use: "avx512", "avx2" or "baseline". */
MLPS_EMU_API const char *mlps_emu_kernel(const mlps_emu *emu);

/* Predicts n rows: x is (n, n_inputs) row-major in data units, y (n,
 * n_outputs) in data units, the members' mean. Returns 0, or the number of
 * rows with an input outside the training box (any coordinate below lo or
 * above hi, or NaN; the prediction is still made), capped at INT_MAX; or a
 * negative value on error (NULL pointer). Files without a box (version 1)
 * never count rows outside. */
MLPS_EMU_API int mlps_emu_predict(const mlps_emu *emu, size_t n, const double *x, double *y);
/* Every member's prediction: y_members is (n, n_members, n_outputs), i.e.
 * y_members[(i * n_members + k) * n_outputs + j]. Same return value. */
MLPS_EMU_API int mlps_emu_predict_members(const mlps_emu *emu, size_t n, const double *x,
                                          double *y_members);
/* The training box: lo and hi (n_inputs each) get the min and max of each
 * input over the rows the final model was trained on. 0, or negative when
 * the file has no box (version 1) or on a NULL pointer. */
MLPS_EMU_API int mlps_emu_bounds(const mlps_emu *emu, double *lo, double *hi);
/* The error model measured on the test rows, for positive targets (target
 * chain starting with log/log10): frac_mean (n_outputs) the mean and
 * frac_cov (n_outputs x n_outputs, row-major) the covariance of the
 * fractional residuals y_pred / y - 1. Either pointer may be NULL. 0, or
 * negative when the file has none (version 1, or targets not positive). */
MLPS_EMU_API int mlps_emu_error_model(const mlps_emu *emu, double *frac_mean, double *frac_cov);

#ifdef __cplusplus
}
#endif

#endif
