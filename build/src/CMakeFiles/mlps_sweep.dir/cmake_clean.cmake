file(REMOVE_RECURSE
  "CMakeFiles/mlps_sweep.dir/sweep/sweep_placeholder.c.o"
  "CMakeFiles/mlps_sweep.dir/sweep/sweep_placeholder.c.o.d"
  "libmlps_sweep.a"
  "libmlps_sweep.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_sweep.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
