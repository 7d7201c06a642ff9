// Test helpers shared by the evaluator tests: the W1 fixtures, building rows, creating a
// plugin through the real loader, and reading result tables.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/evaluator.hpp"

namespace eval_test {

/// One row of a W1 fixture: scipy.stats.wasserstein_distance(human, pred) = w1_raw.
struct FixtureRow {
  std::string where;  // "file.json row 3"
  std::vector<double> human, pred;
  std::optional<double> scale_min, scale_max;
  double w1_raw = 0;
};

/// Every row of every fixture file in <fixtures>/metrics whose rows have human/pred/w1_raw
/// (files of another format are skipped), in file-name then row order.
inline std::vector<FixtureRow> w1_fixture_rows() {
  const std::filesystem::path dir = std::filesystem::path(SOCRATES_FIXTURES_DIR) / "metrics";
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<FixtureRow> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    const nlohmann::json j = nlohmann::json::parse(in);
    if (!j.contains("rows") || !j["rows"].is_array()) continue;
    std::size_t i = 0;
    for (const auto& r : j["rows"]) {
      if (!r.contains("human") || !r.contains("pred") || !r.contains("w1_raw")) continue;
      FixtureRow row{f.filename().string() + " row " + std::to_string(i++), r["human"].get<std::vector<double>>(),
                     r["pred"].get<std::vector<double>>(), std::nullopt, std::nullopt, r["w1_raw"].get<double>()};
      if (r.contains("scale") && r["scale"].is_array() && r["scale"].size() == 2)
        row.scale_min = r["scale"][0].get<double>(), row.scale_max = r["scale"][1].get<double>();
      out.push_back(std::move(row));
    }
  }
  return out;
}

inline socrates::PredictionRow human(const std::string& study, std::int64_t cond, std::int64_t task, double answer) {
  socrates::PredictionRow r;
  r.study_id = study, r.condition_num = cond, r.task_num = task, r.response = answer;
  return r;
}
inline socrates::PredictionRow pred(const std::string& study, std::int64_t cond, std::int64_t task, double answer) {
  socrates::PredictionRow r;
  r.study_id = study, r.condition_num = cond, r.task_num = task, r.prediction = answer;
  return r;
}
inline socrates::PredictionRow failed(const std::string& study, std::int64_t cond, std::int64_t task) {
  socrates::PredictionRow r;
  r.study_id = study, r.condition_num = cond, r.task_num = task, r.parse_failed = true;
  return r;
}
inline socrates::PredictionRow dist(const std::string& study, std::int64_t cond, std::int64_t task,
                                    std::vector<std::pair<double, double>> d) {
  socrates::PredictionRow r;
  r.study_id = study, r.condition_num = cond, r.task_num = task, r.distribution = std::move(d);
  return r;
}
inline void add(std::vector<socrates::PredictionRow>& rows, std::vector<socrates::PredictionRow> more) {
  rows.insert(rows.end(), more.begin(), more.end());
}

#ifdef SOCRATES_PLUGIN_FILE
/// Creates the evaluator in SOCRATES_PLUGIN_FILE with `cfg` plus the schema's defaults, as the host does.
inline std::shared_ptr<socrates::Evaluator> make(socrates::Table cfg = {}, std::uint64_t seed = 0) {
  static auto lib = socrates::PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  for (const socrates::OptionSpec& o : lib->info().options)
    if (!cfg.count(o.key)) cfg.emplace(o.key, *o.default_value);
  socrates::PluginContext ctx;
  ctx.logger = socrates::host_logger();
  ctx.config = socrates::ConfigSection("evaluators[0]", cfg);
  ctx.seed = seed;
  return lib->create<socrates::Evaluator>(ctx);
}
#endif

inline const socrates::ResultTable& table(const socrates::EvalReport& r, const std::string& name) {
  for (const auto& t : r.tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

inline std::size_t column(const socrates::ResultTable& t, const std::string& name) {
  auto it = std::find(t.columns.begin(), t.columns.end(), name);
  if (it == t.columns.end()) throw std::runtime_error("table " + t.name + " has no column " + name);
  return static_cast<std::size_t>(it - t.columns.begin());
}

/// A numeric cell of row `i` (int or float) as a double.
inline double num(const socrates::ResultTable& t, std::size_t i, const std::string& col) {
  const socrates::Value& v = t.rows.at(i).at(column(t, col));
  if (v.is<double>()) return v.as<double>();
  if (v.is<std::int64_t>()) return static_cast<double>(v.as<std::int64_t>());
  throw std::runtime_error("column " + col + " is not numeric");
}
inline std::string str(const socrates::ResultTable& t, std::size_t i, const std::string& col) {
  return t.rows.at(i).at(column(t, col)).as<std::string>();
}

/// The index of the row whose column `col` equals `value`.
inline std::size_t find_row(const socrates::ResultTable& t, const std::string& col, const std::string& value) {
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    if (str(t, i, col) == value) return i;
  throw std::runtime_error("table " + t.name + " has no row with " + col + " = " + value);
}

}  // namespace eval_test
