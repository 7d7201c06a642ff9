// Hand-made evaluation runs with the tables the wasserstein, accuracy and demographic_parity
// evaluators produce, and a scratch folder per test.
#pragma once

#include <filesystem>
#include <string>

#include "eval/eval_run.hpp"

namespace socrates::test {

/// "tuned", sample mode. Cells (study, condition, task): s1/1/1 (w1 0.1, humans 1 2 2 3 5,
/// predictions 2 2 3 3 and one parse failure), s1/1/2 (w1 0.05, the best), s2/2/1 (w1 0.4,
/// the worst; humans 0 and 10, predictions 5 5), s2/2/2 (w1 0.01 but n_pred 0: ignored) and
/// s2/3/1 (no w1: ignored). Reports: wasserstein (W1 0.152, uniform 0.203, bootstrap 0.125,
/// parse failures 2.5%, 3 cells) and accuracy (0.412); no demographic_parity.
EvalRun tuned_run();

/// "base": wasserstein (W1 0.231, parse failures 10%; studies s1 0.2, s2 0.35 and s3 0.5,
/// which the tuned run lacks) and demographic_parity (0.08); no accuracy.
EvalRun base_run();

/// A fresh empty folder under the system temp folder, removed at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& file);

}  // namespace socrates::test
