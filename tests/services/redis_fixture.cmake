# apikit_tests_require_redis(<test target>)
#
# Makes every doctest case of <test target> (an apikit_test_area binary;
# apikit_test_area calls this for an area with Redis tests, so areas need not)
# require the ctest fixture "redis" (tests/services/CMakeLists.txt: a
# throwaway redis-server, started before the first such test and stopped
# after the last), and gives it, in its environment:
#   APIKIT_REDIS_PORT_FILE  the file holding the server's port
#   APIKIT_REDIS_SERVER     the redis-server binary, for private servers
#                           (tests/services/redis_server.hpp)
# Call it from the directory that defines the target. The cases are found
# only after the build, so their properties are set by a script that ctest
# runs after doctest's list of them (which defines <target>_TESTS).
function(apikit_tests_require_redis target)
  if(NOT TARGET ${target})
    return()
  endif()
  find_program(APIKIT_REDIS_SERVER redis-server DOC "redis-server for the Redis tests (./dev deps)")
  set(env "APIKIT_REDIS_PORT_FILE=${PROJECT_BINARY_DIR}/tests/services/redis-state/port")
  if(APIKIT_REDIS_SERVER)
    string(APPEND env ";APIKIT_REDIS_SERVER=${APIKIT_REDIS_SERVER}")
  endif()
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_redis_fixture.cmake)
  file(WRITE ${script}
    "if(${target}_TESTS)\n"
    "  set_tests_properties(\${${target}_TESTS} PROPERTIES\n"
    "    FIXTURES_REQUIRED redis ENVIRONMENT \"${env}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()
