/* Monotonic wall clock, in seconds: for durations only (task seconds,
 * timeouts, progress intervals, benchmarks), never for dates. */
#ifndef MLPS_CLOCK_H
#define MLPS_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double mlps_now(void);

#endif
