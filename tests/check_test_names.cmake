# Fails when a doctest case name holds a ';': ctest would split it into
# entries that run no test case and pass. Run as: cmake -DTEST_BINARY=… -P …
execute_process(COMMAND ${TEST_BINARY} --list-test-cases --no-version
  OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --list-test-cases failed (${rc})")
endif()
# Look at the raw text: a CMake list would split at the very ';' sought.
string(REGEX MATCHALL "[^\n]*;[^\n]*" bad "${listing}")
if(bad)
  string(REPLACE ";" "\\;" shown "${bad}")
  message(FATAL_ERROR "test case names with ';' (rename them):\n${shown}")
endif()
message(STATUS "no test case name holds a ';'")
