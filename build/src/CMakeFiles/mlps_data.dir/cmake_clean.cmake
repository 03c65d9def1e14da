file(REMOVE_RECURSE
  "CMakeFiles/mlps_data.dir/data/transform_types.c.o"
  "CMakeFiles/mlps_data.dir/data/transform_types.c.o.d"
  "libmlps_data.a"
  "libmlps_data.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_data.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
