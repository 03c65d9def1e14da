/* mlpsweep bench: not built yet (placeholder until its issue lands). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_bench(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "mlpsweep bench: not available in this build yet\n");
  return 1;
}
