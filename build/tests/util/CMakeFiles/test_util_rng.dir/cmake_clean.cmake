file(REMOVE_RECURSE
  "CMakeFiles/test_util_rng.dir/test_rng.c.o"
  "CMakeFiles/test_util_rng.dir/test_rng.c.o.d"
  "test_util_rng"
  "test_util_rng.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_util_rng.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
