// Shared by the training tests: a variant of experiments/quickstart.toml (the `sets` applied
// as --set options) trained in-process in <dir>/runs/<name>, with its token cache in <dir>/cache.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "plugin/plugin_registry.hpp"
#include "train/trainer.hpp"

namespace socrates::test {

inline TrainSummary train_quickstart_variant(const std::filesystem::path& dir, const std::string& name,
                                             std::vector<std::string> sets) {
  const std::filesystem::path src = SOCRATES_SOURCE_DIR;
  const std::filesystem::path exp = dir / (name + ".toml");
  std::ofstream(exp) << "include = [\"" << (src / "experiments/quickstart.toml").string() << "\"]\n";
  sets.insert(sets.end(), {"run.name=" + name, "run.output_dir=" + (dir / "runs").string(),
                           "data.cache_dir=" + (dir / "cache").string(), "training.sample_generations=0",
                           "data.inspect_examples=0"});
  PluginRegistry reg;
  Experiment e = Experiment::resolve(ExperimentFile::load(exp, sets), reg);
  const std::filesystem::path run_dir = dir / "runs" / name;
  std::filesystem::create_directories(run_dir);
  return train(e, run_dir);
}

}  // namespace socrates::test
