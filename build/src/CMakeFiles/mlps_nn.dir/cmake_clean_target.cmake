file(REMOVE_RECURSE
  "libmlps_nn.a"
)
