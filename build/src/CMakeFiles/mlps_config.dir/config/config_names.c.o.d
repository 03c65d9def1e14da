src/CMakeFiles/mlps_config.dir/config/config_names.c.o: \
 /work/main/src/config/config_names.c /usr/include/stdc-predef.h
