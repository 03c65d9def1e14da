/* mlpsweep run: not built yet (placeholder until its issue lands). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "mlpsweep run: not available in this build yet\n");
  return 1;
}
