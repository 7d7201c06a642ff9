// One dataset row in the SocSci210 schema.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace socrates {

/// One participant's answer to one task, with everything needed to render a prompt.
struct Example {
  std::int64_t sample_id = -1;
  std::int64_t participant = -1;  // unique within a study
  std::string study_id;
  std::int64_t condition_num = 0;
  std::int64_t task_num = 0;
  /// Demographic attributes in the dataset's column order; nullopt = missing in the data.
  std::vector<std::pair<std::string, std::optional<std::string>>> demographic;
  std::string stimuli;    // vignette, question and answer-format sentence
  std::string prompt;     // the dataset's fully rendered prompt
  std::string reasoning;
  std::optional<std::int64_t> response;  // the human answer (the label)
  std::optional<double> scale_min;       // stated answer scale, when known
  std::optional<double> scale_max;
};

}  // namespace socrates
