src/CMakeFiles/mlps_sweep.dir/sweep/sweep_placeholder.c.o: \
 /work/main/src/sweep/sweep_placeholder.c /usr/include/stdc-predef.h
