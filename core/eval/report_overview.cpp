#include "eval/report_overview.hpp"

#include <map>

#include "eval/report_table.hpp"

namespace socrates {

namespace {

std::optional<double> first_of(const EvalRun& model, const EvalRun* base, const std::string& name) {
  if (auto x = metric(model, name)) return x;
  return base ? metric(*base, name) : std::nullopt;
}

OverviewRow run_row(const EvalRun& run) {
  OverviewRow r;
  r.name = run.label;
  r.w1 = metric(run, kWasserstein);
  r.accuracy = metric(run, "accuracy");
  r.parity_gap = metric(run, "demographic_parity");
  r.parse_failure_rate = metric(run, "wasserstein.parse_failure_rate");
  r.cells = metric(run, "wasserstein.cells");
  return r;
}

}  // namespace

std::vector<OverviewRow> overview_rows(const EvalRun& model, const EvalRun* base) {
  std::vector<OverviewRow> rows{run_row(model)};
  if (base) rows.push_back(run_row(*base));
  OverviewRow uniform{"uniform guess", first_of(model, base, "wasserstein.uniform"), {}, {}, {}, {}};
  OverviewRow bootstrap{"human bootstrap bound", first_of(model, base, "wasserstein.bootstrap"), {}, {}, {}, {}};
  rows.push_back(uniform);
  rows.push_back(bootstrap);
  return rows;
}

std::vector<StudyRow> study_rows(const EvalRun& model, const EvalRun* base) {
  std::vector<StudyRow> rows;
  std::map<std::string, std::size_t> index;  // study id -> position in rows
  auto add = [&](const ResultTable* t, bool is_model) {
    if (!t) return;
    for (std::size_t i = 0; i < t->rows.size(); ++i) {
      const std::string id = text_at(*t, i, "study_id");
      auto [it, fresh] = index.emplace(id, rows.size());
      if (fresh) rows.push_back(StudyRow{id, {}, {}, {}, {}, {}});
      StudyRow& r = rows[it->second];
      (is_model ? r.w1_model : r.w1_base) = number_at(*t, i, "w1");
      // Cells, uniform and bootstrap describe the human data: the model's, else the base's.
      if (!r.cells) r.cells = number_at(*t, i, "n_cells");
      if (!r.uniform) r.uniform = number_at(*t, i, "w1_uniform");
      if (!r.bootstrap) r.bootstrap = number_at(*t, i, "w1_bootstrap");
    }
  };
  add(table(model, kWasserstein, "studies"), true);
  if (base) add(table(*base, kWasserstein, "studies"), false);
  return rows;
}

}  // namespace socrates
