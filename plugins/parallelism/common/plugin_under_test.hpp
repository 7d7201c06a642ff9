// Creates the parallelism plugin under test (SOCRATES_PLUGIN_FILE) as this process's rank,
// from the torchrun environment the test harness set, with optional option overrides.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "plugin/components.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/parallelism.hpp"

namespace socrates::testing_ranks {

inline std::shared_ptr<Parallelism> make_parallelism(Table cfg = {}) {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  PluginContext ctx = standalone_context(*lib, "parallelism", std::move(cfg));
  auto env = [](const char* n, int d) { const char* v = std::getenv(n); return v ? std::atoi(v) : d; };
  ctx.rank = env("RANK", 0);
  ctx.world_size = env("WORLD_SIZE", 1);
  ctx.local_rank = env("LOCAL_RANK", 0);
  return lib->create<Parallelism>(ctx);
}

}  // namespace socrates::testing_ranks
