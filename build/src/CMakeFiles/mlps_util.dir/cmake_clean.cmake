file(REMOVE_RECURSE
  "CMakeFiles/mlps_util.dir/util/err.c.o"
  "CMakeFiles/mlps_util.dir/util/err.c.o.d"
  "CMakeFiles/mlps_util.dir/util/names.c.o"
  "CMakeFiles/mlps_util.dir/util/names.c.o.d"
  "CMakeFiles/mlps_util.dir/util/rng.c.o"
  "CMakeFiles/mlps_util.dir/util/rng.c.o.d"
  "libmlps_util.a"
  "libmlps_util.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_util.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
