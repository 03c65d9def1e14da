/* Round-trip double formatting (see fmt.h). */
#include "util/fmt.h"

#include <stdio.h>
#include <stdlib.h>

char *fmt_double(char *buf, double v) {
  /* 15 significant digits always survive decimal -> double -> decimal, so
   * %.15g (which drops trailing zeros) is already the shortest text for any
   * value that has one of <= 15 digits; otherwise 16 or 17 are needed. */
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, FMT_DOUBLE_SIZE, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  return buf;
}
