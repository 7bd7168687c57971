# Fails when any of HEADERS includes an apikit area not in ALLOWED: the
# dependencies between areas point down only (DESIGN.md, "Layers"), so that
# <apikit/http.hpp> never pulls in a pattern area, nor core a higher layer.
# Run as: cmake -DINCLUDE_ROOT=… -DHEADERS=a;b -DALLOWED=core;http -P check_includes.cmake
cmake_minimum_required(VERSION 3.25) # IN_LIST
if(NOT HEADERS)
  message(FATAL_ERROR "no headers to check: the glob found nothing")
endif()
list(JOIN ALLOWED ", " allowed_text)
set(failed "")
foreach(header IN LISTS HEADERS)
  file(STRINGS ${INCLUDE_ROOT}/${header} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]apikit/")
  foreach(line IN LISTS includes)
    string(REGEX MATCH "apikit/([a-z_0-9]+)" _ "${line}")
    set(area ${CMAKE_MATCH_1})
    if(NOT area IN_LIST ALLOWED)
      string(STRIP "${line}" line)
      message(SEND_ERROR "${header}: ${line} (may include only ${allowed_text})")
      list(APPEND failed ${header})
    endif()
  endforeach()
endforeach()
list(LENGTH HEADERS n)
if(failed)
  list(REMOVE_DUPLICATES failed)
  message(FATAL_ERROR "layering broken in: ${failed}")
endif()
message(STATUS "${n} headers checked: they include only ${allowed_text}")
