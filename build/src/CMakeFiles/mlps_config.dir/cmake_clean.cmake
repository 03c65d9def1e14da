file(REMOVE_RECURSE
  "CMakeFiles/mlps_config.dir/config/config_names.c.o"
  "CMakeFiles/mlps_config.dir/config/config_names.c.o.d"
  "libmlps_config.a"
  "libmlps_config.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_config.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
