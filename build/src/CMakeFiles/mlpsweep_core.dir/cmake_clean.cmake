file(REMOVE_RECURSE
  "CMakeFiles/mlpsweep_core.dir/util/err.c.o"
  "CMakeFiles/mlpsweep_core.dir/util/err.c.o.d"
  "CMakeFiles/mlpsweep_core.dir/util/rng.c.o"
  "CMakeFiles/mlpsweep_core.dir/util/rng.c.o.d"
  "libmlpsweep_core.a"
  "libmlpsweep_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlpsweep_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
