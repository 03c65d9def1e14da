file(REMOVE_RECURSE
  "libmlps_config.a"
)
