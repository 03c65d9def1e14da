
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/cli/cmd_bench.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_bench.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_bench.c.o.d"
  "/work/main/src/cli/cmd_gen.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_gen.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_gen.c.o.d"
  "/work/main/src/cli/cmd_info.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_info.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_info.c.o.d"
  "/work/main/src/cli/cmd_predict.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_predict.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_predict.c.o.d"
  "/work/main/src/cli/cmd_run.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_run.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_run.c.o.d"
  "/work/main/src/cli/cmd_validate.c" "src/CMakeFiles/mlpsweep.dir/cli/cmd_validate.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/cmd_validate.c.o.d"
  "/work/main/src/cli/main.c" "src/CMakeFiles/mlpsweep.dir/cli/main.c.o" "gcc" "src/CMakeFiles/mlpsweep.dir/cli/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/src/CMakeFiles/mlps_sweep.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/mlps_config.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/mlps_search.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/mlps_data.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/mlps_nn.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/mlps_util.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
