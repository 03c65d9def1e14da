/* The journal OUT/trials.jsonl: the sweep's durable record. Line 1 is a
 * header {"format":"mlpsweep-journal","version":1,"config":"...",...}; every
 * other line is one finished task, appended with write() and fsync()'d
 * before the task counts as done, so a kill at any instant loses at most
 * tasks that had not been counted yet. Reading it back (resume) detects a
 * torn last line, drops it and truncates the file to the last good line.
 *
 * Task lines hold trial, fold, params (name -> value as in the config),
 * x (the point as stored internally, exact, used by resume), status,
 * reason, metric (the objective), val_mse, val_mae, val_median_frac_err
 * (null when absent), best_epoch, epochs, seconds, rank; for pruned tasks
 * rung (epochs trained when the judgement was taken), pruned_value (the
 * value judged) and pruned_fold (the fold judged: this one, or the sibling
 * whose pruning stopped it); and curve: the
 * learning curve flattened as [epoch, train_loss, val_loss, lr, ...], and
 * start / t: which start of the sweep wrote it and its seconds since that
 * start (so the wall time over every start can be summed after resumes);
 * (absent in journals of mlpsweep before 0.2; readers accept both). */
#ifndef MLPS_JOURNAL_H
#define MLPS_JOURNAL_H

#include "search/space.h"
#include "sweep/json.h"
#include "sweep/sweep.h"
#include "util/err.h"
#include "util/paths.h"

typedef struct {
  int fd;
  char path[MLPS_PATH_MAX];
  int no_fsync;
  json_writer w; /* lines waiting for the next journal_flush */
  int n_pending;
  int start; /* which start of the sweep (0, 1, ... after resumes) writes */
  double t0; /* mlps_now() when this start began: task lines say when */
} journal;

/* What the header records besides the config text. */
typedef struct {
  const char *config_text;
  const search_space *space;
  int n_folds;
  int max_trials;
  uint64_t seed;
  search_metric metric;
  /* Optional: writes further members of the header object (e.g. what the
   * run's data was) with w's json_key/json_... calls. */
  void (*write_extra)(void *user, json_writer *w);
  void *extra_user;
} journal_header;

/* Creates path (must not exist), writes and syncs the header line, and
 * syncs the directory so the file itself survives a crash. */
int journal_create(journal *j, const char *path, const journal_header *h, int no_fsync,
                   mlps_err *err);
/* Opens an existing journal for appending (after journal_read). */
int journal_open_append(journal *j, const char *path, int no_fsync, mlps_err *err);
/* Queues one finished task's line (not yet durable), with its learning
 * curve (may be empty), so that history.h5 can be rebuilt from the journal. */
void journal_add(journal *j, const task_result *r, const double *x, const search_space *s,
                 search_metric metric, const epoch_report *curve, int n_curve);
/* Writes the queued lines with one write() and fsync()s: after it returns
 * MLPS_OK they are on disk. */
int journal_flush(journal *j, mlps_err *err);
void journal_close(journal *j);

/* One task line read back. */
typedef struct {
  task_result r;
  double x[SPACE_MAX_PARAMS];
  epoch_report *curve; /* [n_curve], owned; none in journals written before curves were */
  int n_curve;
  int start; /* the start that wrote it (0 when not recorded) */
  double t;  /* its seconds since that start (NaN when not recorded) */
} journal_entry;

typedef struct {
  char *config_text; /* header's config, owned */
  json_doc *header;  /* the parsed header line, owned (NULL if none) */
  int n_folds;
  int version;
  journal_entry *e; /* task lines in file order */
  int n;
  int torn_dropped;    /* a torn last line was found and cut off */
  char torn_text[120]; /* its beginning, for the message */
} journal_contents;

/* Reads path. A torn last line (no newline or not valid JSON / missing
 * fields) is dropped and the file truncated to the last good line; a bad
 * line elsewhere or a bad header is an MLPS_EINPUT error naming the line. */
int journal_read(const char *path, journal_contents *out, mlps_err *err);
void journal_contents_free(journal_contents *c);

#endif
