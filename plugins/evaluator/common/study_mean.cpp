#include "study_mean.hpp"

#include <limits>

namespace socrates::eval {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double StudyMean::Study::mean() const { return cells ? static_cast<double>(sum / static_cast<long double>(cells)) : kNaN; }

void StudyMean::add(const std::string& study_id, double cell_score) {
  Study& s = studies_[study_id];
  ++s.cells;
  s.sum += cell_score;
}

double StudyMean::overall() const {
  if (studies_.empty()) return kNaN;
  long double sum = 0;
  for (const auto& [id, s] : studies_) sum += s.mean();
  return static_cast<double>(sum / static_cast<long double>(studies_.size()));
}

std::size_t StudyMean::cells() const {
  std::size_t n = 0;
  for (const auto& [id, s] : studies_) n += s.cells;
  return n;
}

double StudyMean::study(const std::string& study_id) const {
  auto it = studies_.find(study_id);
  return it == studies_.end() ? kNaN : it->second.mean();
}

}  // namespace socrates::eval
