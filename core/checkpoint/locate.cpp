#include "checkpoint/locate.hpp"

#include <algorithm>

#include "checkpoint/durable.hpp"
#include "checkpoint/layout.hpp"
#include "io/manifest.hpp"
#include "log/logging.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

struct Candidate {
  CheckpointRef ref;
  std::size_t sink = 0;
};

}  // namespace

std::optional<LocatedCheckpoint> locate_checkpoint(std::vector<SinkHandle>& sinks, const fs::path& staging) {
  auto log = host_logger();
  std::vector<Candidate> found;
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    try {
      for (CheckpointRef& r : sinks[i].sink->list()) found.push_back({std::move(r), i});
    } catch (const std::exception& e) {
      log->warn("resume: cannot list the checkpoints of {}: {}; looking in the other sinks", sinks[i].label(), e.what());
    }
  }
  std::stable_sort(found.begin(), found.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.ref.step != b.ref.step) return a.ref.step > b.ref.step;
    if (sinks[a.sink].is_local() != sinks[b.sink].is_local()) return sinks[a.sink].is_local();
    return a.sink < b.sink;
  });

  for (const Candidate& c : found) {
    const SinkHandle& from = sinks[c.sink];
    if (from.is_local()) {
      const std::string problem = verify_checkpoint(c.ref.dir);
      if (problem.empty()) return LocatedCheckpoint{c.ref.step, c.ref.dir, from.label(), false};
      log->warn("resume: skipping corrupt or partial checkpoint {} in {}: {}", c.ref.dir.string(), from.label(), problem);
      continue;
    }
    const fs::path dest = staging / ("fetched-" + ckpt::step_dir_name(c.ref.step));
    remove_tree(dest);
    std::error_code ec;
    fs::create_directories(staging, ec);
    log->info("resume: fetching checkpoint step {} from {} into {}", c.ref.step, from.label(), dest.string());
    std::string problem;
    try {
      from.sink->fetch(c.ref.step, dest);
      problem = verify_checkpoint(dest);
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (!problem.empty()) {
      log->warn("resume: skipping checkpoint step {} of {} ({}): {}", c.ref.step, from.label(), c.ref.dir.string(),
                problem);
      remove_tree(dest);
      continue;
    }
    for (SinkHandle& s : sinks) {
      if (!s.is_local()) continue;
      log->info("resume: putting the fetched checkpoint step {} back into {}", c.ref.step, s.label());
      try {
        s.sink->put(CheckpointRef{c.ref.step, dest, read_manifest(dest).metrics});
      } catch (const std::exception& e) {
        log->warn("resume: could not put the fetched checkpoint into {} ({}); resuming from the fetched copy anyway",
                  s.label(), e.what());
      }
    }
    return LocatedCheckpoint{c.ref.step, dest, from.label(), true};
  }
  return std::nullopt;
}

}  // namespace socrates
