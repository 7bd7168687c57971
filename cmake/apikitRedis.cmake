# apikit::redis — apikit::apikit plus hiredis, which apikit uses for the RESP
# protocol only (its reply reader and its command formatter).
#
# This one file serves two callers:
# - the build (the top-level CMakeLists.txt includes it after apikit::apikit
#   exists): finds hiredis, defines apikit::redis and its install rules;
#   hiredis is required when apikit is the top-level project and builds its
#   tests (./dev deps installs libhiredis-dev) and optional otherwise, so a
#   consumer without hiredis still gets apikit::apikit;
# - the installed package (apikitConfig.cmake includes it): finds hiredis the
#   same way and loads apikit::redis, which find_package(apikit COMPONENTS
#   redis) then requires.

# hiredis 1.x installs hiredis-config.cmake with an imported hiredis::hiredis.
# Debian 12's 0.14 installs a HiredisConfig.cmake that only sets variables
# (and whose version check fails unless a version is asked for), so its
# target is made here; pkg-config is the last resort.
if(NOT TARGET hiredis::hiredis)
  find_package(hiredis CONFIG QUIET)
endif()
if(NOT TARGET hiredis::hiredis)
  find_package(Hiredis 0.14 CONFIG QUIET)
  if(Hiredis_FOUND AND HIREDIS_INCLUDE_DIRS AND HIREDIS_LIBRARIES)
    add_library(hiredis::hiredis UNKNOWN IMPORTED)
    set_target_properties(hiredis::hiredis PROPERTIES
      IMPORTED_LOCATION "${HIREDIS_LIBRARIES}"
      INTERFACE_INCLUDE_DIRECTORIES "${HIREDIS_INCLUDE_DIRS}")
  endif()
endif()
if(NOT TARGET hiredis::hiredis)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(apikit_hiredis QUIET IMPORTED_TARGET hiredis)
    if(apikit_hiredis_FOUND)
      # hiredis.pc puts include/hiredis on the path; apikit includes
      # <hiredis/hiredis.h>, so its parent is added too.
      get_filename_component(apikit_hiredis_parent "${apikit_hiredis_INCLUDEDIR}" DIRECTORY)
      add_library(hiredis::hiredis INTERFACE IMPORTED)
      target_link_libraries(hiredis::hiredis INTERFACE PkgConfig::apikit_hiredis)
      target_include_directories(hiredis::hiredis INTERFACE "${apikit_hiredis_parent}")
    endif()
  endif()
endif()

if(CMAKE_FIND_PACKAGE_NAME STREQUAL "apikit")
  # The installed package.
  if(TARGET hiredis::hiredis)
    include("${CMAKE_CURRENT_LIST_DIR}/apikitRedisTargets.cmake")
    set(apikit_redis_FOUND TRUE)
  else()
    set(apikit_redis_FOUND FALSE)
    set(apikit_redis_NOT_FOUND_MESSAGE "apikit::redis needs hiredis (Debian: libhiredis-dev)")
  endif()
  return()
endif()

if(NOT TARGET hiredis::hiredis)
  # Required where apikit's own tests are built, so the Redis tests cannot be
  # skipped silently; an install-only configure (tests off) goes without.
  if(APIKIT_MASTER_PROJECT AND APIKIT_BUILD_TESTS)
    message(FATAL_ERROR "apikit: hiredis was not found; `./dev deps` installs it (libhiredis-dev)")
  endif()
  message(STATUS "apikit: hiredis not found, so apikit::redis is not defined")
  return()
endif()

add_library(apikit_redis INTERFACE)
add_library(apikit::redis ALIAS apikit_redis)
set_target_properties(apikit_redis PROPERTIES EXPORT_NAME redis)
target_link_libraries(apikit_redis INTERFACE apikit::apikit hiredis::hiredis)

if(APIKIT_INSTALL)
  include(GNUInstallDirs)
  if(NOT APIKIT_CMAKE_DIR)
    set(APIKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/apikit")
  endif()
  # A separate export set: a consumer without hiredis loads the package
  # without it, and only find_package(apikit COMPONENTS redis) requires it.
  install(TARGETS apikit_redis EXPORT apikitRedisTargets)
  install(EXPORT apikitRedisTargets NAMESPACE apikit:: DESTINATION "${APIKIT_CMAKE_DIR}")
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/apikitRedis.cmake" DESTINATION "${APIKIT_CMAKE_DIR}")
endif()
