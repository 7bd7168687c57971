# apikit_tests_require_redis(<test target>)
#
# Makes every doctest case of <test target> (an apikit_test_area binary;
# apikit_test_area calls this for an area with Redis tests, so areas need not)
# require the ctest fixtures "redis" and "redis_cluster"
# (tests/services/CMakeLists.txt: a throwaway redis-server and a throwaway
# 3-primary Redis Cluster, started before the first such test and stopped
# after the last), and gives it, in its environment:
#   APIKIT_REDIS_PORT_FILE           the file holding the server's port
#   APIKIT_REDIS_CLUSTER_PORTS_FILE  the file holding the cluster's ports, one
#                                    a line, primaries first
#                                    (tests/services/redis_cluster.sh)
#   APIKIT_REDIS_SERVER              the redis-server binary, for private
#                                    servers and clusters
#                                    (tests/services/redis_server.hpp,
#                                    redis_cluster.hpp)
#   APIKIT_REDIS_CLI                 the redis-cli binary, which creates
#                                    private clusters
# Every Redis case waits for both services, even one that uses only the
# server: ctest's fixtures are per test, and a case list per fixture would be
# one more list to keep right.
# Call it from the directory that defines the target. The cases are found
# only after the build, so their properties are set by a script that ctest
# runs after doctest's list of them (which defines <target>_TESTS).
function(apikit_tests_require_redis target)
  if(NOT TARGET ${target})
    return()
  endif()
  find_program(APIKIT_REDIS_SERVER redis-server DOC "redis-server for the Redis tests (./dev deps)")
  find_program(APIKIT_REDIS_CLI redis-cli DOC "redis-cli for the Redis Cluster tests (./dev deps: redis-tools)")
  set(services ${PROJECT_BINARY_DIR}/tests/services)
  set(env "APIKIT_REDIS_PORT_FILE=${services}/redis-state/port")
  string(APPEND env ";APIKIT_REDIS_CLUSTER_PORTS_FILE=${services}/redis-cluster-state/ports")
  if(APIKIT_REDIS_SERVER)
    string(APPEND env ";APIKIT_REDIS_SERVER=${APIKIT_REDIS_SERVER}")
  endif()
  if(APIKIT_REDIS_CLI)
    string(APPEND env ";APIKIT_REDIS_CLI=${APIKIT_REDIS_CLI}")
  endif()
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_redis_fixture.cmake)
  file(WRITE ${script}
    "if(${target}_TESTS)\n"
    "  set_tests_properties(\${${target}_TESTS} PROPERTIES\n"
    "    FIXTURES_REQUIRED \"redis;redis_cluster\" ENVIRONMENT \"${env}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()
