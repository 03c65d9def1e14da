file(REMOVE_RECURSE
  "libmlpsweep_core.a"
)
