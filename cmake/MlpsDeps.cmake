# Finds MPI, OpenBLAS (cblas), HDF5 (C) and libyaml. A missing dependency
# stops configure with the Debian package to install and, for clusters, the
# kind of environment module to load.

function(mlps_missing what debian module)
  message(FATAL_ERROR
    "mlpsweep: ${what} not found.\n"
    "  Debian/Ubuntu: apt-get install ${debian}\n"
    "  HPC cluster:   load a module that provides it (e.g. `module load ${module}`), "
    "then re-run cmake (a fresh build directory avoids stale cache entries).")
endfunction()

find_package(MPI COMPONENTS C)
if(NOT MPI_C_FOUND)
  mlps_missing("MPI (C bindings)" "libopenmpi-dev openmpi-bin" "openmpi")
endif()

# OpenBLAS: prefer pkg-config (exact library), fall back to FindBLAS.
find_package(PkgConfig)
set(MLPS_BLAS_TARGET "")
if(PkgConfig_FOUND)
  pkg_check_modules(OPENBLAS IMPORTED_TARGET openblas)
  if(OPENBLAS_FOUND)
    set(MLPS_BLAS_TARGET PkgConfig::OPENBLAS)
  endif()
endif()
if(NOT MLPS_BLAS_TARGET)
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS)
  if(BLAS_FOUND)
    set(MLPS_BLAS_TARGET BLAS::BLAS)
  else()
    mlps_missing("OpenBLAS" "libopenblas-dev" "openblas")
  endif()
endif()
include(CheckIncludeFile)
if(OPENBLAS_INCLUDE_DIRS)
  set(CMAKE_REQUIRED_INCLUDES ${OPENBLAS_INCLUDE_DIRS})
endif()
check_include_file(cblas.h MLPS_HAVE_CBLAS_H)
if(NOT MLPS_HAVE_CBLAS_H)
  mlps_missing("cblas.h (OpenBLAS headers)" "libopenblas-dev" "openblas")
endif()

find_package(HDF5 COMPONENTS C)
if(NOT HDF5_FOUND)
  mlps_missing("HDF5 (C library)" "libhdf5-dev" "hdf5 (serial build is enough)")
endif()

if(NOT PkgConfig_FOUND)
  mlps_missing("pkg-config (needed to find libyaml)" "pkg-config" "pkg-config")
endif()
pkg_check_modules(YAML IMPORTED_TARGET yaml-0.1)
if(NOT YAML_FOUND)
  mlps_missing("libyaml (yaml-0.1)" "libyaml-dev" "libyaml")
endif()
