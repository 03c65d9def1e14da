# Empty dependencies file for mlps_data.
# This may be replaced when dependencies are built.
