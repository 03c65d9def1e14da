# Empty dependencies file for mlpsweep.
# This may be replaced when dependencies are built.
