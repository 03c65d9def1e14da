# Empty dependencies file for test_util_rng.
# This may be replaced when dependencies are built.
