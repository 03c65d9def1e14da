# CMake generated Testfile for 
# Source directory: /work/main/tests/util
# Build directory: /work/main/build/tests/util
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[util_rng]=] "/work/main/build/tests/util/test_util_rng")
set_tests_properties([=[util_rng]=] PROPERTIES  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;OMPI_MCA_btl_vader_single_copy_mechanism=none;OPENBLAS_NUM_THREADS=1;OMP_NUM_THREADS=1;MLPS_BIN=/work/main/build/src/mlpsweep;MLPS_MPIEXEC=/usr/bin/mpiexec --oversubscribe;MLPS_SRC=/work/main;MLPS_TEST_DATA=/work/main/tests/data;MLPS_TMP=/work/main/build/tests/tmp;ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0;LSAN_OPTIONS=suppressions=/work/main/tests/lsan.supp:print_suppressions=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" LABELS "unit" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;56;add_test;/work/main/tests/util/CMakeLists.txt;1;mlps_add_c_test;/work/main/tests/util/CMakeLists.txt;0;")
