// wasserstein: the paper's metric. Per cell (study, condition, task), the Wasserstein-1
// distance between the human answers and the model's answers, rescaled to [0, 1] by the
// cell's range with the model's answers clipped into it; cells averaged within a study, then
// studies. Reported next to a uniform guess and the human bootstrap bound (references.hpp).
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include <socrates/evaluator.hpp>

#include "cells.hpp"
#include "references.hpp"
#include "study_mean.hpp"
#include "w1.hpp"

namespace {

using namespace socrates::eval;

const socrates_option kOptions[] = {
    {"range", SOCRATES_STRING, "\"human\"",
     "Range that rescales a cell to [0, 1]: human = [min, max] of the cell's human answers (the paper); stated = the "
     "stated scale when the rows give both ends, else the human range.",
     "human|stated"},
    {"clip", SOCRATES_BOOL, "true", "Clip the model's answers into the cell's range before comparing (the paper)",
     nullptr},
    {"empty_cell", SOCRATES_STRING, "\"worst\"",
     "A cell with human answers but no valid prediction: worst = it scores 1.0, the worst rescaled W1; skip = it is "
     "left out of the averages. Either way it is counted in wasserstein.empty_cells.",
     "worst|skip"},
    {"bootstrap_samples", SOCRATES_INT, "200",
     "Replicates of the human bootstrap bound per cell (0 turns the bound off; it is then NaN)", nullptr},
    {"seed", SOCRATES_INT, "0", "Seed of the bootstrap; 0 = the run's seed ([run] seed)", nullptr},
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class Wasserstein final : public socrates::Evaluator {
 public:
  explicit Wasserstein(const socrates::PluginContext& ctx)
      : logger_(ctx.logger),
        range_(parse_range_mode(ctx.config.get<std::string>("range"))),
        clip_(ctx.config.get<bool>("clip")),
        empty_worst_(ctx.config.get<std::string>("empty_cell") == "worst"),
        bootstrap_samples_(ctx.config.get<std::int64_t>("bootstrap_samples")) {
    if (bootstrap_samples_ < 0)
      throw ctx.config.error("bootstrap_samples", "must be >= 0 (0 turns the bootstrap off), got " +
                                                      std::to_string(bootstrap_samples_));
    const std::int64_t seed = ctx.config.get<std::int64_t>("seed");
    if (seed < 0) throw ctx.config.error("seed", "must be >= 0 (0 = the run's seed), got " + std::to_string(seed));
    seed_ = seed == 0 ? ctx.seed : static_cast<std::uint64_t>(seed);
  }

  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    socrates::ResultTable cells{"cells",
                                {"study_id", "condition_num", "task_num", "n_human", "n_pred", "n_parse_failed",
                                 "range_min", "range_max", "w1_raw", "w1", "w1_uniform", "w1_bootstrap"},
                                {}};
    StudyMean model, raw, uniform, bootstrap;
    std::int64_t model_rows = 0, failed_rows = 0, empty = 0, unscored = 0, unscalable = 0, humans_outside = 0;
    std::string first_unscored;

    for (const Cell& cell : group_cells(rows)) {
      const std::vector<double> humans = human_answers(cell.rows);
      std::int64_t n_pred = 0, n_failed = 0;
      for (const auto* r : cell.rows) {
        n_pred += has_valid_prediction(*r) ? 1 : 0;
        n_failed += model_answer(*r) == ModelAnswer::parse_failed ? 1 : 0;
      }
      model_rows += n_pred + n_failed;
      failed_rows += n_failed;
      CellScores s;
      try {
        s = score(cell, humans);
      } catch (const socrates::Error& e) {
        throw socrates::Error("wasserstein: " + describe(cell.key) + ": " + e.what());
      }
      const std::string& study = cell.key.study_id;
      if (!s.range) {
        ++unscored;
        if (first_unscored.empty()) first_unscored = describe(cell.key);
      } else {
        if (n_pred == 0) ++empty;
        if (n_pred > 0 && std::isnan(s.w1)) ++unscalable;
        for (double h : humans) humans_outside += (h < s.range->lo || h > s.range->hi) ? 1 : 0;
        if (!std::isnan(s.w1)) {
          model.add(study, s.w1);
          uniform.add(study, s.uniform);
          bootstrap.add(study, s.bootstrap);
          if (!std::isnan(s.w1_raw)) raw.add(study, s.w1_raw);
        }
      }
      cells.rows.push_back({study, cell.key.condition_num, cell.key.task_num, static_cast<std::int64_t>(humans.size()),
                            n_pred, n_failed, s.range ? s.range->lo : kNaN, s.range ? s.range->hi : kNaN, s.w1_raw,
                            s.w1, s.uniform, s.bootstrap});
    }

    socrates::ResultTable studies{"studies", {"study_id", "n_cells", "w1", "w1_uniform", "w1_bootstrap"}, {}};
    for (const auto& [id, st] : model.per_study())
      studies.rows.push_back({id, static_cast<std::int64_t>(st.cells), st.mean(), uniform.study(id), bootstrap.study(id)});

    socrates::EvalReport report;
    auto& m = report.metrics;
    m["wasserstein"] = model.overall();
    m["wasserstein.raw"] = raw.overall();
    m["wasserstein.uniform"] = uniform.overall();
    m["wasserstein.bootstrap"] = bootstrap.overall();
    m["wasserstein.parse_failure_rate"] =
        model_rows > 0 ? static_cast<double>(failed_rows) / static_cast<double>(model_rows) : kNaN;
    m["wasserstein.cells"] = static_cast<double>(model.cells());
    m["wasserstein.studies"] = static_cast<double>(model.studies());
    m["wasserstein.empty_cells"] = static_cast<double>(empty);
    m["wasserstein.unscored_cells"] = static_cast<double>(unscored + unscalable);
    report.tables.push_back(std::move(cells));
    report.tables.push_back(std::move(studies));

    if (logger_) {
      if (unscored > 0)
        logger_->warn("wasserstein: {} cell(s) have no human answers and cannot be scored (first: {}); they are left "
                      "out and counted in wasserstein.unscored_cells",
                      unscored, first_unscored);
      if (unscalable > 0)
        logger_->warn("wasserstein: {} cell(s) have a zero-width range and clip = false, so they cannot be rescaled; "
                      "they are left out and counted in wasserstein.unscored_cells (set clip = true to score them 0)",
                      unscalable);
      if (humans_outside > 0)
        logger_->warn("wasserstein: {} human answer(s) lie outside their cell's stated scale; check the dataset's "
                      "scale_min/scale_max",
                      humans_outside);
      if (empty > 0)
        logger_->info("wasserstein: {} cell(s) have human answers but no valid prediction ({})", empty,
                      empty_worst_ ? "scored 1.0, empty_cell = \"worst\"" : "left out, empty_cell = \"skip\"");
      logger_->info("wasserstein: W1 {:.4f} over {} cells in {} studies (uniform {:.4f}, bootstrap bound {:.4f}, "
                    "parse failures {:.1f}%)",
                    m["wasserstein"], model.cells(), model.studies(), m["wasserstein.uniform"],
                    m["wasserstein.bootstrap"], 100 * m["wasserstein.parse_failure_rate"]);
    }
    return report;
  }

 private:
  struct CellScores {
    std::optional<Range> range;  // nullopt: no human answers, not scored
    double w1_raw = kNaN, w1 = kNaN, uniform = kNaN, bootstrap = kNaN;
  };

  CellScores score(const Cell& cell, const std::vector<double>& humans) const {
    CellScores s;
    s.range = cell_range(cell.rows, cell.key, range_);
    if (!s.range) return s;
    const std::vector<Mass> predicted = model_masses(cell.rows);
    if (predicted.empty()) {
      s.w1 = empty_worst_ ? 1.0 : kNaN;
    } else {
      const std::vector<Mass> h = as_masses(humans);
      s.w1_raw = w1(std::span<const Mass>(h), std::span<const Mass>(predicted));  // raw: no rescaling, no clipping
      s.w1 = rescaled_w1(humans, predicted, *s.range, clip_);
    }
    // The uniform guess covers the stated scale when the rows give one, whatever `range` is.
    const std::optional<Range> stated = stated_scale(cell.rows, cell.key);
    s.uniform = rescaled_w1(humans, uniform_levels(stated ? *stated : *s.range), *s.range, clip_);
    s.bootstrap = bootstrap_w1(humans, *s.range, bootstrap_samples_, cell_seed(seed_, cell.key));
    return s;
  }

  std::shared_ptr<spdlog::logger> logger_;
  RangeMode range_;
  bool clip_;
  bool empty_worst_;
  std::int64_t bootstrap_samples_;
  std::uint64_t seed_ = 0;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, Wasserstein, "wasserstein", "1.0.0",
                "Per-cell Wasserstein-1 between human and model answers (rescaled, clipped), averaged cell -> study "
                "-> overall, with uniform and bootstrap references",
                kOptions);
