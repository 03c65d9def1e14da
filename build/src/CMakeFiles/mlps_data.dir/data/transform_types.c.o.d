src/CMakeFiles/mlps_data.dir/data/transform_types.c.o: \
 /work/main/src/data/transform_types.c /usr/include/stdc-predef.h \
 /work/main/src/data/transform_types.h
