#include "compare/run_record.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/experiment_file.hpp"
#include "config/toml_value.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace socrates::compare {

namespace {

void flatten(const Table& t, const std::string& prefix, std::map<std::string, Value>& out) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is<Table>()) {
      flatten(v.as<Table>(), key, out);
    } else if (v.is<Array>() && !v.as<Array>().empty() && v.as<Array>().front().is<Table>()) {
      const Array& a = v.as<Array>();
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].is<Table>()) flatten(a[i].as<Table>(), key + "[" + std::to_string(i) + "]", out);
      }
    } else {
      out[key] = v;
    }
  }
}

std::optional<double> number(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string text_of(const std::map<std::string, Value>& config, const std::string& key) {
  auto it = config.find(key);
  return it != config.end() && it->second.is<std::string>() ? it->second.as<std::string>() : std::string();
}

// eval/final-<final_split>-<mode>/, else the first eval/final-*/ with a report.json.
fs::path find_report_dir(const fs::path& dir, const std::map<std::string, Value>& config) {
  const fs::path want =
      dir / "eval" / ("final-" + text_of(config, "evaluation.final_split") + "-" + text_of(config, "evaluation.mode"));
  if (fs::is_regular_file(want / "report.json")) return want;
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "eval", ec)) {
    if (e.path().filename().string().rfind("final-", 0) == 0 && fs::is_regular_file(e.path() / "report.json"))
      found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.front();
}

void read_report(RunRecord& r) {
  const fs::path file = r.report_dir / "report.json";
  std::ifstream in(file);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(file.string() + ": malformed report.json: " + e.what());
  }
  if (j.contains("overall") && j["overall"].is_array() && !j["overall"].empty()) {
    const json& model = j["overall"][0];
    r.w1 = number(model, "w1");
    r.accuracy = number(model, "accuracy");
    r.parity_gap = number(model, "demographic_parity");
    r.parse_failure_rate = number(model, "parse_failure_rate");
  }
  const json c = j.value("comparison", json::object());
  r.w1_base = number(c, "w1_base");
  r.w1_uniform = number(c, "w1_uniform");
  r.w1_bootstrap = number(c, "w1_bootstrap");
}

void read_metrics(RunRecord& r) {
  const fs::path file = r.dir / "metrics.jsonl";
  std::ifstream in(file);
  if (!in) return;
  std::string line;
  std::size_t n = 0;
  double tps_sum = 0;
  int tps_n = 0;
  std::optional<double> first_time, last_time;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      // A run killed mid-write can leave a partial last line; anything else is an error.
      if (in.peek() == EOF) break;
      throw Error(file.string() + ":" + std::to_string(n) + ": malformed JSON line: " + e.what());
    }
    const std::string kind = j.value("kind", "");
    const auto step = number(j, "step");
    if (const auto t = number(j, "time")) {
      if (!first_time) first_time = t;
      last_time = t;
    }
    if (kind == "train") {
      if (const auto loss = number(j, "loss"); loss && step) {
        r.train_curve.steps.push_back(*step);
        r.train_curve.values.push_back(*loss);
        r.train_loss = loss;
      }
      if (const auto tps = number(j, "tokens_per_s")) tps_sum += *tps, ++tps_n;
      if (const auto mem = number(j, "peak_mem_gib")) r.peak_mem_gib = std::max(r.peak_mem_gib.value_or(0.0), *mem);
    } else if (kind == "eval") {
      if (const auto loss = number(j, "loss"); loss && step) {
        r.val_curve.steps.push_back(*step);
        r.val_curve.values.push_back(*loss);
        r.val_loss = loss;
      }
    }
  }
  if (tps_n > 0) r.tokens_per_second = tps_sum / tps_n;
  if (first_time && last_time) r.wall_seconds = *last_time - *first_time;
}

}  // namespace

std::map<std::string, Value> flatten_config(const fs::path& config_toml) {
  std::map<std::string, Value> out;
  flatten(ExperimentFile::load(config_toml).root(), "", out);
  return out;
}

std::string display_value(const Value& v) {
  return v.is<std::string>() ? v.as<std::string>() : to_toml_value_text(v);
}

RunRecord read_run(const fs::path& dir_in) {
  const fs::path dir = fs::absolute(dir_in).lexically_normal();
  const fs::path config = dir / "config.resolved.toml";
  if (!fs::is_regular_file(config)) {
    throw Error(dir.string() + " is neither a run directory (it has no config.resolved.toml) nor a sweep directory "
                "(no sweep.json). Give the folders `socrates run` or `socrates sweep` created");
  }
  RunRecord r;
  r.dir = dir;
  r.name = dir.filename().string();  // group stays empty: grouped by their differing values
  r.config = flatten_config(config);
  if (auto it = r.config.find("run.seed"); it != r.config.end() && it->second.is<std::int64_t>()) {
    r.seed = it->second.as<std::int64_t>();
  }
  r.status = fs::is_regular_file(dir / "adapter" / "adapter_config.json") ? "finished" : "incomplete";
  r.report_dir = find_report_dir(dir, r.config);
  if (!r.report_dir.empty()) read_report(r);
  read_metrics(r);
  return r;
}

}  // namespace socrates::compare
