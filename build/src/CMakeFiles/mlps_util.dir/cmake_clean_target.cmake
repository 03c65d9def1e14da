file(REMOVE_RECURSE
  "libmlps_util.a"
)
