# Runs an example against the test fixture's redis-server:
#   cmake -DEXAMPLE=<program> -DPORT_FILE=<file holding the port> -P run_with_redis.cmake
# Fails when there is no port, or when the example fails.
cmake_minimum_required(VERSION 3.25)
if(NOT EXISTS "${PORT_FILE}")
  message(FATAL_ERROR "no redis-server: ${PORT_FILE} does not exist (the fixture 'services: start redis' did not run)")
endif()
file(READ "${PORT_FILE}" port)
string(STRIP "${port}" port)
execute_process(COMMAND "${EXAMPLE}" "redis://127.0.0.1:${port}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} failed (${rc})")
endif()
