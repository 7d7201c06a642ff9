// The plugin descriptor, the context the host hands to every plugin, and the export macro.
//
// A plugin is a shared library that exports exactly one symbol, `socrates_plugin`, of type
// socrates_plugin_descriptor. The host reads `abi_version` (always the first field) before it
// touches anything else, then the rest of the descriptor, then calls `create` once per
// component it needs. Objects are destroyed through `destroy`, and the host keeps the
// library loaded while any of them is alive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

#include <c10/core/Device.h>
#include <spdlog/logger.h>
#include <spdlog/version.h>
#include <torch/version.h>

#include "socrates/abi.hpp"
#include "socrates/config.hpp"
#include "socrates/error.hpp"
#include "socrates/host.hpp"

namespace socrates {

/// Base of every component a plugin creates. Concern interfaces derive from it.
class SOCRATES_API Component {
 public:
  virtual ~Component() = default;
};

/// What the host gives a plugin when it creates a component.
struct PluginContext {
  /// The host's logger (console + run.log). Plugins log through it, never through their own.
  std::shared_ptr<spdlog::logger> logger;
  /// Device the run computes on ("cpu", "cuda:0", ...).
  c10::Device device{c10::kCPU};
  /// The run directory; empty when the host only validates an experiment.
  std::filesystem::path run_dir;
  /// The plugin's own section, validated against its schema, defaults filled in.
  ConfigSection config;
  /// The run's seed ([run] seed).
  std::uint64_t seed = 0;
  /// Process identity from the launcher (RANK, WORLD_SIZE, LOCAL_RANK); 0/1/0 when single.
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  /// Host services (safetensors I/O, atomic writes); always set by the host.
  const HostServices* host = nullptr;
};

}  // namespace socrates

extern "C" {

/// Type of one option in a plugin's schema.
enum socrates_option_type : std::uint32_t {
  SOCRATES_BOOL = 0,
  SOCRATES_INT = 1,
  SOCRATES_FLOAT = 2,  // accepts an int too
  SOCRATES_STRING = 3,
  SOCRATES_PATH = 4,   // a string; relative paths resolve against the file that set them
  SOCRATES_STRING_LIST = 5,
  SOCRATES_INT_LIST = 6,
  SOCRATES_FLOAT_LIST = 7,
  SOCRATES_PATH_LIST = 8,  // strings, each resolved like SOCRATES_PATH
};

/// One option of a plugin's config section.
struct socrates_option {
  const char* key;
  socrates_option_type type;
  const char* default_toml;  // default as a TOML value ("16", "\"cosine\"", "[\"q_proj\"]"); nullptr = required
  const char* doc;           // one line
  const char* choices;       // for strings: "a|b|c"; nullptr = any
};

/// The one symbol a plugin exports. Layout is fixed for a given abi_version.
struct socrates_plugin_descriptor {
  std::uint32_t abi_version;  // SOCRATES_ABI_VERSION the plugin was built with; MUST stay first
  std::uint32_t descriptor_size;
  const char* name;         // unique within its concern, e.g. "lora"
  const char* concern;      // "dataset", "prompt_format", "adapter", "optimizer", "parallelism", "checkpoint_sink", "evaluator"
  const char* version;      // the plugin's own version, e.g. "1.0.0"
  const char* description;  // one line
  const socrates_option* options;
  std::uint32_t option_count;
  const char* torch_version;  // TORCH_VERSION the plugin was built against; major.minor must match the host
  const char* build_info;     // compiler and C++ ABI, for diagnostics
  /// Creates a component; the returned pointer is the concern interface's Component base.
  /// Throws socrates::Error (usually ConfigError) on bad options. Must be cheap: no data I/O.
  socrates::Component* (*create)(const socrates::PluginContext& ctx);
  /// Destroys what `create` returned.
  void (*destroy)(socrates::Component* component);
};

}  // extern "C"

#define SOCRATES_PLUGIN_SYMBOL "socrates_plugin"

#define SOCRATES_STRINGIFY_IMPL(x) #x
#define SOCRATES_STRINGIFY(x) SOCRATES_STRINGIFY_IMPL(x)
/// Compiler, C++ ABI flag, spdlog version and SDK version. The loader refuses a plugin whose
/// cxx11-abi or spdlog version differs from the host's (std::string and spdlog::logger cross
/// the boundary in PluginContext).
#define SOCRATES_BUILD_INFO                                                                       \
  "gcc " __VERSION__ "; cxx11-abi " SOCRATES_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) "; spdlog "     \
  SOCRATES_STRINGIFY(SPDLOG_VER_MAJOR) "." SOCRATES_STRINGIFY(SPDLOG_VER_MINOR) "." SOCRATES_STRINGIFY( \
      SPDLOG_VER_PATCH) "; sdk " SOCRATES_SDK_VERSION

/// Exports the descriptor of a plugin whose component class IMPL implements the concern
/// interface INTERFACE (socrates::Adapter, ...), is constructible from a PluginContext, and
/// has the option table OPTIONS (an array of socrates_option; use SOCRATES_NO_OPTIONS for none).
///
///   SOCRATES_PLUGIN(socrates::Optimizer, AdamW, "adamw", "1.0.0", "AdamW with decoupled decay", kOptions)
#define SOCRATES_PLUGIN(INTERFACE, IMPL, NAME, VERSION, DESCRIPTION, OPTIONS)                       \
  static_assert(std::is_base_of_v<INTERFACE, IMPL>, "IMPL must derive from INTERFACE");           \
  static_assert(std::is_constructible_v<IMPL, const socrates::PluginContext&>,                    \
                "IMPL needs a constructor taking const socrates::PluginContext&");                \
  namespace {                                                                                     \
  socrates::Component* socrates_plugin_create(const socrates::PluginContext& ctx) {               \
    return static_cast<socrates::Component*>(static_cast<INTERFACE*>(new IMPL(ctx)));             \
  }                                                                                               \
  void socrates_plugin_destroy(socrates::Component* c) { delete c; }                              \
  }                                                                                               \
  extern "C" SOCRATES_API const socrates_plugin_descriptor socrates_plugin = {                    \
      SOCRATES_ABI_VERSION,                                                                       \
      sizeof(socrates_plugin_descriptor),                                                         \
      NAME,                                                                                       \
      INTERFACE::kConcern,                                                                        \
      VERSION,                                                                                    \
      DESCRIPTION,                                                                                \
      socrates::detail::option_table(OPTIONS),                                                    \
      socrates::detail::option_count(OPTIONS),                                                    \
      TORCH_VERSION,                                                                              \
      SOCRATES_BUILD_INFO,                                                                        \
      &socrates_plugin_create,                                                                    \
      &socrates_plugin_destroy,                                                                   \
  }

/// An option table with no options.
#define SOCRATES_NO_OPTIONS nullptr

namespace socrates::detail {
template <std::size_t N>
constexpr const socrates_option* option_table(const socrates_option (&a)[N]) { return a; }
constexpr const socrates_option* option_table(std::nullptr_t) { return nullptr; }
template <std::size_t N>
constexpr std::uint32_t option_count(const socrates_option (&)[N]) { return static_cast<std::uint32_t>(N); }
constexpr std::uint32_t option_count(std::nullptr_t) { return 0; }
}  // namespace socrates::detail
