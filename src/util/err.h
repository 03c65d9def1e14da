/* Status codes and error text shared by every library module.
 * Library code never exits: it returns a status and fills an mlps_err;
 * only cli/ decides to exit (see STYLE.md lesson 3). */
#ifndef MLPS_ERR_H
#define MLPS_ERR_H

#include <stddef.h>

/* Exit codes of the CLI and status codes of the library are the same set. */
enum {
  MLPS_OK = 0,
  MLPS_ERUNTIME = 1, /* runtime failure: I/O, MPI, out of memory, ... */
  MLPS_EINPUT = 2    /* bad input: YAML, HDF5 content, command line */
};

#define MLPS_ERR_MSG 2048
typedef struct {
  int code;               /* MLPS_OK when no error was set */
  char msg[MLPS_ERR_MSG]; /* one or more lines, no trailing newline */
} mlps_err;

#if defined(__GNUC__)
#define MLPS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MLPS_PRINTF(a, b)
#endif

/* Sets e (if not NULL) to code and the formatted message; returns code, so
 * `return mlps_errorf(e, MLPS_EINPUT, "...")` reads naturally. */
int mlps_errorf(mlps_err *e, int code, const char *fmt, ...) MLPS_PRINTF(3, 4);
/* Prepends "prefix: " to an existing message (adds context on the way up). */
int mlps_err_prefix(mlps_err *e, const char *fmt, ...) MLPS_PRINTF(2, 3);
void mlps_err_clear(mlps_err *e);

/* Propagate a non-zero status, like ADLB's CHECK: the caller's message is
 * already set, so just return it. */
#define MLPS_TRY(expr)             \
  do {                             \
    int mlps_rc_ = (expr);         \
    if (mlps_rc_) return mlps_rc_; \
  } while (0)

/* Allocation that cannot fail: aborts with a message naming the size and the
 * call site. For buffers whose size the user controls, use malloc and return
 * MLPS_ERUNTIME with a message instead. */
void *mlps_xmalloc_at(size_t n, const char *file, int line);
void *mlps_xcalloc_at(size_t count, size_t size, const char *file, int line);
void *mlps_xrealloc_at(void *p, size_t n, const char *file, int line);
char *mlps_xstrdup_at(const char *s, const char *file, int line);
#define mlps_xmalloc(n) mlps_xmalloc_at((n), __FILE__, __LINE__)
#define mlps_xcalloc(c, s) mlps_xcalloc_at((c), (s), __FILE__, __LINE__)
#define mlps_xrealloc(p, n) mlps_xrealloc_at((p), (n), __FILE__, __LINE__)
#define mlps_xstrdup(s) mlps_xstrdup_at((s), __FILE__, __LINE__)

#endif
