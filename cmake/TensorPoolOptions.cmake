# Project-wide compile options and helpers.

set(TP_WARNINGS -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)

# tp_add_library(<name> SOURCES ... DEPS ...): a layer library with project warnings.
function(tp_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(tensorpool::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/src>)
  target_compile_options(${name} PRIVATE ${TP_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} ${ARG_DEPS})
endfunction()

# tp_target_warnings(<target>): project warnings on an executable or test.
function(tp_target_warnings target)
  target_compile_options(${target} PRIVATE ${TP_WARNINGS})
endfunction()

# tp_add_gtest(<name> LABELS ... SOURCES ... DEPS ...): one CTest entry per test case.
function(tp_add_gtest name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  tp_target_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
