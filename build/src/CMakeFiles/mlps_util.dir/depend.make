# Empty dependencies file for mlps_util.
# This may be replaced when dependencies are built.
