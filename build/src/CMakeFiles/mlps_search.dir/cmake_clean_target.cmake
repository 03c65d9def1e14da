file(REMOVE_RECURSE
  "libmlps_search.a"
)
