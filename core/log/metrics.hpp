// Run metrics: one JSON object per line in metrics.jsonl plus TensorBoard scalars.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "log/tensorboard.hpp"

namespace socrates {

class MetricsWriter {
 public:
  /// Appends to <run_dir>/metrics.jsonl and writes TensorBoard events to <run_dir>/tensorboard/.
  explicit MetricsWriter(const std::filesystem::path& run_dir);
  /// {"step": step, "kind": kind, name: value...}; each value also goes to TensorBoard as kind/name.
  void write(const std::string& kind, std::int64_t step, const std::map<std::string, double>& values);

 private:
  std::filesystem::path file_;
  std::ofstream out_;
  std::unique_ptr<TensorBoardWriter> tb_;
};

}  // namespace socrates
