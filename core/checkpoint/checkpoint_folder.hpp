// Writing and reading the files of one checkpoint folder (layout in docs/checkpoints.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "checkpoint/trainer_state.hpp"
#include "socrates/adapter.hpp"
#include "socrates/optimizer.hpp"

namespace socrates {

/// What a checkpoint saves and restores, for one rank.
struct TrainingParts {
  Adapter* adapter = nullptr;
  Optimizer* optimizer = nullptr;
  c10::Device device{c10::kCPU};
  int rank = 0;
  int world_size = 1;
};

/// This rank's files: optimizer/rank-R-of-W.safetensors and rng/rank-R.safetensors.
void write_rank_files(const std::filesystem::path& dir, const TrainingParts& parts);

/// Reads this rank's files back; "" when they load, else what is wrong.
std::string verify_rank_files(const std::filesystem::path& dir, const TrainingParts& parts);

/// optimizer/*.safetensors of checkpoint `dir` (one per rank that saved it), sorted.
std::vector<std::filesystem::path> optimizer_files(const std::filesystem::path& dir);

/// Rank 0's files: adapter/, trainer_state.json, config.resolved.toml (`config_toml`, the
/// resolved experiment) and a copy of `run_dir`'s metrics.jsonl.
void write_shared_files(const std::filesystem::path& dir, const TrainingParts& parts, const TrainerState& state,
                        const std::string& config_toml, const std::filesystem::path& run_dir);

/// The metrics the manifest records: every number metrics.jsonl holds for `step`, named
/// "<kind>.<name>" ("train.loss", "eval.loss", ...), and "train.loss" = `loss` always.
std::map<std::string, double> step_metrics(const std::filesystem::path& metrics_file, std::int64_t step, double loss);

/// Flushes every file and folder of `dir` to disk, writes manifest.json (last) and
/// verifies it. Throws socrates::Error naming the problem.
void seal_checkpoint(const std::filesystem::path& dir, std::int64_t step, const std::map<std::string, double>& metrics);

/// trainer_state.json of checkpoint `dir`.
TrainerState read_trainer_state(const std::filesystem::path& dir);

/// Loads the adapter, the optimizer state (every rank's file, merged by tensor name, so any
/// number of ranks resumes any checkpoint) and this rank's RNG state from checkpoint `dir`.
/// Returns warnings (e.g. RNG state from another device type).
std::vector<std::string> restore_parts(const std::filesystem::path& dir, const TrainingParts& parts);

}  // namespace socrates
