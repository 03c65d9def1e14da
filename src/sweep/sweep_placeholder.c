/* (placeholder translation unit until sweep/ lands; keeps the module's
 * library non-empty) */
typedef int mlps_sweep_placeholder;
