# Empty dependencies file for mlps_config.
# This may be replaced when dependencies are built.
