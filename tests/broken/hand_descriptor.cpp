// A descriptor written by hand (not with SOCRATES_PLUGIN) so that fields can be wrong.
#include "socrates/plugin.hpp"

#ifndef BROKEN_ABI
#define BROKEN_ABI SOCRATES_ABI_VERSION
#endif
#ifndef BROKEN_CONCERN
#define BROKEN_CONCERN "evaluator"
#endif

namespace {
socrates::Component* create(const socrates::PluginContext&) { return nullptr; }
void destroy(socrates::Component*) {}
}  // namespace

extern "C" SOCRATES_API const socrates_plugin_descriptor socrates_plugin = {
    BROKEN_ABI, sizeof(socrates_plugin_descriptor), "hand-made", BROKEN_CONCERN, "1.0.0", "broken on purpose",
    nullptr,    0, TORCH_VERSION, SOCRATES_BUILD_INFO, &create, &destroy,
};
