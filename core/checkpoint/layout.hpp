// The names inside a checkpoint folder (docs/checkpoints.md describes each).
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace socrates::ckpt {

inline constexpr const char* kAdapterDir = "adapter";
inline constexpr const char* kTrainerState = "trainer_state.json";
inline constexpr const char* kConfig = "config.resolved.toml";
inline constexpr const char* kMetrics = "metrics.jsonl";
/// Under <run_dir>: checkpoints being written, before any sink has them.
inline constexpr const char* kStagingDir = ".staging";

/// "step-000000120": zero-padded so names sort by step.
inline std::string step_dir_name(std::int64_t step) { return fmt::format("step-{:09d}", step); }
/// "optimizer/rank-00000-of-00001.safetensors": one file per rank, room for ZeRO shards.
inline std::string optimizer_file(int rank, int world) {
  return fmt::format("optimizer/rank-{:05d}-of-{:05d}.safetensors", rank, world);
}
/// "rng/rank-00000.safetensors": the CPU and CUDA generator states of one rank.
inline std::string rng_file(int rank) { return fmt::format("rng/rank-{:05d}.safetensors", rank); }

}  // namespace socrates::ckpt
