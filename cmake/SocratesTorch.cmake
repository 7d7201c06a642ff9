# Finds LibTorch and hides the fmt headers it ships.
#
# LibTorch comes from the project venv (scripts/setup.sh passes its
# torch.utils.cmake_prefix_path) or from a user's CMAKE_PREFIX_PATH. Its include directory
# carries fmt 12 headers, while Debian's spdlog is built against fmt 9: including them
# first would mix two fmt versions. We point the Torch targets at a mirror of
# <torch>/include without fmt/.
if(TARGET torch AND DEFINED SOCRATES_TORCH_INCLUDE_DIR)
  return()
endif()

# A CUDA build of LibTorch probes the local GPUs unless told which architectures to target;
# that probe fails on machines without one (CI). Hopper (H100/H200) by default.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "9.0")
endif()
find_package(Torch REQUIRED)
if(Torch_VERSION VERSION_LESS 2.5)
  message(FATAL_ERROR "Socrates needs LibTorch >= 2.5, found ${Torch_VERSION} in ${TORCH_INSTALL_PREFIX}. "
                      "Run scripts/setup.sh, or set CMAKE_PREFIX_PATH to a newer LibTorch.")
endif()

set(_socrates_torch_inc "${TORCH_INSTALL_PREFIX}/include")
set(SOCRATES_TORCH_INCLUDE_DIR "${CMAKE_BINARY_DIR}/socrates-torch-include")
file(MAKE_DIRECTORY "${SOCRATES_TORCH_INCLUDE_DIR}")
file(GLOB _socrates_entries RELATIVE "${_socrates_torch_inc}" "${_socrates_torch_inc}/*")
foreach(_e IN LISTS _socrates_entries)
  if(NOT _e STREQUAL "fmt" AND NOT EXISTS "${SOCRATES_TORCH_INCLUDE_DIR}/${_e}")
    file(CREATE_LINK "${_socrates_torch_inc}/${_e}" "${SOCRATES_TORCH_INCLUDE_DIR}/${_e}" SYMBOLIC)
  endif()
endforeach()

foreach(_t torch torch_library torch_cpu torch_cpu_library c10 torch_cuda torch_cuda_library c10_cuda)
  if(TARGET ${_t})
    get_target_property(_incs ${_t} INTERFACE_INCLUDE_DIRECTORIES)
    if(_incs)
      list(TRANSFORM _incs REPLACE "^${_socrates_torch_inc}$" "${SOCRATES_TORCH_INCLUDE_DIR}")
      list(TRANSFORM _incs REPLACE "^${_socrates_torch_inc}/" "${SOCRATES_TORCH_INCLUDE_DIR}/")
      set_target_properties(${_t} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_incs}")
    endif()
  endif()
endforeach()
# libtorch.so and libtorch_cpu.so export their own std::filesystem functions, which crash
# when called from our code (remove_all jumps to a null pointer). Make libstdc++ the first
# DT_NEEDED of everything linking Torch so the dynamic linker binds to the real ones.
set_property(TARGET torch APPEND PROPERTY INTERFACE_LINK_OPTIONS
  "SHELL:-Wl,--push-state,--no-as-needed -lstdc++ -Wl,--pop-state")
# TorchConfig adds -D_GLIBCXX_USE_CXX11_ABI through TORCH_CXX_FLAGS; the target carries it too.
message(STATUS "Socrates: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")
