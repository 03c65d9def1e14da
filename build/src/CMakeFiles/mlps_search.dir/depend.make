# Empty dependencies file for mlps_search.
# This may be replaced when dependencies are built.
