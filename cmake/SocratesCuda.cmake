# Socrates's own CUDA kernels (socrates_quant, the adamw8bit plugin). They are compiled when
# LibTorch has CUDA and nvcc is found, also on machines without a GPU (CI), so that they
# always build; otherwise only the CPU paths exist. Hopper (sm_90: H100, H200).
include_guard(GLOBAL)
include(CheckLanguage)

set(SOCRATES_CUDA OFF)
if(TARGET torch_cuda)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)  # the libcudart LibTorch loads, not a second static copy
    enable_language(CUDA)
    set(SOCRATES_CUDA ON)
    message(STATUS "Socrates: CUDA kernels with ${CMAKE_CUDA_COMPILER} (sm_90)")
  endif()
endif()
if(NOT SOCRATES_CUDA)
  message(STATUS "Socrates: no CUDA compiler or a CPU-only LibTorch: CPU paths only")
endif()

# socrates_cuda_sources(<target> <PUBLIC|PRIVATE> <DEFINE> [PRECISE] <file.cu>...)
# Adds the kernels to <target> and defines <DEFINE>=1 when CUDA is on; does nothing otherwise.
# --use_fast_math as bitsandbytes builds, so the kernels round as its kernels do; PRECISE
# kernels keep IEEE math (expf, division), so that they round as PyTorch's own kernels do.
function(socrates_cuda_sources target scope define)
  if(NOT SOCRATES_CUDA)
    return()
  endif()
  cmake_parse_arguments(_cu "PRECISE" "" "" ${ARGN})
  set(_files ${_cu_UNPARSED_ARGUMENTS})
  target_sources(${target} PRIVATE ${_files})
  set_source_files_properties(${_files} TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  if(NOT _cu_PRECISE)
    set_property(SOURCE ${_files} TARGET_DIRECTORY ${target} APPEND PROPERTY COMPILE_OPTIONS --use_fast_math)
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
  target_compile_definitions(${target} ${scope} ${define}=1)
  set_target_properties(${target} PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON CUDA_ARCHITECTURES 90
                                             CUDA_VISIBILITY_PRESET hidden)
endfunction()
