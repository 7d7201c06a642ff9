// sweep.json: the variants of a sweep, their overrides, run directories and status. The
// sweep process is its only writer (under sweep.lock); every write is atomic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "socrates/value.hpp"

namespace socrates::sweep {

enum class Status { pending, running, finished, failed, interrupted };
const char* to_string(Status s);

struct VariantState {
  std::string name;   // unique; also the run directory's name
  std::string group;  // the variant without its seed (runs of one group differ only in run.seed)
  std::optional<std::int64_t> seed;  // set when the sweep repeats variants over seeds
  std::vector<std::pair<std::string, Value>> overrides;  // what differs from the base
  std::string run_dir;  // relative to the sweep directory
  Status status = Status::pending;
  int attempts = 0;     // times a process was started for it
  std::optional<int> exit_code;
  std::string error;    // why it failed (exit status and the last error lines of its log)
  std::string device;   // the --devices entry it ran on last (empty: its config's [run] device)
  std::int64_t pid = 0; // of the running process
  std::string started_at, finished_at;  // UTC, ISO 8601
  double seconds = 0;   // wall time over all attempts
  std::optional<double> max_rss_gib;    // the largest resident set of its processes
};

struct SweepState {
  std::string name;
  std::filesystem::path dir;         // absolute
  std::filesystem::path sweep_file;  // what it was made from
  std::filesystem::path base;        // the base experiment
  std::string created_at;
  std::vector<std::string> command;  // the socrates command line that created it
  std::vector<std::string> common;   // overrides every variant shares, as section.key=value
  std::vector<std::string> swept;    // the keys the variants vary (not run.seed)
  int seeds = 1;
  std::vector<VariantState> variants;

  /// The run directory of a variant (absolute).
  std::filesystem::path run_dir(const VariantState& v) const { return dir / v.run_dir; }
};

inline constexpr const char* kSweepJson = "sweep.json";

/// Writes <dir>/sweep.json atomically.
void save_state(const SweepState& s);
/// Reads <dir>/sweep.json. Throws socrates::Error naming the file when it is missing or
/// malformed.
SweepState load_state(const std::filesystem::path& dir);
/// True when `dir` holds a sweep.json.
bool is_sweep_dir(const std::filesystem::path& dir);

/// The current UTC time, "2026-12-06T20:01:02Z".
std::string utc_now();

}  // namespace socrates::sweep
