#include "config/concerns.hpp"

namespace socrates {

const std::vector<ConcernSpec>& concerns() {
  static const std::vector<ConcernSpec> table = {
      {"dataset", "dataset", false, ""},
      {"prompt_format", "prompt", false, ""},
      {"adapter", "adapter", false, ""},
      {"objective", "objective", false, "sft"},
      {"optimizer", "optimizer", false, ""},
      {"parallelism", "parallelism", false, ""},
      {"checkpoint_sink", "checkpoint.sinks", true, ""},
      {"evaluator", "evaluators", true, ""},
  };
  return table;
}

const ConcernSpec* find_concern(const std::string& concern) {
  for (const ConcernSpec& c : concerns())
    if (c.concern == concern) return &c;
  return nullptr;
}

std::vector<std::string> concern_names() {
  std::vector<std::string> out;
  for (const ConcernSpec& c : concerns()) out.push_back(c.concern);
  return out;
}

}  // namespace socrates
