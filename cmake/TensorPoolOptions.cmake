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

# tp_label_discovered_tests(<test list variable> <labels>): labels tests gtest_discover_tests
# defines. A script CTest runs after the discovered tests are defined sets them: gtest_discover_tests
# splits a list value ("unit;shm") into separate arguments, so several labels cannot pass through
# its PROPERTIES.
function(tp_label_discovered_tests list_var labels)
  set(label_script "${CMAKE_CURRENT_BINARY_DIR}/${list_var}_labels.cmake")
  file(WRITE "${label_script}"
    "if(${list_var})\n  set_tests_properties(\${${list_var}} PROPERTIES LABELS \"${labels}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${label_script}")
endfunction()

# tp_add_gtest(<name> LABELS ... SOURCES ... DEPS ... [TIMEOUT s] [AERON_VARIANT]): one CTest entry
# per test case. AERON_VARIANT registers every case a second time as `aeron:<case>`, labelled
# `aeron` too, with TP_TEST_TRANSPORT=aeron so the tests run on the Aeron backend through a real
# media driver (tests/support/aeron_test_driver.hpp); without Aeron one skipped `aeron:<name>`
# entry says why.
function(tp_add_gtest name)
  cmake_parse_arguments(ARG "AERON_VARIANT" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  tp_target_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    TEST_LIST ${name}_TESTS
    PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
  tp_label_discovered_tests(${name}_TESTS "${ARG_LABELS}")
  if(ARG_AERON_VARIANT)
    if(TP_HAVE_AERON AND TP_AERONMD_EXECUTABLE)
      gtest_discover_tests(${name}
        TEST_PREFIX "aeron:"
        TEST_LIST ${name}_aeron_TESTS
        PROPERTIES TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "TP_TEST_TRANSPORT=aeron"
        DISCOVERY_TIMEOUT 60)
      tp_label_discovered_tests(${name}_aeron_TESTS "${ARG_LABELS};aeron")
    else()
      add_test(NAME aeron:${name}
        COMMAND sh -c "echo '${name} on the Aeron backend: skipped, this build has no Aeron (configure with -DAERON_ROOT=<prefix> of an installation with aeronmd)'; exit 77")
      set_tests_properties(aeron:${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "${ARG_LABELS};aeron")
    endif()
  endif()
  # Tests labelled `tsan` are the ThreadSanitizer suite: `cmake --build --preset tsan --target tsan_tests`.
  if(";${ARG_LABELS};" MATCHES ";tsan;")
    if(NOT TARGET tsan_tests)
      add_custom_target(tsan_tests)
    endif()
    add_dependencies(tsan_tests ${name})
  endif()
endfunction()
