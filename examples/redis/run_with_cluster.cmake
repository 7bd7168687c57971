# Runs an example against one node of the test fixture's Redis Cluster:
#   cmake -DEXAMPLE=<program> -DPORTS_FILE=<file holding the nodes' ports, one a line>
#         [-DNODE=<line, from 0; 0 by default: the first primary>] -P run_with_cluster.cmake
# Fails when there is no such port, or when the example fails.
cmake_minimum_required(VERSION 3.25)
if(NOT EXISTS "${PORTS_FILE}")
  message(FATAL_ERROR "no Redis Cluster: ${PORTS_FILE} does not exist (the fixture 'services: start redis cluster' did not run)")
endif()
if(NOT DEFINED NODE)
  set(NODE 0)
endif()
file(STRINGS "${PORTS_FILE}" ports REGEX "^[0-9]+$")
list(LENGTH ports count)
if(NOT NODE LESS count)
  message(FATAL_ERROR "no node ${NODE} in ${PORTS_FILE} (${count} ports)")
endif()
list(GET ports ${NODE} port)
execute_process(COMMAND "${EXAMPLE}" "redis://127.0.0.1:${port}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} failed (${rc})")
endif()
