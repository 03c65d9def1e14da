/* (placeholder translation unit until config/ lands; keeps the module's
 * library non-empty) */
typedef int mlps_config_placeholder;
