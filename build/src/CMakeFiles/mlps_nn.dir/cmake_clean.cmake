file(REMOVE_RECURSE
  "CMakeFiles/mlps_nn.dir/nn/nn_types.c.o"
  "CMakeFiles/mlps_nn.dir/nn/nn_types.c.o.d"
  "libmlps_nn.a"
  "libmlps_nn.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_nn.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
