# Empty compiler generated dependencies file for mlpsweep_core.
# This may be replaced when dependencies are built.
