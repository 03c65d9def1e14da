/* Was this process started by an MPI launcher (mpirun, mpiexec, srun), and
 * with which rank? Read from the environment before MPI_Init, so commands
 * can decide whether to start MPI at all and print usage errors once. One
 * list of variables for every caller. */
#ifndef MLPS_LAUNCHER_H
#define MLPS_LAUNCHER_H

/* This process's rank as the launcher announced it, or -1 when no launcher
 * announced one. */
int launcher_rank(void);

/* 1 when a launcher started this process (launcher_rank() >= 0). */
int launcher_detected(void);

/* Orphan detection. A rank whose launcher was killed (kill -9 of mpirun, a
 * node's slurmstepd gone) lives on, reparented, and would go on writing;
 * a resume started meanwhile would race it. launcher_watch() records the
 * parent when a launcher started this process (call it early, before MPI
 * starts); launcher_gone() is then 1 once that parent is no longer ours. */
void launcher_watch(void);
int launcher_gone(void);

#endif
