// Running a sweep's variants: one after another, or one per entry of --devices at a time.
// Each variant is its own process (`socrates resume RUN_DIR`: a run directory without a
// checkpoint starts at step 0, one with a checkpoint continues from it), so a crash stays in
// its variant, and a failed variant is recorded while the others go on. sweep.json is
// updated at every start and end.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/plugin_catalog.hpp"
#include "sweep/sweep_state.hpp"

namespace socrates::sweep {

struct RunOptions {
  std::filesystem::path exe;         // the socrates executable the variants run
  std::vector<std::string> devices;  // one slot per entry ("cuda:0", "cpu"); empty: one slot, devices as configured
  std::string log_level = "info";
};

struct RunTotals {
  int finished = 0, failed = 0, interrupted = 0, skipped = 0;  // skipped: finished before this call
  int stop_signal = 0;  // SIGINT/SIGTERM that stopped the sweep, else 0
};

/// The file a variant's console output goes to: <run_dir>/console.log.
inline constexpr const char* kConsoleLog = "console.log";

/// Runs every variant that has not finished (pending, interrupted, failed, or marked running
/// by a sweep process that died), in order. SIGINT/SIGTERM stop the sweep: running variants
/// get SIGTERM, save a checkpoint and are marked interrupted.
RunTotals run_variants(SweepState& state, const RunOptions& opts, PluginCatalog& catalog);

}  // namespace socrates::sweep
