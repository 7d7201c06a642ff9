// The checkpoint sinks of a run: the experiment's [[checkpoint.sinks]] in file order, or the
// `local` sink with its defaults when none is configured.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "socrates/checkpoint_sink.hpp"

namespace socrates {

struct SinkHandle {
  std::string plugin;  // "local", "scp", ...
  std::string slot;    // "checkpoint.sinks[0]", or "default sink" for the implicit local sink
  std::shared_ptr<CheckpointSink> sink;

  /// A sink whose checkpoints live on this machine's disk: preferred when resuming.
  bool is_local() const { return plugin == "local"; }
  /// "checkpoint.sinks[1] (scp)" for messages.
  std::string label() const { return slot + " (" + plugin + ")"; }
};

/// Creates the run's sinks for `run_dir`. Throws ConfigError from a plugin's options, or
/// PluginError when the default `local` plugin cannot be found.
std::vector<SinkHandle> create_sinks(const Experiment& exp, const std::filesystem::path& run_dir);

}  // namespace socrates
