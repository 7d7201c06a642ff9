# socrates_add_test() for tests under tests/ and next to plugins (plugins/<concern>/<name>/).
include_guard(GLOBAL)
find_package(GTest REQUIRED)
include(GoogleTest)

# Where tests find the shared fixtures (../shared/fixtures from the project root).
set(SOCRATES_FIXTURES_DIR "${PROJECT_SOURCE_DIR}/../shared/fixtures" CACHE PATH "Reference fixtures")

# The tests' stub plugins (tests/plugins/, one per concern) are built here, outside the
# plugin directory the host searches, so that `socrates plugins list` never shows them.
set(SOCRATES_TEST_PLUGIN_DIR "${PROJECT_BINARY_DIR}/tests/stub-plugins")

# socrates_add_test(<name> SOURCES <src>... [LIBRARIES <lib>...] [PLUGIN <plugin target>])
# PLUGIN defines SOCRATES_PLUGIN_FILE, the built plugin, for loading it through the real loader.
function(socrates_add_test name)
  cmake_parse_arguments(T "" "PLUGIN" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE socrates_core GTest::gtest GTest::gtest_main GTest::gmock ${T_LIBRARIES})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    SOCRATES_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SOCRATES_BINARY_DIR="${PROJECT_BINARY_DIR}"
    SOCRATES_FIXTURES_DIR="${SOCRATES_FIXTURES_DIR}"
    SOCRATES_TEST_PLUGIN_DIR="${SOCRATES_TEST_PLUGIN_DIR}"
    SOCRATES_BROKEN_PLUGIN_DIR="${PROJECT_BINARY_DIR}/tests/broken-plugins"
    SOCRATES_EXE="$<TARGET_FILE:socrates>")
  if(T_PLUGIN)
    add_dependencies(${name} ${T_PLUGIN})
    target_compile_definitions(${name} PRIVATE SOCRATES_PLUGIN_FILE="$<TARGET_FILE:${T_PLUGIN}>")
  endif()
  socrates_use_pch(${name})
  # PRE_TEST: fixtures added later are discovered when ctest runs, without a rebuild.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()
