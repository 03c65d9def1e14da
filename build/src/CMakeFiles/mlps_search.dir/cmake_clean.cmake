file(REMOVE_RECURSE
  "CMakeFiles/mlps_search.dir/search/space.c.o"
  "CMakeFiles/mlps_search.dir/search/space.c.o.d"
  "libmlps_search.a"
  "libmlps_search.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/mlps_search.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
