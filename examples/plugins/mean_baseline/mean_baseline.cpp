// mean-baseline: an example third-party evaluator.
//
// Asks "are the predictions better than predicting each cell's human mean?". For every
// cell (study_id, condition_num, task_num) it computes two mean absolute errors against the
// cell's human answers, both divided by the cell's scale so that cells on 1-5 and 0-100
// scales weigh the same:
//
//   model_mae    = mean |prediction - human answer|
//   baseline_mae = mean |human mean of the cell - human answer|
//
// and averages them over cells. The baseline knows the human mean (an oracle), so a model
// that beats it has learnt more than each cell's central tendency.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <socrates/evaluator.hpp>

namespace {

const socrates_option kOptions[] = {
    {"use_stated_scale", SOCRATES_BOOL, "false",
     "Divide errors by the stated scale (scale_max - scale_min) instead of the range of the cell's human answers",
     nullptr},
    {"pairing", SOCRATES_STRING, "\"row\"",
     "row: compare each prediction with the human answer of its own row; cell: compare every prediction of a cell "
     "with every human answer of it",
     "row|cell"},
    {"use_distribution", SOCRATES_BOOL, "false",
     "Score a row's exact predicted distribution (expected absolute error) instead of its sampled prediction, when "
     "the row has one",
     nullptr},
    {"min_humans", SOCRATES_INT, "2", "Skip cells with fewer human answers than this (at least 1)", nullptr},
    {"weighting", SOCRATES_STRING, "\"cell\"",
     "cell: every cell weighs the same; human: cells weigh by the number of human answers scored in them",
     "cell|human"},
    {"per_cell_table", SOCRATES_BOOL, "true", "Report the per-cell table 'mean-baseline.cells'", nullptr},
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using CellKey = std::tuple<std::string, std::int64_t, std::int64_t>;

struct CellResult {
  std::int64_t humans = 0;       // human answers in the cell
  std::int64_t predictions = 0;  // predictions scored
  std::int64_t weight = 0;       // human answers the errors were computed over
  double human_mean = kNaN;
  double scale = kNaN;  // the divisor
  double model_mae = kNaN;
  double baseline_mae = kNaN;
  std::string skipped;  // why the cell was not scored; empty if it was
};

class MeanBaseline final : public socrates::Evaluator {
 public:
  explicit MeanBaseline(const socrates::PluginContext& ctx)
      : logger_(ctx.logger),
        use_stated_scale_(ctx.config.get<bool>("use_stated_scale")),
        pair_rows_(ctx.config.get<std::string>("pairing") == "row"),
        use_distribution_(ctx.config.get<bool>("use_distribution")),
        min_humans_(ctx.config.get<std::int64_t>("min_humans")),
        weigh_by_humans_(ctx.config.get<std::string>("weighting") == "human"),
        per_cell_table_(ctx.config.get<bool>("per_cell_table")) {
    // The host checked types and choices; ranges are the plugin's job.
    if (min_humans_ < 1) throw ctx.config.error("min_humans", "must be at least 1, got " + std::to_string(min_humans_));
  }

  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    std::map<CellKey, std::vector<const socrates::PredictionRow*>> cells;
    for (const auto& r : rows) cells[{r.study_id, r.condition_num, r.task_num}].push_back(&r);

    socrates::EvalReport report;
    socrates::ResultTable table{"mean-baseline.cells",
                                {"study_id", "condition_num", "task_num", "humans", "predictions", "human_mean",
                                 "scale", "model_mae", "baseline_mae", "skipped"},
                                {}};
    double model_sum = 0, baseline_sum = 0, weight_sum = 0;
    std::int64_t scored = 0, wins = 0, unparsed = 0;
    std::map<std::string, std::int64_t> skip_reasons;
    for (const auto& [key, members] : cells) {
      for (const auto* r : members) unparsed += r->parse_failed ? 1 : 0;
      const CellResult c = score_cell(key, members);
      if (c.skipped.empty()) {
        const double w = weigh_by_humans_ ? static_cast<double>(c.weight) : 1.0;
        model_sum += w * c.model_mae;
        baseline_sum += w * c.baseline_mae;
        weight_sum += w;
        ++scored;
        wins += c.model_mae < c.baseline_mae ? 1 : 0;
      } else {
        ++skip_reasons[c.skipped];
      }
      if (per_cell_table_) {
        const auto& [study, condition, task] = key;
        table.rows.push_back({study, condition, task, c.humans, c.predictions, c.human_mean, c.scale, c.model_mae,
                              c.baseline_mae, c.skipped});
      }
    }

    report.metrics["mean-baseline.model_mae"] = weight_sum > 0 ? model_sum / weight_sum : kNaN;
    report.metrics["mean-baseline.baseline_mae"] = weight_sum > 0 ? baseline_sum / weight_sum : kNaN;
    report.metrics["mean-baseline.win_rate"] = scored > 0 ? static_cast<double>(wins) / static_cast<double>(scored) : kNaN;
    report.metrics["mean-baseline.cells"] = static_cast<double>(scored);
    report.metrics["mean-baseline.cells_skipped"] = static_cast<double>(cells.size()) - static_cast<double>(scored);
    report.metrics["mean-baseline.unparsed"] = static_cast<double>(unparsed);
    if (per_cell_table_) report.tables.push_back(std::move(table));

    if (logger_ && !skip_reasons.empty()) {
      std::string why;
      for (const auto& [reason, n] : skip_reasons) why += (why.empty() ? "" : "; ") + std::to_string(n) + " " + reason;
      logger_->info("mean-baseline: scored {} of {} cells; skipped {}", scored, cells.size(), why);
    }
    return report;
  }

 private:
  CellResult score_cell(const CellKey& key, const std::vector<const socrates::PredictionRow*>& members) const {
    CellResult c;
    std::vector<double> humans;
    for (const auto* r : members)
      if (r->response) humans.push_back(*r->response);
    c.humans = static_cast<std::int64_t>(humans.size());
    if (c.humans == 0 || c.humans < min_humans_) {
      c.skipped = "fewer than min_humans human answers";
      return c;
    }
    double sum = 0;
    for (double h : humans) sum += h;
    c.human_mean = sum / static_cast<double>(humans.size());

    if (use_stated_scale_) {
      for (const auto* r : members) {
        if (!r->scale_min || !r->scale_max) continue;
        const double s = *r->scale_max - *r->scale_min;
        if (!std::isnan(c.scale) && s != c.scale) {
          const auto& [study, condition, task] = key;
          throw socrates::Error("mean-baseline: cell (study " + study + ", condition " + std::to_string(condition) +
                                ", task " + std::to_string(task) + ") has rows with different stated scales");
        }
        c.scale = s;
      }
      if (std::isnan(c.scale)) {
        c.skipped = "no stated scale";
        return c;
      }
    } else {
      const auto [lo, hi] = std::minmax_element(humans.begin(), humans.end());
      c.scale = *hi - *lo;
    }
    if (!(c.scale > 0)) {
      c.skipped = use_stated_scale_ ? "empty stated scale" : "human answers all equal (no range)";
      return c;
    }

    double model = 0, baseline = 0;
    if (pair_rows_) {
      // Both errors over the same rows: those with a human answer and a scorable prediction.
      for (const auto* r : members) {
        if (!r->response || !scorable(*r)) continue;
        model += error(*r, *r->response);
        baseline += std::abs(c.human_mean - *r->response);
        ++c.predictions;
      }
      c.weight = c.predictions;
      if (c.predictions == 0) {
        c.skipped = "no row with both a human answer and a prediction";
        return c;
      }
      model /= static_cast<double>(c.predictions);
      baseline /= static_cast<double>(c.predictions);
    } else {
      // Every prediction against every human answer: the expected error of a random draw.
      for (const auto* r : members) {
        if (!scorable(*r)) continue;
        double e = 0;
        for (double h : humans) e += error(*r, h);
        model += e / static_cast<double>(humans.size());
        ++c.predictions;
      }
      c.weight = c.humans;
      if (c.predictions == 0) {
        c.skipped = "no predictions";
        return c;
      }
      model /= static_cast<double>(c.predictions);
      for (double h : humans) baseline += std::abs(c.human_mean - h);
      baseline /= static_cast<double>(humans.size());
    }
    c.model_mae = model / c.scale;
    c.baseline_mae = baseline / c.scale;
    return c;
  }

  bool has_distribution(const socrates::PredictionRow& r) const {
    if (!use_distribution_) return false;
    double mass = 0;
    for (const auto& [answer, p] : r.distribution) mass += p;
    return mass > 0;
  }
  bool scorable(const socrates::PredictionRow& r) const { return r.prediction.has_value() || has_distribution(r); }

  // |prediction - h|, or its expectation under the row's predicted distribution.
  double error(const socrates::PredictionRow& r, double h) const {
    if (!has_distribution(r)) return std::abs(*r.prediction - h);
    double e = 0, mass = 0;
    for (const auto& [answer, p] : r.distribution) e += p * std::abs(answer - h), mass += p;
    return e / mass;
  }

  std::shared_ptr<spdlog::logger> logger_;
  bool use_stated_scale_;
  bool pair_rows_;
  bool use_distribution_;
  std::int64_t min_humans_;
  bool weigh_by_humans_;
  bool per_cell_table_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, MeanBaseline, "mean-baseline", "1.0.0",
                "Per-cell MAE of the predictions vs. the 'predict the human mean' baseline, scale-normalised", kOptions);
