# cmake -DPROMTOOL=<path> -DCOMMAND=<program;args> -DOUTPUT=<file> -P promtool_check.cmake
# Runs COMMAND, writes its standard output to OUTPUT, and runs
# `promtool check metrics` on it: both must succeed, and promtool must not
# complain (it prints lint problems and exits non-zero; any output fails).
if(NOT PROMTOOL)
  message(FATAL_ERROR "promtool not found: `./dev deps` (or `./dev test`) unpacks it into "
    "build/tools/ from Debian's prometheus package; then configure again")
endif()
execute_process(COMMAND ${COMMAND}
  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${COMMAND} failed (${rc}):\n${err}")
endif()
if(text STREQUAL "")
  message(FATAL_ERROR "${COMMAND} printed no metrics")
endif()
file(WRITE ${OUTPUT} "${text}")
execute_process(COMMAND ${PROMTOOL} check metrics
  INPUT_FILE ${OUTPUT} OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "")
  message(FATAL_ERROR "promtool check metrics on ${OUTPUT} (${rc}):\n${out}")
endif()
message(STATUS "promtool check metrics: ${OUTPUT} passes with no complaint")
