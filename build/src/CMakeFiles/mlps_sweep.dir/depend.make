# Empty dependencies file for mlps_sweep.
# This may be replaced when dependencies are built.
