# The one place that finds apikit's dependencies. The installed package config
# includes the same file, so a consumer resolves exactly what the build did.
include(CMakeFindDependencyMacro)

if(NOT COMMAND apikit_find_dependency)
  macro(apikit_find_dependency)
    if(CMAKE_FIND_PACKAGE_NAME STREQUAL "apikit")
      find_dependency(${ARGV})
    else()
      find_package(${ARGV} REQUIRED)
    endif()
  endmacro()
endif()

set(THREADS_PREFER_PTHREAD_FLAG ON)
apikit_find_dependency(Threads)
apikit_find_dependency(Boost 1.81 CONFIG COMPONENTS json url)
apikit_find_dependency(fmt 9 CONFIG)
apikit_find_dependency(OpenSSL 3)
