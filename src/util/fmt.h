/* Number formatting shared by every text output (JSON journal and summary,
 * trials.csv, the resolved YAML config), so that a double means the same
 * text everywhere. */
#ifndef MLPS_FMT_H
#define MLPS_FMT_H

#define FMT_DOUBLE_SIZE 32 /* enough for any "%.17g" */

/* The shortest "%.Ng" (N <= 17) that reads back (strtod) to exactly v,
 * written into buf (FMT_DOUBLE_SIZE bytes); returns buf. NaN and Inf come
 * out as printf spells them ("nan", "inf"): callers decide what their
 * format does with them. */
char *fmt_double(char *buf, double v);

#endif
