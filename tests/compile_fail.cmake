# apikit_add_compile_fail_tests(<area> <dir>)
#
# Each <dir>/*.cpp is a program that must NOT compile, and whose diagnostic
# must contain the text of its `// expect: <text>` line: a compile-time check
# (a static_assert, a consteval function) is tested by what a user who breaks
# it would read. Each file is one ctest test, labelled <area>, compiled with
# -fsyntax-only by the build's own compiler.
function(apikit_add_compile_fail_tests area dir)
  if(NOT APIKIT_TEST_SCOPE STREQUAL "all")
    return() # the ThreadSanitizer build runs threads, not compilers
  endif()
  file(GLOB cases CONFIGURE_DEPENDS ${dir}/*.cpp)
  foreach(source IN LISTS cases)
    get_filename_component(name ${source} NAME_WE)
    file(STRINGS ${source} expect REGEX "^// expect: ")
    if(NOT expect)
      message(FATAL_ERROR "${source} has no '// expect: <text>' line")
    endif()
    string(REPLACE "// expect: " "" expect "${expect}")
    set(test "${area}: does not compile: ${name}")
    add_test(NAME "${test}"
      COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only
        -I${PROJECT_SOURCE_DIR}/include ${source})
    # The exit status alone would also pass a file that fails for an
    # unrelated reason (a typo); the expected text pins the reason.
    set_tests_properties("${test}" PROPERTIES
      PASS_REGULAR_EXPRESSION "${expect}" LABELS "${area};compile-fail")
  endforeach()
endfunction()
