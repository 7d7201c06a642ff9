// accuracy: the paper's "1 - mean(|pred - human| / (max - min))". Per row that has both a
// human answer and a model answer, err = |clip(pred) - human| / width of the cell's range;
// 1 - mean err, averaged cell -> study -> overall like W1. Distribution rows score their
// expected error, and P(answer == human) as their exact match.
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include <socrates/evaluator.hpp>

#include "cells.hpp"
#include "study_mean.hpp"

namespace {

using namespace socrates::eval;

const socrates_option kOptions[] = {
    {"range", SOCRATES_STRING, "\"human\"",
     "Range that divides the error: human = [min, max] of the cell's human answers (the paper); stated = the stated "
     "scale when the rows give both ends, else the human range.",
     "human|stated"},
    {"parse_failure", SOCRATES_STRING, "\"worst\"",
     "A row whose model answer did not parse: worst = error 1 and no exact match; skip = the row is not scored.",
     "worst|skip"},
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct RowScore {
  double err = 0;    // in [0, 1]
  double exact = 0;  // 1/0 for a sampled answer, a probability for a distribution
};

class Accuracy final : public socrates::Evaluator {
 public:
  explicit Accuracy(const socrates::PluginContext& ctx)
      : logger_(ctx.logger),
        range_(parse_range_mode(ctx.config.get<std::string>("range"))),
        failure_worst_(ctx.config.get<std::string>("parse_failure") == "worst") {}

  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    StudyMean cell_err;
    struct StudyCount {
      std::int64_t rows = 0;
      long double exact = 0;
    };
    std::map<std::string, StudyCount> per_study;
    long double err_sum = 0, exact_sum = 0;
    std::int64_t scored = 0;

    for (const Cell& cell : group_cells(rows)) {
      const std::optional<Range> range = cell_range(cell.rows, cell.key, range_);
      if (!range) continue;  // no human answer: nothing to compare with
      long double cell_sum = 0;
      std::int64_t cell_n = 0;
      for (const socrates::PredictionRow* r : cell.rows) {
        std::optional<RowScore> s;
        try {
          s = score(*r, *range);
        } catch (const socrates::Error& e) {
          throw socrates::Error("accuracy: " + describe(cell.key) + ": " + e.what());
        }
        if (!s) continue;
        cell_sum += s->err;
        ++cell_n;
        err_sum += s->err;
        exact_sum += s->exact;
        StudyCount& st = per_study[cell.key.study_id];
        ++st.rows;
        st.exact += s->exact;
      }
      if (cell_n > 0) cell_err.add(cell.key.study_id, static_cast<double>(cell_sum / static_cast<long double>(cell_n)));
      scored += cell_n;
    }

    socrates::ResultTable studies{"studies", {"study_id", "n_rows", "accuracy", "exact_match"}, {}};
    for (const auto& [id, st] : per_study)
      studies.rows.push_back({id, st.rows, 1.0 - cell_err.study(id),
                              static_cast<double>(st.exact / static_cast<long double>(st.rows))});

    socrates::EvalReport report;
    auto& m = report.metrics;
    const long double n = static_cast<long double>(scored);
    m["accuracy"] = 1.0 - cell_err.overall();
    m["accuracy.rows"] = scored ? static_cast<double>(1.0L - err_sum / n) : kNaN;
    m["accuracy.exact_match"] = scored ? static_cast<double>(exact_sum / n) : kNaN;
    m["accuracy.rows_scored"] = static_cast<double>(scored);
    report.tables.push_back(std::move(studies));
    if (logger_)
      logger_->info("accuracy: {:.4f} (rows {:.4f}, exact match {:.4f}) over {} rows in {} studies", m["accuracy"],
                    m["accuracy.rows"], m["accuracy.exact_match"], scored, cell_err.studies());
    return report;
  }

 private:
  // nullopt: the row is not scored (no human answer, no model answer, or a skipped failure).
  std::optional<RowScore> score(const socrates::PredictionRow& r, const Range& range) const {
    if (!r.response) return std::nullopt;
    const double h = *r.response;
    const auto err = [&](double answer) {
      return range.width() > 0 ? std::fabs(clip(answer, range) - h) / range.width() : 0.0;
    };
    switch (model_answer(r)) {
      case ModelAnswer::parse_failed:
        if (!failure_worst_) return std::nullopt;
        return RowScore{1.0, 0.0};
      case ModelAnswer::sampled:
        return RowScore{err(*r.prediction), std::round(*r.prediction) == h ? 1.0 : 0.0};
      case ModelAnswer::distribution: {
        RowScore s;
        for (const Mass& m : row_masses(r)) {
          s.err += m.weight * err(m.value);
          s.exact += std::round(m.value) == h ? m.weight : 0.0;
        }
        return s;
      }
      case ModelAnswer::none:
        break;
    }
    return std::nullopt;
  }

  std::shared_ptr<spdlog::logger> logger_;
  RangeMode range_;
  bool failure_worst_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, Accuracy, "accuracy", "1.0.0",
                "1 - mean |clip(prediction) - human| / cell range per participant, averaged cell -> study -> "
                "overall; exact-match rate",
                kOptions);
