# c10d for the ddp and zero2 plugins. The torch wheel ships c10d's headers and exports
# ProcessGroupGloo, TCPStore and Gloo itself from libtorch_cpu.so, but not Gloo's headers;
# scripts/fetch-gloo-headers.sh unpacks them from Debian's libgloo-dev into
# .cache/gloo-headers (headers only: Debian's libgloo is never linked). NCCL comes with a CUDA
# LibTorch (nvidia-nccl wheel); its code is compiled when CUDA is on (SocratesCuda.cmake),
# also on machines without a GPU.
#
# Defines SOCRATES_C10D (ON when the plugins can be built) and the interface target
# socrates_c10d (Gloo include directory; NCCL's and SOCRATES_HAVE_NCCL=1 when available).
include_guard(GLOBAL)

set(SOCRATES_GLOO_INCLUDE_DIR "" CACHE PATH "Gloo's headers (default: .cache/gloo-headers/include, fetched)")
set(_gloo "${SOCRATES_GLOO_INCLUDE_DIR}")
if(NOT _gloo)
  set(_gloo "${PROJECT_SOURCE_DIR}/.cache/gloo-headers/include")
  if(NOT EXISTS "${_gloo}/gloo/context.h")
    execute_process(COMMAND "${PROJECT_SOURCE_DIR}/scripts/fetch-gloo-headers.sh"
                    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
      message(WARNING "Socrates: could not fetch Gloo's headers (${_err}); the ddp and zero2 plugins are not built")
    endif()
  endif()
endif()

set(SOCRATES_C10D OFF)
if(EXISTS "${_gloo}/gloo/context.h")
  set(SOCRATES_C10D ON)
  add_library(socrates_c10d INTERFACE)
  target_include_directories(socrates_c10d SYSTEM INTERFACE "${_gloo}")
  if(SOCRATES_CUDA AND TARGET torch_cuda)
    find_path(SOCRATES_NCCL_INCLUDE_DIR nccl.h
              HINTS "${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include" "${TORCH_INSTALL_PREFIX}/../nvidia/cu13/include"
                    "${TORCH_INSTALL_PREFIX}/../nvidia/cu12/include" ENV NCCL_INCLUDE_DIR
              PATHS /usr/include /usr/local/cuda/include)
    if(SOCRATES_NCCL_INCLUDE_DIR)
      target_include_directories(socrates_c10d SYSTEM INTERFACE "${SOCRATES_NCCL_INCLUDE_DIR}")
      target_compile_definitions(socrates_c10d INTERFACE SOCRATES_HAVE_NCCL=1)
      target_link_libraries(socrates_c10d INTERFACE torch_cuda)
      message(STATUS "Socrates: c10d with Gloo (${_gloo}) and NCCL (${SOCRATES_NCCL_INCLUDE_DIR})")
    endif()
  endif()
  if(NOT SOCRATES_NCCL_INCLUDE_DIR)
    message(STATUS "Socrates: c10d with Gloo (${_gloo}); no NCCL in this build")
  endif()
endif()
