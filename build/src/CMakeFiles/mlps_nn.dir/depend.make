# Empty dependencies file for mlps_nn.
# This may be replaced when dependencies are built.
