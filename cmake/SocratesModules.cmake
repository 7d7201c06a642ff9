# The host's module libraries: one static library per folder of core/, with declared
# dependencies. socrates_module() checks at configure time that a module's files include
# only its own headers, the SDK's and those of the modules it declares, and a module can
# only declare modules declared before it, so the module graph cannot have a cycle. A new
# include that breaks the layering fails the configure step with the file and the line.
include_guard(GLOBAL)

set_property(GLOBAL PROPERTY SOCRATES_MODULES "")

# socrates_module(<name> [DEPS <module>...] [LIBRARIES <target>...])
function(socrates_module name)
  cmake_parse_arguments(M "" "" "DEPS;LIBRARIES" ${ARGN})
  get_property(_known GLOBAL PROPERTY SOCRATES_MODULES)
  foreach(_d IN LISTS M_DEPS)
    if(NOT _d IN_LIST _known)
      message(FATAL_ERROR "core module '${name}' depends on '${_d}', which is not declared before it "
                          "(declared so far: ${_known}). Modules form a DAG in declaration order.")
    endif()
  endforeach()
  set(_dir ${CMAKE_CURRENT_SOURCE_DIR}/${name})
  file(GLOB _sources CONFIGURE_DEPENDS ${_dir}/*.cpp)
  file(GLOB _headers CONFIGURE_DEPENDS ${_dir}/*.hpp)
  list(FILTER _sources EXCLUDE REGEX "/cli/main\\.cpp$")
  # Layering: every #include "<folder>/..." names this module, the SDK or a declared dependency.
  foreach(_f IN LISTS _sources _headers)
    file(STRINGS ${_f} _lines REGEX "^[ \t]*#[ \t]*include[ \t]+\"[a-z_]+/")
    foreach(_l IN LISTS _lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([a-z_]+)/.*" "\\1" _m "${_l}")
      if(NOT _m STREQUAL name AND NOT _m STREQUAL "socrates" AND NOT _m IN_LIST M_DEPS)
        file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR} ${_f})
        message(FATAL_ERROR "${_rel}: ${_l}\n  core module '${name}' may include only its own headers, the SDK "
                            "and its declared dependencies (${M_DEPS}). Declare the dependency in core/CMakeLists.txt "
                            "if it keeps the module graph acyclic, or move the code to the right module.")
      endif()
    endforeach()
  endforeach()
  add_library(socrates_${name} STATIC ${_sources})
  target_include_directories(socrates_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  list(TRANSFORM M_DEPS PREPEND socrates_ OUTPUT_VARIABLE _dep_targets)
  target_link_libraries(socrates_${name} PUBLIC socrates_sdk torch spdlog::spdlog fmt::fmt ${_dep_targets}
                                                ${M_LIBRARIES})
  target_compile_definitions(socrates_${name} PUBLIC BOOST_DLL_USE_STD_FS SOCRATES_VERSION="${PROJECT_VERSION}")
  socrates_use_pch(socrates_${name})
  set_property(GLOBAL APPEND PROPERTY SOCRATES_MODULES ${name})
endfunction()
