// Averaging cell scores the paper's way: cells within a study, then the study means.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace socrates::eval {

class StudyMean {
 public:
  struct Study {
    std::size_t cells = 0;
    long double sum = 0;
    double mean() const;  // NaN with no cells
  };

  /// One cell's score. A NaN score makes its study's mean (and the overall mean) NaN.
  void add(const std::string& study_id, double cell_score);

  /// The mean of the study means; NaN when nothing was added.
  double overall() const;
  std::size_t studies() const { return studies_.size(); }
  std::size_t cells() const;
  /// Per study, ordered by study_id.
  const std::map<std::string, Study>& per_study() const { return studies_; }
  /// The study's mean; NaN for a study with no cells.
  double study(const std::string& study_id) const;

 private:
  std::map<std::string, Study> studies_;
};

}  // namespace socrates::eval
