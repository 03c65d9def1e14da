/* What a resumed run may change against the config in the journal header:
 * the final section, output.dir and (but for lhs) search.trials; anything
 * else changes finished trials and is refused, naming the keys. */
#include <string.h>

#include "workflow/workflow.h"

int resume_config_cmp(void *user, const char *journal_cfg, const char *current_cfg,
                      mlps_err *err) {
  (void)user;
  mlps_config a, b;
  cfg_errors ea = {0}, eb = {0};
  int rc = cfg_load_text(journal_cfg, strlen(journal_cfg), "journal header", NULL, 0, &a, &ea);
  int rc2 = rc ? rc : cfg_load_text(current_cfg, strlen(current_cfg), "config", NULL, 0, &b, &eb);
  cfg_errors_free(&ea);
  cfg_errors_free(&eb);
  if (rc || rc2)
    return mlps_errorf(err, MLPS_EINPUT, "cannot read the config stored in the journal header; "
                                         "start a new output directory instead of --resume");
  /* The final section does not change any trial: a finished sweep can be
   * resumed with other final settings to redo only the final stage. The
   * output directory may have been moved or copied. */
  a.final = b.final;
  memcpy(a.output.dir, b.output.dir, sizeof a.output.dir);
  /* The budget may change too, to extend a sweep (or cut it short): trial k
   * of grid, random, Sobol and TPE does not depend on it. An LHS design is
   * built for exactly search.trials rows, so there it stays fixed. */
  if (a.search.method == b.search.method && a.search.method != SAMPLER_LHS) a.search.sampler.trials = b.search.sampler.trials;
  char diff[1024];
  int nd = cfg_diff(&a, &b, diff, sizeof diff);
  if (nd)
    return mlps_errorf(err, MLPS_EINPUT,
                       "--resume: the config differs from the one this sweep started with in %d key(s): %s; "
                       "restore those values, or start a new sweep in another output.dir",
                       nd, diff);
  return MLPS_OK;
}
