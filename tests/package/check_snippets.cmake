# Checks that every code snippet a document marks as quoted from a source file
# is that file's text, so docs cannot drift from code that is built and run;
# and that every link from a document to a file of the repository resolves.
#
# A quoted snippet in Markdown is an HTML comment right before a fenced block:
#
#   <!-- snippet: examples/core/core_tour.cpp#ids -->
#   ```cpp
#   ...
#   ```
#
# `path` alone quotes the whole file. `path#name` quotes the lines between two
# marker lines in the file, `// [name]` (or `# [name]`; the first may carry a
# comment after it), less their common indentation.
#
# Run as: cmake -DROOT=<repo> -P check_snippets.cmake (checks README.md, docs/
# and every .md under examples/)
# Fails when a marked snippet differs, its file or region is missing, a link
# points at no file, or no document marks any snippet at all.
cmake_minimum_required(VERSION 3.25)

# CMake lists split on `;` and treat `[`, `]` and `\` specially, and source code
# is full of them: lines are split with those characters swapped for tokens,
# and swapped back when a line is put together again.
function(escape_text text out)
  string(REPLACE "\\" "@apikit_backslash@" text "${text}")
  string(REPLACE ";" "@apikit_semicolon@" text "${text}")
  string(REPLACE "[" "@apikit_lbracket@" text "${text}")
  string(REPLACE "]" "@apikit_rbracket@" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(unescape_text text out)
  string(REPLACE "@apikit_rbracket@" "]" text "${text}")
  string(REPLACE "@apikit_lbracket@" "[" text "${text}")
  string(REPLACE "@apikit_semicolon@" ";" text "${text}")
  string(REPLACE "@apikit_backslash@" "\\" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The text of `region` in `file`, dedented, each line ending in "\n"; sets
# `out` to "" and `error` to a reason when the region is not there.
function(read_region file region out error)
  set(${out} "" PARENT_SCOPE)
  set(${error} "" PARENT_SCOPE)
  file(READ "${file}" text)
  escape_text("${text}" text)
  string(REPLACE "\n" ";" lines "${text}")
  set(inside OFF)
  set(found OFF)
  set(body "")
  escape_text("[${region}]" marker)
  foreach(line IN LISTS lines)
    string(STRIP "${line}" stripped)
    if(NOT inside)
      if(stripped MATCHES "^(//|#) ${marker}( |$)")
        set(inside ON)
      endif()
    elseif(stripped MATCHES "^(//|#) ${marker}$")
      set(found ON)
      break()
    else()
      list(APPEND body "${line}")
    endif()
  endforeach()
  if(NOT found)
    set(${error} "no region [${region}] in ${file}" PARENT_SCOPE)
    return()
  endif()
  # The indentation common to the region's non-blank lines goes.
  set(indent 1000)
  foreach(line IN LISTS body)
    if(line MATCHES "^( *)[^ ]")
      string(LENGTH "${CMAKE_MATCH_1}" n)
      if(n LESS indent)
        set(indent ${n})
      endif()
    endif()
  endforeach()
  set(result "")
  foreach(line IN LISTS body)
    if(line MATCHES "^ *$")
      string(APPEND result "\n")
    else()
      string(SUBSTRING "${line}" ${indent} -1 line)
      string(APPEND result "${line}\n")
    endif()
  endforeach()
  unescape_text("${result}" result)
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE docs RELATIVE "${ROOT}" "${ROOT}/docs/*.md" "${ROOT}/examples/*.md")
set(DOCS README.md ${docs})
set(checked 0)
set(failures "")
foreach(doc IN LISTS DOCS)
  if(NOT EXISTS "${ROOT}/${doc}")
    continue()
  endif()
  file(READ "${ROOT}/${doc}" text)
  set(open "<!-- snippet: ")
  while(TRUE)
    string(FIND "${text}" "${open}" at)
    if(at EQUAL -1)
      break()
    endif()
    string(LENGTH "${open}" n)
    math(EXPR at "${at} + ${n}")
    string(SUBSTRING "${text}" ${at} -1 text)
    string(FIND "${text}" " -->" end)
    string(SUBSTRING "${text}" 0 ${end} ref)
    # The fenced block follows the comment on the next line.
    if(NOT text MATCHES "^[^\n]* -->\n(```[^\n]*\n)")
      string(APPEND failures "${doc}: the snippet of ${ref} is not followed by a fenced block\n")
      continue()
    endif()
    string(LENGTH "${CMAKE_MATCH_0}" n)
    string(SUBSTRING "${text}" ${n} -1 text)
    string(FIND "${text}" "```" close)
    if(close EQUAL -1)
      string(APPEND failures "${doc}: the snippet of ${ref} has no closing fence\n")
      break()
    endif()
    string(SUBSTRING "${text}" 0 ${close} quoted)
    string(SUBSTRING "${text}" ${close} -1 text)

    string(REGEX MATCH "^([^#]+)(#(.+))?$" _ "${ref}")
    set(path "${CMAKE_MATCH_1}")
    set(region "${CMAKE_MATCH_3}")
    if(NOT EXISTS "${ROOT}/${path}")
      string(APPEND failures "${doc}: quotes ${path}, which does not exist\n")
      continue()
    endif()
    if(region STREQUAL "")
      file(READ "${ROOT}/${path}" expected)
      set(error "")
    else()
      read_region("${ROOT}/${path}" "${region}" expected error)
    endif()
    if(error)
      string(APPEND failures "${doc}: ${error}\n")
    elseif(NOT quoted STREQUAL expected)
      string(APPEND failures "${doc}: the snippet of ${ref} differs from the source; it should read:\n${expected}\n")
    endif()
    math(EXPR checked "${checked} + 1")
  endwhile()
endforeach()

# Links to files of the repository resolve (code is left out first: `[](x)`
# is a lambda, not a link).
foreach(doc IN LISTS DOCS)
  if(NOT EXISTS "${ROOT}/${doc}")
    continue()
  endif()
  file(READ "${ROOT}/${doc}" text)
  # A fence becomes one character first: a fenced block may hold backticks.
  string(ASCII 1 fence)
  string(REPLACE "```" "${fence}" text "${text}")
  string(REGEX REPLACE "${fence}[^${fence}]*${fence}" "" text "${text}")
  string(REGEX REPLACE "`[^`\n]*`" "" text "${text}")
  # "](" becomes a token first: a list element holding `]` confuses CMake.
  string(REPLACE "](" "@apikit_link@" text "${text}")
  string(REGEX MATCHALL "@apikit_link@[^) \n]+" links "${text}")
  cmake_path(GET doc PARENT_PATH dir)
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^@apikit_link@([^#]*).*$" "\\1" target "${link}")
    if(target STREQUAL "" OR target MATCHES "^[a-z]+:")
      continue() # an anchor in the same page, or a URL
    endif()
    if(NOT EXISTS "${ROOT}/${dir}/${target}")
      string(APPEND failures "${doc}: links to ${target}, which does not exist\n")
    endif()
  endforeach()
endforeach()

if(NOT failures STREQUAL "")
  message("${failures}") # as it is: FATAL_ERROR would rewrap the quoted code
  message(FATAL_ERROR "the docs disagree with the sources (above)")
endif()
if(checked EQUAL 0)
  message(FATAL_ERROR "no document marks a snippet: nothing was checked")
endif()
message(STATUS "${checked} snippets match their sources")
