// ABI and visibility macros shared by the host and every plugin.
#pragma once

#include <cstdint>

// Bump on ANY change to an SDK type that crosses the host/plugin boundary (descriptor
// layout, interface vtables, PluginContext, Value/ConfigSection, record structs).
// The host refuses a plugin whose descriptor carries another value.
#define SOCRATES_ABI_VERSION 6u
#define SOCRATES_SDK_VERSION "0.1.0"

// Types that cross the boundary (exceptions, interfaces) keep default visibility so that
// RTTI and exception matching work between the host and plugins built with
// -fvisibility=hidden.
#define SOCRATES_API __attribute__((visibility("default")))

namespace socrates {
inline constexpr std::uint32_t kAbiVersion = SOCRATES_ABI_VERSION;
}  // namespace socrates
