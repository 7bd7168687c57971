# Fails when any of HEADERS, compiled alone, includes a Beast or Asio header.
# Run as: cmake -DCXX=… -DINCLUDE_ROOT=… -DHEADERS=a;b -P check_no_io.cmake
if(NOT HEADERS)
  message(FATAL_ERROR "no headers to check: the glob found nothing")
endif()
set(failed "")
foreach(header IN LISTS HEADERS)
  execute_process(
    COMMAND ${CXX} -std=c++20 -x c++ -M -I${INCLUDE_ROOT} ${INCLUDE_ROOT}/${header}
    OUTPUT_VARIABLE deps ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${header}: the compiler failed:\n${err}")
    list(APPEND failed ${header})
  elseif(deps MATCHES "boost/(beast|asio)[/.]")
    string(REGEX MATCH "[^ \n]*boost/(beast|asio)[^ \n]*" first "${deps}")
    message(SEND_ERROR "${header} pulls in ${first}")
    list(APPEND failed ${header})
  endif()
endforeach()
list(LENGTH HEADERS n)
if(failed)
  message(FATAL_ERROR "layering broken in: ${failed}")
endif()
message(STATUS "${n} headers checked: none includes Beast or Asio")
