/* What a resumed run may change against the journal header: the final
 * section, output.dir, search.max_seconds, (but for lhs) search.trials,
 * data.noise when neither the loss nor the metric uses it, and how
 * data.path names the same file; anything else changes finished trials and
 * is refused, naming the keys.
 * The data, recorded in the header as "data" (its identity and content
 * checksum, data.h), must be the same too, unless the user says a change
 * is intended (--allow-data-change). */
#define _DEFAULT_SOURCE /* realpath */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "workflow/workflow.h"

void resume_write_data(void *user, json_writer *w) {
  const run_ctx *rc = user;
  const data_identity *id = &rc->data_id;
  char hex[17];
  json_key(w, "data");
  json_obj_begin(w);
  json_key(w, "path"), json_str(w, id->path);
  json_key(w, "inputs"), json_str(w, id->inputs);
  json_key(w, "targets"), json_str(w, id->targets);
  json_key(w, "file_bytes"), json_int(w, (long long)id->file_bytes);
  json_key(w, "n"), json_int(w, (long long)id->n);
  json_key(w, "d"), json_int(w, (long long)id->d);
  json_key(w, "m"), json_int(w, (long long)id->m);
  json_key(w, "input_columns"), json_str(w, id->input_columns ? id->input_columns : "");
  json_key(w, "target_columns"), json_str(w, id->target_columns ? id->target_columns : "");
  json_key(w, "checksum"), json_str(w, data_checksum_hex(id->checksum, hex));
  json_obj_end(w);
}

/* The identity the journal header recorded; 0 when it has none (a journal
 * of mlpsweep before 0.2) or it is malformed. */
static int read_data(const json_value *header, data_identity *id) {
  memset(id, 0, sizeof *id);
  const json_value *o = json_get(header, "data");
  if (!o || o->type != JSON_OBJ) return 0;
  const char *path = json_get_str(o, "path"), *in = json_get_str(o, "inputs");
  const char *tg = json_get_str(o, "targets"), *ic = json_get_str(o, "input_columns");
  const char *tc = json_get_str(o, "target_columns"), *ck = json_get_str(o, "checksum");
  double bytes, n, d, m;
  if (!path || !in || !tg || !ic || !tc || !ck || !json_get_num(o, "file_bytes", &bytes) ||
      !json_get_num(o, "n", &n) || !json_get_num(o, "d", &d) || !json_get_num(o, "m", &m) ||
      data_checksum_parse(ck, &id->checksum) != 0)
    return 0;
  snprintf(id->path, sizeof id->path, "%s", path);
  snprintf(id->inputs, sizeof id->inputs, "%s", in);
  snprintf(id->targets, sizeof id->targets, "%s", tg);
  id->file_bytes = (uint64_t)bytes, id->n = (uint64_t)n, id->d = (uint64_t)d, id->m = (uint64_t)m;
  id->input_columns = mlps_xstrdup(ic);
  id->target_columns = mlps_xstrdup(tc);
  return 1;
}

static int data_cmp(const run_ctx *rc, const json_value *header, mlps_err *err) {
  data_identity was;
  if (!header || !read_data(header, &was)) {
    log_msg(LOG_ALWAYS,
            "mlpsweep: warning: --resume: the journal does not record its data "
            "(written by an older mlpsweep), so it cannot be checked against %s",
            rc->data_id.path);
    return MLPS_OK;
  }
  char msg[1024];
  unsigned diff = data_identity_diff(&was, &rc->data_id, DATA_ID_VALUES, msg, sizeof msg);
  data_identity_free(&was);
  if (!diff) return MLPS_OK;
  if (rc->allow_data_change) {
    log_msg(LOG_ALWAYS,
            "mlpsweep: warning: --resume --allow-data-change: the data differ from "
            "the journal's (%s); trials before and after this resume were trained on "
            "different data",
            msg);
    return MLPS_OK;
  }
  return mlps_errorf(err, MLPS_EINPUT,
                     "--resume: the data differ from what this sweep started with: %s. Resuming "
                     "would mix trials trained on different data in one trials.csv and model. "
                     "Restore the original data, start a new sweep in another output.dir, or add "
                     "--allow-data-change if mixing is intended",
                     msg);
}

int resume_config_cmp(void *user, const char *journal_cfg, const char *current_cfg,
                      const json_value *header, mlps_err *err) {
  const run_ctx *ctx = user;
  mlps_config a, b;
  cfg_errors ea = {0}, eb = {0};
  int rc = cfg_load_text(journal_cfg, strlen(journal_cfg), "journal header", NULL, 0, &a, &ea);
  int rc2 = rc ? rc : cfg_load_text(current_cfg, strlen(current_cfg), "config", NULL, 0, &b, &eb);
  cfg_errors_free(&ea);
  cfg_errors_free(&eb);
  if (rc || rc2)
    return mlps_errorf(err, MLPS_EINPUT,
                       "cannot read the config stored in the journal header; "
                       "start a new output directory instead of --resume");
  /* The final section does not change any trial: a finished sweep can be
   * resumed with other final settings to redo only the final stage. The
   * output directory may have been moved or copied. */
  a.final = b.final;
  a.search.max_seconds = b.search.max_seconds; /* a budget: extended or cut on a resume */
  memcpy(a.output.dir, b.output.dir, sizeof a.output.dir);
  /* data.noise may be declared (or changed) later when neither the sweep's
   * loss nor its metric uses it: then it decides no trial, and only the
   * final stage's chi2 and posterior bias need it. (Tasks journaled before
   * keep val_chi2 null.) */
  int uses_noise = a.train.loss == LOSS_CHI2 || b.train.loss == LOSS_CHI2;
  for (int k = 0; k < 2; k++) {
    search_metric sm = (k ? &b : &a)->search.metric;
    uses_noise |= sm == METRIC_VAL_CHI2 || sm == METRIC_VAL_P95_BIAS;
  }
  if (!uses_noise) a.data.noise = b.data.noise;
  /* The same file named another way (relative, absolute, through a link)
   * is no change; the data's identity is checked below either way. */
  char ra[PATH_MAX], rb[PATH_MAX];
  if (realpath(a.data.path, ra) && realpath(b.data.path, rb) && !strcmp(ra, rb))
    memcpy(a.data.path, b.data.path, sizeof a.data.path);
  /* The budget may change too, to extend a sweep (or cut it short): trial k
   * of grid, random, Sobol and TPE does not depend on it. An LHS design is
   * built for exactly search.trials rows, so there it stays fixed. */
  if (a.search.method == b.search.method && a.search.method != SAMPLER_LHS)
    a.search.sampler.trials = b.search.sampler.trials;
  char diff[1024];
  int nd = cfg_diff(&a, &b, diff, sizeof diff);
  if (nd)
    return mlps_errorf(err, MLPS_EINPUT,
                       "--resume: the config differs from the one this sweep started with in %d "
                       "key(s): %s; restore those values, or start a new sweep in another "
                       "output.dir",
                       nd, diff);
  return data_cmp(ctx, header, err);
}
