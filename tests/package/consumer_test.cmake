# One step of the package tests; tests/package/CMakeLists.txt runs each as a
# ctest test. Run as: cmake -DSTEP=<step> -D<variable>=... -P consumer_test.cmake
#
#   install             cmake --install apikit's build tree into WORK_DIR/prefix
#                       and check that every public header got there
#   find_package        build the consumer against that prefix, run it
#   find_package_redis  configure the consumer with find_package(apikit COMPONENTS redis)
#   plain_find_package  configure the consumer with a plain find_package(apikit)
#   add_subdirectory    build the consumer with apikit's source tree inside it,
#                       run it, and check none of apikit's tests or examples came along
#   fetchcontent        build the consumer through FetchContent_Declare(SOURCE_DIR),
#                       run it, and check none of apikit's tests or examples came along
cmake_minimum_required(VERSION 3.25)

foreach(var STEP APIKIT_SOURCE_DIR APIKIT_BINARY_DIR APIKIT_VERSION CONSUMER_SOURCE_DIR WORK_DIR
            CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "consumer_test.cmake needs -D${var}=...")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${rc}): ${command}\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

# Configures the consumer in WORK_DIR/<step>, from scratch, with apikit
# reached through `via`; extra arguments go to cmake.
function(configure_consumer via)
  set(build "${WORK_DIR}/${STEP}")
  file(REMOVE_RECURSE "${build}")
  set(make_program "")
  if(MAKE_PROGRAM)
    set(make_program "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  run(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${build}" -G "${GENERATOR}" ${make_program}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Debug -DAPIKIT_CONSUMER_VIA=${via} ${ARGN})
  if(NOT output MATCHES "apikit came in through ${via}")
    message(FATAL_ERROR "the consumer's configure did not reach its end:\n${output}")
  endif()
endfunction()

# Builds the consumer configured by configure_consumer and checks what it prints.
function(build_and_run_consumer)
  set(build "${WORK_DIR}/${STEP}")
  run(${CMAKE_COMMAND} --build "${build}")
  run("${build}/consumer")
  # The consumer prints a request id, then a status and an error envelope.
  set(id "req_[0-9A-Za-z]+")
  set(envelope [[\{"error":\{"code":"validation_error","message":"Invalid request parameters",]]
    [["details":\[\{"field":"email","message":"Invalid format"\}\],"request_id":"]])
  string(JOIN "" envelope ${envelope})
  if(NOT output MATCHES "^${id}\n422 ${envelope}${id}\"\}\}\n$")
    message(FATAL_ERROR "the consumer printed something unexpected:\n${output}")
  endif()
  message(STATUS "the consumer ran:\n${output}")
endfunction()

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE "${prefix}")
  run(${CMAKE_COMMAND} --install "${APIKIT_BINARY_DIR}" --prefix "${prefix}")
  # Every public header is installed, and nothing under include/ that is not one.
  file(GLOB_RECURSE source_headers RELATIVE "${APIKIT_SOURCE_DIR}/include" "${APIKIT_SOURCE_DIR}/include/*")
  file(GLOB_RECURSE installed_headers RELATIVE "${prefix}/include" "${prefix}/include/*")
  list(SORT source_headers)
  list(SORT installed_headers)
  if(NOT source_headers STREQUAL installed_headers OR NOT source_headers)
    message(FATAL_ERROR "the installed headers differ from include/:\n"
      "source:    ${source_headers}\ninstalled: ${installed_headers}")
  endif()
  file(GLOB_RECURSE config "${prefix}/*/apikitConfig.cmake")
  file(GLOB_RECURSE config_version "${prefix}/*/apikitConfigVersion.cmake")
  if(NOT config OR NOT config_version)
    message(FATAL_ERROR "no apikitConfig.cmake or apikitConfigVersion.cmake under ${prefix}")
  endif()
  list(LENGTH installed_headers n)
  message(STATUS "installed ${n} headers and ${config} into ${prefix}")
elseif(STEP STREQUAL "find_package")
  configure_consumer(find_package "-DCMAKE_PREFIX_PATH=${prefix}" -DAPIKIT_EXPECTED_VERSION=${APIKIT_VERSION})
  build_and_run_consumer()
elseif(STEP STREQUAL "find_package_redis")
  configure_consumer(find_package_redis "-DCMAKE_PREFIX_PATH=${prefix}" -DAPIKIT_EXPECTED_VERSION=${APIKIT_VERSION})
elseif(STEP STREQUAL "plain_find_package")
  configure_consumer(plain_find_package "-DCMAKE_PREFIX_PATH=${prefix}" -DAPIKIT_EXPECTED_VERSION=${APIKIT_VERSION})
elseif(STEP STREQUAL "add_subdirectory")
  configure_consumer(add_subdirectory "-DAPIKIT_SOURCE_DIR=${APIKIT_SOURCE_DIR}")
  build_and_run_consumer()
  # Beyond the configure-time check in the consumer: nothing of apikit's own
  # was generated, let alone built.
  foreach(dir tests examples bench)
    if(EXISTS "${WORK_DIR}/${STEP}/apikit/${dir}")
      message(FATAL_ERROR "apikit's ${dir}/ was configured inside the consumer's build")
    endif()
  endforeach()
  file(GLOB_RECURSE programs LIST_DIRECTORIES false "${WORK_DIR}/${STEP}/apikit/*")
  list(FILTER programs INCLUDE REGEX "/apikit[-_][^/]*$")
  if(programs)
    message(FATAL_ERROR "apikit's own programs were built inside the consumer's build: ${programs}")
  endif()
elseif(STEP STREQUAL "fetchcontent")
  configure_consumer(fetchcontent "-DAPIKIT_SOURCE_DIR=${APIKIT_SOURCE_DIR}")
  build_and_run_consumer()
else()
  message(FATAL_ERROR "unknown STEP ${STEP}")
endif()
