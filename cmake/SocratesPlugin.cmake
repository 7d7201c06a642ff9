# socrates_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
#
# Builds a Socrates plugin: a MODULE library with hidden visibility, linked to
# Socrates::sdk, named <target>.so (no "lib" prefix). In the Socrates build tree it lands
# in the plugin directory the host searches (<build>/lib/socrates/plugins); out of tree it
# lands in the caller's binary directory. Either way it installs to
# <prefix>/lib/socrates/plugins: always "lib", not CMAKE_INSTALL_LIBDIR (lib64,
# lib/x86_64-linux-gnu), because bin/socrates looks in ../lib/socrates/plugins.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(socrates_add_plugin target)
  cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "socrates_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  if(TARGET Socrates::sdk)
    target_link_libraries(${target} PRIVATE Socrates::sdk ${P_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE socrates_sdk ${P_LIBRARIES})
  endif()
  if(NOT P_OUTPUT_DIRECTORY)
    if(DEFINED SOCRATES_PLUGIN_OUTPUT_DIR)
      set(P_OUTPUT_DIRECTORY "${SOCRATES_PLUGIN_OUTPUT_DIR}")
    else()
      set(P_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    DEFINE_SYMBOL ""
    LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIRECTORY}")
  # Without this, GCC's STB_GNU_UNIQUE symbols make glibc keep a plugin mapped forever.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
  if(COMMAND socrates_use_pch)
    socrates_use_pch(${target})
  endif()
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION lib/socrates/plugins)
  endif()
endfunction()
