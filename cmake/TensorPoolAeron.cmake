# Optional Aeron support: the "aeron" transport backend over the Aeron C client (aeronc.h) and,
# when the media driver library is present too, an embedded media driver. Nothing of Aeron is part
# of this project; an existing installation is found here or the backend is left out.
#
#   -DAERON_ROOT=<prefix>   an installation prefix (also read from the AERON_ROOT environment
#                           variable); standard prefixes (/usr, /usr/local, CMAKE_PREFIX_PATH)
#                           are searched too.
#   -DTP_WITH_AERON=OFF     never build the backend, even when Aeron is installed.
#
# Looked for: include/aeron/aeronc.h (or include/aeronc.h) and lib/libaeron.so; optionally
# include/aeronmd/aeronmd.h with lib/libaeron_driver.so (embedded driver) and bin/aeronmd (the
# media driver the `aeron`-labelled tests start).
#
# Defines: TP_HAVE_AERON, TP_HAVE_AERON_DRIVER, the imported targets tp_aeron::client and
# tp_aeron::driver, and TP_AERONMD_EXECUTABLE.

option(TP_WITH_AERON "Build the Aeron transport backend when an Aeron installation is found" ON)
set(AERON_ROOT "$ENV{AERON_ROOT}" CACHE PATH "Aeron installation prefix (include/aeron/aeronc.h, lib/libaeron.so)")

set(TP_HAVE_AERON OFF)
set(TP_HAVE_AERON_DRIVER OFF)
set(TP_AERONMD_EXECUTABLE "")

if(NOT TP_WITH_AERON)
  message(STATUS "Aeron transport backend: disabled (TP_WITH_AERON=OFF)")
  return()
endif()

set(_tp_aeron_hints)
if(AERON_ROOT)
  set(_tp_aeron_hints HINTS "${AERON_ROOT}")
endif()

find_path(AERON_INCLUDE_DIR aeronc.h ${_tp_aeron_hints} PATH_SUFFIXES include/aeron include)
find_library(AERON_CLIENT_LIBRARY NAMES aeron ${_tp_aeron_hints} PATH_SUFFIXES lib lib64)
find_path(AERON_DRIVER_INCLUDE_DIR aeronmd.h ${_tp_aeron_hints} PATH_SUFFIXES include/aeronmd include)
find_library(AERON_DRIVER_LIBRARY NAMES aeron_driver ${_tp_aeron_hints} PATH_SUFFIXES lib lib64)
find_program(AERON_MEDIA_DRIVER_EXECUTABLE NAMES aeronmd ${_tp_aeron_hints} PATH_SUFFIXES bin binaries)

if(NOT AERON_INCLUDE_DIR OR NOT AERON_CLIENT_LIBRARY)
  if(AERON_ROOT)
    message(WARNING "Aeron transport backend: not built; AERON_ROOT=${AERON_ROOT} has no "
                    "include/aeron/aeronc.h and lib/libaeron.so")
  else()
    message(STATUS "Aeron transport backend: not built (no Aeron C client found; set AERON_ROOT to an "
                   "installation prefix to build it). The built-in transport is always available.")
  endif()
  return()
endif()

add_library(tp_aeron::client UNKNOWN IMPORTED)
set_target_properties(tp_aeron::client PROPERTIES
  IMPORTED_LOCATION "${AERON_CLIENT_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${AERON_INCLUDE_DIR}")
set(TP_HAVE_AERON ON)

if(AERON_DRIVER_INCLUDE_DIR AND AERON_DRIVER_LIBRARY)
  add_library(tp_aeron::driver UNKNOWN IMPORTED)
  set_target_properties(tp_aeron::driver PROPERTIES
    IMPORTED_LOCATION "${AERON_DRIVER_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${AERON_DRIVER_INCLUDE_DIR}")
  set(TP_HAVE_AERON_DRIVER ON)
endif()
if(AERON_MEDIA_DRIVER_EXECUTABLE)
  set(TP_AERONMD_EXECUTABLE "${AERON_MEDIA_DRIVER_EXECUTABLE}")
endif()

message(STATUS "Aeron transport backend: built with ${AERON_CLIENT_LIBRARY} (headers ${AERON_INCLUDE_DIR})")
if(TP_HAVE_AERON_DRIVER)
  message(STATUS "Aeron embedded media driver: available (${AERON_DRIVER_LIBRARY})")
else()
  message(STATUS "Aeron embedded media driver: not available (no aeronmd.h with libaeron_driver)")
endif()
if(TP_AERONMD_EXECUTABLE)
  message(STATUS "Aeron media driver for the aeron-labelled tests: ${TP_AERONMD_EXECUTABLE}")
else()
  message(STATUS "Aeron media driver executable (aeronmd) not found: aeron-labelled tests will be skipped")
endif()
