# apikit_test_area: everything an area's tests need, in one call from
# tests/<area>/CMakeLists.txt. Included by tests/CMakeLists.txt, which defines
# the shared doctest main (apikit_test_main) and the precompiled headers
# (apikit_test_pch_core, apikit_test_pch_http) first.
#
#   apikit_test_area(<area>
#     [HTTP]                     the tests use Beast or Asio: the precompiled
#                                header that holds them (pch_http.hpp)
#     [BACKEND <backend>]        the whole area is this backend's (redis): no
#                                tests without apikit::<backend>
#     [MAY_INCLUDE <area>...]    areas the area's headers may include, besides
#                                core and itself (dependencies point down)
#     [IO]                       the area's headers may include Beast and Asio
#                                (http, redis); otherwise only its middleware,
#                                async_* and backend headers may
#     [IO_HEADERS <header>...]   more headers of the area that may, relative to
#                                include/apikit/<area>/ (any_limiter.hpp)
#     [THREADED <file>...]       test files that run threads the pattern below
#                                cannot see (a server in another process)
#     [PROGRAMS <target>...]     programs the tests run: built first, their
#                                path in <TARGET>_BINARY (apikit-server ->
#                                APIKIT_SERVER_BINARY)
#     [LIBRARIES <target>...]  [DEFINITIONS <def>...]  [INCLUDE_DIRECTORIES <dir>...])
#
# It gives the area:
# - apikit_<area>_tests, one doctest binary from every tests/<area>/*_test.cpp
#   (a new test file needs no CMake edit), compiled as a unity build on the
#   shared precompiled header, each case a ctest test named "<area>: <case>";
#   and a test that no case name holds a ';'.
# - Backends: a test file named <backend>_*_test.cpp (redis_store_test.cpp) is
#   built only when apikit::<backend> exists; then the binary links it, every
#   case requires the backend's ctest fixture (tests/services/<backend>_fixture.cmake,
#   apikit_tests_require_<backend>), and APIKIT_TEST_WITH_<BACKEND> is 1 in
#   every test target (0 without it), for suites that run over every backend.
#   A new backend (postgres) is one entry in APIKIT_TEST_BACKENDS, a fixture
#   file, and its service in tests/services/CMakeLists.txt.
# - With APIKIT_TEST_SCOPE=concurrent (the ThreadSanitizer build) only the
#   test files that run threads: those naming std::thread, std::jthread or
#   running_server (a server runs its own threads), and THREADED. Every test
#   still runs in the other presets.
# - Its headers, include/apikit/<area>.hpp and include/apikit/<area>/**:
#   each compiled alone in a translation unit of its own with no precompiled
#   header (APIKIT_TEST_HEADERS_ALONE, the debug preset), and two ctest checks
#   of the layering: they include no other area than core, MAY_INCLUDE and
#   their own; and, unless IO, none but the middleware, async_* and backend
#   headers reaches Beast or Asio.

set(APIKIT_TEST_BACKENDS redis postgres)
set(APIKIT_TEST_THREAD_PATTERN "std::j?thread|running_server")

# The build-wide backend switches, on the shared doctest main so that the
# precompiled headers and every test target see the same definitions.
foreach(backend IN LISTS APIKIT_TEST_BACKENDS)
  string(TOUPPER ${backend} upper)
  if(TARGET apikit::${backend})
    target_compile_definitions(apikit_test_main PUBLIC APIKIT_TEST_WITH_${upper}=1)
  else()
    target_compile_definitions(apikit_test_main PUBLIC APIKIT_TEST_WITH_${upper}=0)
  endif()
endforeach()

function(apikit_test_area area)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "HTTP;IO" "BACKEND"
    "MAY_INCLUDE;IO_HEADERS;THREADED;PROGRAMS;LIBRARIES;DEFINITIONS;INCLUDE_DIRECTORIES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "apikit_test_area(${area}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  _apikit_area_headers(${area} "${ARG_IO}" "${ARG_MAY_INCLUDE}" "${ARG_IO_HEADERS}")

  if(ARG_BACKEND AND NOT TARGET apikit::${ARG_BACKEND})
    return()
  endif()
  set(backends ${ARG_BACKEND})
  file(GLOB sources CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
    ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  foreach(backend IN LISTS APIKIT_TEST_BACKENDS)
    set(of_backend ${sources})
    list(FILTER of_backend INCLUDE REGEX "^${backend}_.*_test\\.cpp$")
    if(NOT of_backend)
      continue()
    elseif(TARGET apikit::${backend})
      list(APPEND backends ${backend})
    else()
      list(REMOVE_ITEM sources ${of_backend})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES backends)

  if(APIKIT_TEST_SCOPE STREQUAL "concurrent")
    set(threaded "")
    foreach(source IN LISTS sources)
      file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/${source} hits REGEX "${APIKIT_TEST_THREAD_PATTERN}" LIMIT_COUNT 1)
      if(hits OR source IN_LIST ARG_THREADED)
        list(APPEND threaded ${source})
      endif()
    endforeach()
    set(sources ${threaded})
  endif()
  if(NOT sources)
    return()
  endif()

  set(target apikit_${area}_tests)
  add_executable(${target} ${sources})
  target_link_libraries(${target} PRIVATE apikit_test_main ${ARG_LIBRARIES})
  target_compile_definitions(${target} PRIVATE ${ARG_DEFINITIONS})
  target_include_directories(${target} PRIVATE ${ARG_INCLUDE_DIRECTORIES})
  if(ARG_HTTP)
    target_precompile_headers(${target} REUSE_FROM apikit_test_pch_http)
  else()
    target_precompile_headers(${target} REUSE_FROM apikit_test_pch_core)
  endif()
  set_target_properties(${target} PROPERTIES
    UNITY_BUILD ${APIKIT_TEST_UNITY_BUILD}
    UNITY_BUILD_BATCH_SIZE ${APIKIT_TEST_UNITY_BATCH})
  foreach(program IN LISTS ARG_PROGRAMS)
    string(MAKE_C_IDENTIFIER ${program} name)
    string(TOUPPER ${name} name)
    add_dependencies(${target} ${program})
    target_compile_definitions(${target} PRIVATE ${name}_BINARY="$<TARGET_FILE:${program}>")
  endforeach()

  set(labels ${area})
  if(APIKIT_TEST_SCOPE STREQUAL "concurrent")
    list(APPEND labels concurrent)
  endif()
  doctest_discover_tests(${target}
    TEST_PREFIX "${area}: "
    ADD_LABELS 0
    PROPERTIES LABELS "${labels}" TIMEOUT 120)
  # ctest splits a test name at ';', and the halves match no test case, run
  # nothing and pass. This entry fails instead, naming the case to rename.
  add_test(NAME "${area}: test case names are ctest-safe"
    COMMAND ${CMAKE_COMMAND} -DTEST_BINARY=$<TARGET_FILE:${target}>
      -P ${PROJECT_SOURCE_DIR}/tests/check_test_names.cmake)
  set_tests_properties("${area}: test case names are ctest-safe" PROPERTIES LABELS "${labels}")

  foreach(backend IN LISTS backends)
    target_link_libraries(${target} PRIVATE apikit::${backend})
    include(${PROJECT_SOURCE_DIR}/tests/services/${backend}_fixture.cmake)
    cmake_language(CALL apikit_tests_require_${backend} ${target})
  endforeach()
endfunction()

# The headers-alone translation units and the layering checks of one area.
function(_apikit_area_headers area io may_include io_headers)
  set(root ${PROJECT_SOURCE_DIR}/include)
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${root} ${root}/apikit/${area}/*.hpp)
  if(EXISTS ${root}/apikit/${area}.hpp)
    list(PREPEND headers apikit/${area}.hpp)
  endif()
  if(NOT headers OR NOT APIKIT_TEST_SCOPE STREQUAL "all")
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY APIKIT_TESTED_HEADERS ${headers})
  if(APIKIT_TEST_HEADERS_ALONE)
    apikit_headers_alone(${area} ${headers})
  endif()

  set(allowed core ${may_include})
  list(REMOVE_ITEM allowed ${area})
  list(REMOVE_DUPLICATES allowed)
  list(JOIN allowed ", " allowed_text)
  set(name "${area}: headers include no other area")
  if(allowed)
    string(APPEND name " than ${allowed_text}")
  endif()
  add_test(NAME "${name}"
    COMMAND ${CMAKE_COMMAND} -DINCLUDE_ROOT=${root} "-DHEADERS=${headers}" "-DALLOWED=${area};${allowed}"
      -P ${PROJECT_SOURCE_DIR}/tests/headers/check_includes.cmake)
  set_tests_properties("${name}" PROPERTIES LABELS "${area};headers")

  if(NOT io)
    # The parts that do I/O by design: the HTTP middleware, async_* helpers
    # and the backends (memory_* stays pure), and their detail/ headers.
    set(pure ${headers})
    list(FILTER pure EXCLUDE REGEX "/(detail/)?(middleware|async_[a-z_]*|redis_[a-z_]*|postgres_[a-z_]*)\\.hpp$")
    list(TRANSFORM io_headers PREPEND "apikit/${area}/")
    list(REMOVE_ITEM pure ${io_headers})
    set(io_headers ${headers})
    list(REMOVE_ITEM io_headers ${pure})
    list(TRANSFORM io_headers REPLACE "^apikit/${area}/" "")
    list(JOIN io_headers ", " io_text)
    set(name "${area}: headers include neither Beast nor Asio")
    if(io_headers)
      string(APPEND name ", but for ${io_text}")
    endif()
    add_test(NAME "${name}"
      COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DINCLUDE_ROOT=${root} "-DHEADERS=${pure}"
        -P ${PROJECT_SOURCE_DIR}/tests/headers/check_no_io.cmake)
    set_tests_properties("${name}" PROPERTIES LABELS "${area};headers")
  endif()
endfunction()

# apikit_headers_alone(<name> <header>...): each header included first, twice,
# in a translation unit of its own, with no precompiled header to hide a
# missing include; compiled against the target that carries its dependencies:
# apikit::apikit, or for a backend's headers (apikit/redis.hpp, apikit/redis/…,
# apikit/<area>/redis_*.hpp and their detail/) apikit::<backend>, skipped when
# that target does not exist.
function(apikit_headers_alone name)
  set(sets apikit ${APIKIT_TEST_BACKENDS})
  foreach(set IN LISTS sets)
    set(sources_${set} "")
  endforeach()
  foreach(header IN LISTS ARGN)
    set(set apikit)
    foreach(backend IN LISTS APIKIT_TEST_BACKENDS)
      if(header MATCHES "^apikit/${backend}(/|\\.hpp$)" OR
         header MATCHES "^apikit/[a-z_]+/(detail/)?${backend}_[a-z_]*\\.hpp$")
        set(set ${backend})
      endif()
    endforeach()
    string(MAKE_C_IDENTIFIER ${header} id)
    set(source ${PROJECT_BINARY_DIR}/tests/headers/alone/${id}.cpp)
    set(content "#include <${header}>\n#include <${header}> // include guards hold\n")
    set(old "")
    if(EXISTS ${source})
      file(READ ${source} old)
    endif()
    if(NOT old STREQUAL content)
      file(WRITE ${source} ${content})
    endif()
    list(APPEND sources_${set} ${source})
  endforeach()
  foreach(set IN LISTS sets)
    if(NOT sources_${set} OR NOT TARGET apikit::${set})
      continue()
    endif()
    set(target apikit_${name}_headers_alone)
    if(NOT set STREQUAL "apikit")
      string(APPEND target _${set})
    endif()
    add_library(${target} OBJECT ${sources_${set}})
    target_link_libraries(${target} PRIVATE apikit::${set} apikit_warnings)
    # Objects that are never linked nor debugged: no debug information.
    target_compile_options(${target} PRIVATE -g0)
  endforeach()
endfunction()
