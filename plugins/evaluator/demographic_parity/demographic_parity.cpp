// demographic_parity: how unevenly the model fits demographic groups. For each attribute and
// each of its groups g, W1_g is the paper's W1 restricted to the rows of group g (per cell,
// rescaled by the whole cell's range, averaged cell -> study -> overall over the cells where
// g has a human and a model answer). The attribute's parity gap is max_g W1_g - min_g W1_g.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include <socrates/evaluator.hpp>

#include "cells.hpp"
#include "groups.hpp"
#include "study_mean.hpp"

namespace {

using namespace socrates::eval;

const socrates_option kOptions[] = {
    {"attributes", SOCRATES_STRING_LIST, "[]",
     "Demographic attributes to compare (\"age\", \"gender\", ...); empty = every attribute in the data", nullptr},
    {"min_group_size", SOCRATES_INT, "5", "Drop groups with fewer human answers than this, over all cells (>= 1)",
     nullptr},
    {"max_groups", SOCRATES_INT, "12",
     "An attribute with more distinct values than this is binned (numbers) or skipped (anything else) (>= 2)",
     nullptr},
    {"numeric_bins", SOCRATES_INT, "4", "Quantile bins for a numeric attribute with more than max_groups values (>= 2)",
     nullptr},
    {"range", SOCRATES_STRING, "\"human\"",
     "Range that rescales a cell: human = [min, max] of the whole cell's human answers; stated = the stated scale "
     "when the rows give both ends, else the human range.",
     "human|stated"},
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::optional<std::string>* find_attribute(const socrates::PredictionRow& r, const std::string& attribute) {
  for (const auto& [k, v] : r.demographic)
    if (k == attribute) return &v;
  return nullptr;
}

struct CellInfo {
  const Cell* cell;
  std::optional<Range> range;
};

class DemographicParity final : public socrates::Evaluator {
 public:
  explicit DemographicParity(const socrates::PluginContext& ctx)
      : logger_(ctx.logger),
        attributes_(ctx.config.get<std::vector<std::string>>("attributes")),
        min_group_size_(ctx.config.get<std::int64_t>("min_group_size")),
        max_groups_(ctx.config.get<std::int64_t>("max_groups")),
        numeric_bins_(ctx.config.get<std::int64_t>("numeric_bins")),
        range_(parse_range_mode(ctx.config.get<std::string>("range"))) {
    if (min_group_size_ < 1)
      throw ctx.config.error("min_group_size", "must be at least 1, got " + std::to_string(min_group_size_));
    if (max_groups_ < 2) throw ctx.config.error("max_groups", "must be at least 2, got " + std::to_string(max_groups_));
    if (numeric_bins_ < 2)
      throw ctx.config.error("numeric_bins", "must be at least 2, got " + std::to_string(numeric_bins_));
    for (const auto& a : attributes_)
      if (a.empty()) throw ctx.config.error("attributes", "an attribute name is empty");
  }

  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    const std::vector<Cell> cells = group_cells(rows);
    std::vector<CellInfo> infos;
    for (const Cell& c : cells) infos.push_back({&c, cell_range(c.rows, c.key, range_)});

    socrates::ResultTable groups{"groups", {"attribute", "group", "n_human", "n_pred", "w1"}, {}};
    socrates::ResultTable attrs{"attributes", {"attribute", "n_groups", "gap", "note"}, {}};
    socrates::EvalReport report;
    long double gap_sum = 0;
    std::int64_t gaps = 0;
    for (const std::string& a : attributes_.empty() ? attributes_in(rows) : attributes_) {
      const Outcome o = evaluate_attribute(a, rows, infos, groups);
      attrs.rows.push_back({a, o.groups_scored, o.gap, o.note});
      if (!std::isnan(o.gap)) {
        report.metrics["demographic_parity." + a] = o.gap;
        gap_sum += o.gap;
        ++gaps;
      } else if (logger_) {
        logger_->info("demographic_parity: attribute '{}' has no parity gap: {}", a, o.note);
      }
    }
    report.metrics["demographic_parity"] = gaps ? static_cast<double>(gap_sum / static_cast<long double>(gaps)) : kNaN;
    report.tables.push_back(std::move(groups));
    report.tables.push_back(std::move(attrs));
    if (logger_)
      logger_->info("demographic_parity: mean gap {:.4f} over {} attribute(s)", report.metrics["demographic_parity"],
                    gaps);
    return report;
  }

 private:
  struct Outcome {
    std::int64_t groups_scored = 0;
    double gap = kNaN;
    std::string note;
  };

  static std::vector<std::string> attributes_in(const std::vector<socrates::PredictionRow>& rows) {
    std::set<std::string> names;
    for (const auto& r : rows)
      for (const auto& [k, v] : r.demographic) names.insert(k);
    return {names.begin(), names.end()};
  }

  Outcome evaluate_attribute(const std::string& a, const std::vector<socrates::PredictionRow>& rows,
                             const std::vector<CellInfo>& infos, socrates::ResultTable& table) const {
    Outcome out;
    std::vector<AttributeValue> values;
    for (const auto& r : rows)
      if (const auto* v = find_attribute(r, a); v && *v) values.push_back({**v, r.response.has_value()});
    if (values.empty()) {
      out.note = "no row has a value";
      return out;
    }
    const AttributeGroups g = group_attribute(values, max_groups_, numeric_bins_);
    if (!g.skipped.empty()) {
      out.note = "skipped: " + g.skipped;
      return out;
    }
    const auto group_of = [&](const socrates::PredictionRow& r) -> const std::string* {
      const auto* v = find_attribute(r, a);
      return v && *v ? &g.group_of.at(**v) : nullptr;
    };

    // Group sizes over all cells; small groups are dropped.
    std::map<std::string, std::int64_t> n_human, n_pred;
    for (const auto& r : rows) {
      const std::string* grp = group_of(r);
      if (!grp) continue;
      n_human[*grp] += r.response ? 1 : 0;
      n_pred[*grp] += has_valid_prediction(r) ? 1 : 0;
    }
    std::vector<std::string> kept, dropped;
    for (const auto& grp : g.groups) (n_human[grp] >= min_group_size_ ? kept : dropped).push_back(grp);

    // W1 per group and cell, rescaled by the whole cell's range.
    std::map<std::string, StudyMean> w1_of;
    for (const CellInfo& info : infos) {
      if (!info.range) continue;
      std::map<std::string, std::vector<const socrates::PredictionRow*>> members;
      for (const auto* r : info.cell->rows)
        if (const std::string* grp = group_of(*r)) members[*grp].push_back(r);
      for (const auto& grp : kept) {
        const auto it = members.find(grp);
        if (it == members.end()) continue;
        const std::vector<double> humans = human_answers(it->second);
        std::vector<Mass> model;
        try {
          model = model_masses(it->second);
        } catch (const socrates::Error& e) {
          throw socrates::Error("demographic_parity: " + describe(info.cell->key) + ": " + e.what());
        }
        if (humans.empty() || model.empty()) continue;
        w1_of[grp].add(info.cell->key.study_id, rescaled_w1(humans, model, *info.range, true));
      }
    }

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& grp : kept) {
      const auto it = w1_of.find(grp);
      const double w = it == w1_of.end() ? kNaN : it->second.overall();
      table.rows.push_back({a, grp, n_human[grp], n_pred[grp], w});
      if (std::isnan(w)) continue;
      ++out.groups_scored;
      lo = std::min(lo, w), hi = std::max(hi, w);
    }
    if (out.groups_scored >= 2) out.gap = hi - lo;
    std::vector<std::string> notes;
    if (g.binned) notes.push_back("binned into " + std::to_string(g.groups.size()) + " quantile bins");
    if (!dropped.empty())
      notes.push_back(std::to_string(dropped.size()) + " group(s) with fewer than " + std::to_string(min_group_size_) +
                      " human answers dropped");
    if (out.groups_scored < 2)
      notes.push_back("fewer than 2 groups with both human and model answers in a cell, so no gap");
    for (const auto& n : notes) out.note += (out.note.empty() ? "" : "; ") + n;
    return out;
  }

  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::string> attributes_;
  std::int64_t min_group_size_, max_groups_, numeric_bins_;
  RangeMode range_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, DemographicParity, "demographic_parity", "1.0.0",
                "Per demographic group W1 between model and humans; parity gap = max - min over an attribute's groups",
                kOptions);
