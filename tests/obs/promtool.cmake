# promtool: `promtool check metrics` on what a program prints, as a ctest.
#
#   include(${PROJECT_SOURCE_DIR}/tests/obs/promtool.cmake)
#   apikit_promtool_test(NAME "obs: the example's metrics pass promtool check metrics"
#     COMMAND $<TARGET_FILE:apikit-example-obs-metrics> [args...]
#     [LABELS obs] [FIXTURES_REQUIRED <fixture>...])
#
# runs COMMAND, which must exit 0, and passes its standard output to
# `promtool check metrics`, which must exit 0 and say nothing (a lint
# complaint fails the test too). To check a running server's /metrics, the
# COMMAND fetches it and prints the body (curl -sf http://127.0.0.1:PORT/metrics);
# or a C++ test that starts the server (tests/server/fixture.hpp) gets the
# path after this include, through
#   target_compile_definitions(<tests> PRIVATE APIKIT_PROMTOOL="${APIKIT_PROMTOOL}")
# writes the body it fetched to a file and runs
# `APIKIT_PROMTOOL check metrics < file` (std::system), expecting 0 and no output.
#
# promtool is found on PATH or in build/tools/, where `./dev deps` and
# `./dev test` unpack it (Debian's prometheus package, not installed). Not
# found, the test fails and says how to get it.
find_program(APIKIT_PROMTOOL promtool
  PATHS ${PROJECT_SOURCE_DIR}/build/tools
  DOC "promtool, for the `promtool check metrics` tests (./dev deps puts it in build/tools/)")

function(apikit_promtool_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "COMMAND;LABELS;FIXTURES_REQUIRED")
  if(NOT ARG_NAME OR NOT ARG_COMMAND)
    message(FATAL_ERROR "apikit_promtool_test: NAME and COMMAND are required")
  endif()
  string(MAKE_C_IDENTIFIER "${ARG_NAME}" id)
  add_test(NAME "${ARG_NAME}"
    COMMAND ${CMAKE_COMMAND} "-DPROMTOOL=${APIKIT_PROMTOOL}"
      "-DCOMMAND=${ARG_COMMAND}" -DOUTPUT=${CMAKE_CURRENT_BINARY_DIR}/${id}.prom
      -P ${PROJECT_SOURCE_DIR}/tests/obs/promtool_check.cmake)
  set_tests_properties("${ARG_NAME}" PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 60)
  if(ARG_FIXTURES_REQUIRED)
    set_tests_properties("${ARG_NAME}" PROPERTIES FIXTURES_REQUIRED "${ARG_FIXTURES_REQUIRED}")
  endif()
endfunction()
