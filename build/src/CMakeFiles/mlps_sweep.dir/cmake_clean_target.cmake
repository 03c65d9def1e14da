file(REMOVE_RECURSE
  "libmlps_sweep.a"
)
