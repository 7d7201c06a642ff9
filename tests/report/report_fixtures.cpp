#include "report_fixtures.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace socrates::test {

namespace fs = std::filesystem;

namespace {

PredictionRow row(const std::string& study, std::int64_t cond, std::int64_t task, std::optional<double> human,
                  std::optional<double> pred, bool parse_failed = false) {
  PredictionRow r;
  r.study_id = study;
  r.condition_num = cond;
  r.task_num = task;
  r.response = human;
  r.prediction = pred;
  r.parse_failed = parse_failed;
  return r;
}

ResultTable cells_table(std::vector<std::vector<Value>> rows) {
  return {"cells",
          {"study_id", "condition_num", "task_num", "n_human", "n_pred", "n_parse_failed", "range_min", "range_max",
           "w1_raw", "w1", "w1_uniform", "w1_bootstrap"},
          std::move(rows)};
}

ResultTable studies_table(std::vector<std::vector<Value>> rows) {
  return {"studies", {"study_id", "n_cells", "w1", "w1_uniform", "w1_bootstrap"}, std::move(rows)};
}

}  // namespace

EvalRun tuned_run() {
  EvalRun run;
  run.label = "tuned";
  run.mode = "sample";
  run.predictions_per_second = 97.5;
  run.seconds = 12.34;
  const double humans[] = {1, 2, 2, 3, 5};
  const std::optional<double> preds[] = {2, 2, 3, std::nullopt, 3};
  for (int i = 0; i < 5; ++i) run.rows.push_back(row("s1", 1, 1, humans[i], preds[i], !preds[i]));
  run.rows.push_back(row("s1", 1, 2, 4, 4));
  run.rows.push_back(row("s1", 1, 2, 4, 5));
  run.rows.push_back(row("s2", 2, 1, 0, 5));
  run.rows.push_back(row("s2", 2, 1, 10, 5));
  run.rows.push_back(row("s2", 2, 2, 3, std::nullopt, true));

  EvalReport w;
  w.metrics = {{"wasserstein", 0.152},       {"wasserstein.raw", 0.61},
               {"wasserstein.uniform", 0.203}, {"wasserstein.bootstrap", 0.125},
               {"wasserstein.parse_failure_rate", 0.025}, {"wasserstein.cells", 3},
               {"wasserstein.studies", 2},     {"wasserstein.empty_cells", 1}};
  w.tables.push_back(cells_table({
      {"s1", 1, 1, 5, 4, 1, 1.0, 5.0, 0.4, 0.1, 0.3, 0.08},
      {"s1", 1, 2, 2, 2, 0, 1.0, 5.0, 0.2, 0.05, 0.3, 0.1},
      {"s2", 2, 1, 2, 2, 0, 0.0, 10.0, 4.0, 0.4, 0.25, 0.2},
      {"s2", 2, 2, 1, 0, 1, 0.0, 10.0, 0.1, 0.01, 0.25, Value()},
      {"s2", 3, 1, 1, 2, 0, 0.0, 10.0, Value(), Value(), 0.25, Value()},
  }));
  w.tables.push_back(studies_table({{"s1", 2, 0.075, 0.3, 0.09}, {"s2", 1, 0.4, 0.25, 0.2}}));
  run.reports.emplace_back("wasserstein", std::move(w));

  EvalReport a;
  a.metrics = {{"accuracy", 0.412}, {"accuracy.rows", 10}, {"accuracy.exact_match", 0.3}, {"accuracy.rows_scored", 8}};
  a.tables.push_back({"studies", {"study_id", "n_rows", "accuracy", "exact_match"},
                      {{"s1", std::int64_t{7}, 0.5, 0.4}, {"s2", std::int64_t{3}, 0.2, 0.1}}});
  run.reports.emplace_back("accuracy", std::move(a));
  return run;
}

EvalRun base_run() {
  EvalRun run;
  run.label = "base";
  run.mode = "sample";
  run.rows = tuned_run().rows;
  EvalReport w;
  w.metrics = {{"wasserstein", 0.231},       {"wasserstein.raw", 0.9},
               {"wasserstein.uniform", 0.203}, {"wasserstein.bootstrap", 0.125},
               {"wasserstein.parse_failure_rate", 0.1}, {"wasserstein.cells", 3},
               {"wasserstein.studies", 3},     {"wasserstein.empty_cells", 0}};
  w.tables.push_back(cells_table({{"s1", 1, 1, 5, 5, 0, 1.0, 5.0, 0.8, 0.2, 0.3, 0.08}}));
  w.tables.push_back(studies_table({{"s1", 2, 0.2, 0.3, 0.09}, {"s2", 1, 0.35, 0.25, 0.2}, {"s3", 1, 0.5, 0.3, 0.1}}));
  run.reports.emplace_back("wasserstein", std::move(w));

  EvalReport d;
  d.metrics = {{"demographic_parity", 0.08}, {"demographic_parity.gender", 0.08}};
  d.tables.push_back({"groups", {"attribute", "group", "n_human", "n_pred", "w1"},
                      {{"gender", "female", 5, 5, 0.1}, {"gender", "male", 4, 4, 0.18}}});
  run.reports.emplace_back("demographic_parity", std::move(d));
  return run;
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  path_ = fs::temp_directory_path() /
          ("socrates-report-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           (info ? info->name() : "x"));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace socrates::test
