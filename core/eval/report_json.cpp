#include "eval/report_json.hpp"

#include <cmath>

#include "eval/report_overview.hpp"
#include "eval/report_table.hpp"

namespace socrates {

namespace {

using nlohmann::json;

json number(std::optional<double> x) { return x && std::isfinite(*x) ? json(*x) : json(nullptr); }

json table_json(const ResultTable& t) {
  json rows = json::array();
  for (const auto& row : t.rows) {
    json r = json::array();
    for (const auto& v : row) r.push_back(value_json(v));
    rows.push_back(std::move(r));
  }
  return {{"name", t.name}, {"columns", t.columns}, {"rows", std::move(rows)}};
}

json run_json(const EvalRun& run) {
  json metrics = json::object();
  json evaluators = json::array();
  for (const auto& [name, report] : run.reports) {
    json m = json::object();
    for (const auto& [k, v] : report.metrics) {
      m[k] = number(v);
      if (!metrics.contains(k)) metrics[k] = number(v);  // first wins, like metric()
    }
    json tables = json::array();
    for (const auto& t : report.tables) tables.push_back(table_json(t));
    evaluators.push_back({{"name", name}, {"metrics", std::move(m)}, {"tables", std::move(tables)}});
  }
  return {{"label", run.label},
          {"mode", run.mode},
          {"rows", run.rows.size()},
          {"predictions_per_second", run.predictions_per_second > 0 ? json(run.predictions_per_second) : json(nullptr)},
          {"seconds", run.seconds},
          {"metrics", std::move(metrics)},
          {"evaluators", std::move(evaluators)}};
}

json comparison_json(const EvalRun& model, const EvalRun* base) {
  const auto rows = overview_rows(model, base);
  const auto w1 = rows[0].w1;
  const auto w1_base = base ? rows[1].w1 : std::nullopt;
  const auto uniform = rows[rows.size() - 2].w1, bootstrap = rows.back().w1;
  json c = {{"w1", number(w1)}, {"w1_base", number(w1_base)}, {"w1_uniform", number(uniform)},
            {"w1_bootstrap", number(bootstrap)}};
  // change < 0: the model is closer to the humans than the base.
  c["w1_change"] = w1 && w1_base ? number(*w1 - *w1_base) : json(nullptr);
  c["w1_relative_change"] = w1 && w1_base && *w1_base != 0 ? number((*w1 - *w1_base) / *w1_base) : json(nullptr);
  c["beats_uniform"] = w1 && uniform ? json(*w1 < *uniform) : json(nullptr);
  // The share of the base's distance to the bootstrap bound that the model closed.
  c["gap_closed"] = w1 && w1_base && bootstrap && *w1_base != *bootstrap
                        ? number((*w1_base - *w1) / (*w1_base - *bootstrap))
                        : json(nullptr);
  return c;
}

}  // namespace

json report_json(const EvalRun& model, const EvalRun* base, const std::vector<PlotFile>& plots) {
  json overall = json::array();
  for (const auto& r : overview_rows(model, base)) {
    overall.push_back({{"name", r.name},
                       {"w1", number(r.w1)},
                       {"accuracy", number(r.accuracy)},
                       {"demographic_parity", number(r.parity_gap)},
                       {"parse_failure_rate", number(r.parse_failure_rate)},
                       {"cells", number(r.cells)}});
  }
  json studies = json::array();
  for (const auto& s : study_rows(model, base)) {
    studies.push_back({{"study_id", s.study_id},
                       {"cells", number(s.cells)},
                       {"w1", number(s.w1_model)},
                       {"w1_base", number(s.w1_base)},
                       {"w1_uniform", number(s.uniform)},
                       {"w1_bootstrap", number(s.bootstrap)}});
  }
  json plot_list = json::array();
  for (const auto& p : plots) {
    plot_list.push_back({{"name", p.name}, {"title", p.title}, {"png", p.png.generic_string()},
                         {"svg", p.svg.generic_string()}});
  }
  return {{"model", run_json(model)},
          {"base", base ? run_json(*base) : json(nullptr)},
          {"overall", std::move(overall)},
          {"per_study", std::move(studies)},
          {"comparison", comparison_json(model, base)},
          {"plots", std::move(plot_list)}};
}

}  // namespace socrates
