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
    PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
  # Labels are set by a script that CTest runs after the discovered tests are defined:
  # gtest_discover_tests splits a list value ("unit;shm") into separate arguments, so several
  # labels cannot pass through its PROPERTIES.
  set(label_script "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
  file(WRITE "${label_script}"
    "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${label_script}")
  # Tests labelled `tsan` are the ThreadSanitizer suite: `cmake --build --preset tsan --target tsan_tests`.
  if(";${ARG_LABELS};" MATCHES ";tsan;")
    if(NOT TARGET tsan_tests)
      add_custom_target(tsan_tests)
    endif()
    add_dependencies(tsan_tests ${name})
  endif()
endfunction()
