file(REMOVE_RECURSE
  "CMakeFiles/mlpsweep.dir/cli/cmd_bench.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_bench.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/cmd_gen.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_gen.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/cmd_info.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_info.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/cmd_predict.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_predict.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/cmd_run.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_run.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/cmd_validate.c.o"
  "CMakeFiles/mlpsweep.dir/cli/cmd_validate.c.o.d"
  "CMakeFiles/mlpsweep.dir/cli/main.c.o"
  "CMakeFiles/mlpsweep.dir/cli/main.c.o.d"
  "mlpsweep"
  "mlpsweep.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlpsweep.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
