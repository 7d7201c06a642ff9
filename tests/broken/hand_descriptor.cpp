// A descriptor written by hand (not with SOCRATES_PLUGIN) so that fields can be wrong.
#include "socrates/plugin.hpp"

#ifndef BROKEN_ABI
#define BROKEN_ABI SOCRATES_ABI_VERSION
#endif
#ifndef BROKEN_CONCERN
#define BROKEN_CONCERN "evaluator"
#endif

// The build info: the host's, or one with another C++ ABI flag or spdlog version.
#if defined(BROKEN_CXXABI)
#define BROKEN_BUILD_INFO "gcc 12; cxx11-abi 7; spdlog 0.0.1; sdk " SOCRATES_SDK_VERSION
#elif defined(BROKEN_SPDLOG)
#define BROKEN_BUILD_INFO \
  "gcc 12; cxx11-abi " SOCRATES_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) "; spdlog 0.0.1; sdk " SOCRATES_SDK_VERSION
#else
#define BROKEN_BUILD_INFO SOCRATES_BUILD_INFO
#endif

namespace {
socrates::Component* create(const socrates::PluginContext&) { return nullptr; }
void destroy(socrates::Component*) {}
}  // namespace

extern "C" SOCRATES_API const socrates_plugin_descriptor socrates_plugin = {
    BROKEN_ABI, sizeof(socrates_plugin_descriptor), "hand-made", BROKEN_CONCERN, "1.0.0", "broken on purpose",
    nullptr,    0, TORCH_VERSION, BROKEN_BUILD_INFO, &create, &destroy,
};
