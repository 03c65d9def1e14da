file(REMOVE_RECURSE
  "libmlps_data.a"
)
