#include "compare/compare_table.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace socrates::compare {

namespace {

bool ignored(const std::string& key) { return key == "run.name" || key == "run.output_dir" || key == "run.seed"; }

std::string value_of(const RunRecord& r, const std::string& key) {
  auto it = r.config.find(key);
  return it == r.config.end() ? std::string("—") : display_value(it->second);
}

Stat stat_of(const std::vector<const RunRecord*>& runs, std::optional<double> RunRecord::*field) {
  std::vector<double> xs;
  for (const RunRecord* r : runs)
    if (const auto& v = r->*field; v && std::isfinite(*v)) xs.push_back(*v);
  Stat s;
  s.n = static_cast<int>(xs.size());
  if (xs.empty()) return s;
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / xs.size();
  if (xs.size() >= 2) {
    double ss = 0;
    for (double x : xs) ss += (x - *s.mean) * (x - *s.mean);
    s.std = std::sqrt(ss / (xs.size() - 1));
  }
  return s;
}

std::string status_of(const std::vector<const RunRecord*>& runs) {
  std::map<std::string, int> counts;
  for (const RunRecord* r : runs) ++counts[r->status];
  if (counts.size() == 1 && runs.size() == 1) return counts.begin()->first;
  std::string out;
  for (const auto& [s, n] : counts) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + s;
  return out;
}

}  // namespace

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> m = {
      {"w1", "W1", &RunRecord::w1, 4},
      {"accuracy", "accuracy", &RunRecord::accuracy, 4},
      {"parity_gap", "parity gap", &RunRecord::parity_gap, 4},
      {"parse_failure_rate", "parse failures", &RunRecord::parse_failure_rate, 4},
      {"w1_base", "base W1", &RunRecord::w1_base, 4},
      {"train_loss", "train loss", &RunRecord::train_loss, 4},
      {"val_loss", "val loss", &RunRecord::val_loss, 4},
      {"tokens_per_second", "tokens/s", &RunRecord::tokens_per_second, 0},
      {"wall_seconds", "wall time (s)", &RunRecord::wall_seconds, 1},
      {"peak_mem_gib", "peak mem (GiB)", &RunRecord::peak_mem_gib, 2},
      {"w1_uniform", "uniform W1", &RunRecord::w1_uniform, 4},
      {"w1_bootstrap", "bootstrap W1", &RunRecord::w1_bootstrap, 4},
  };
  return m;
}

std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs) {
  const bool all_swept = std::all_of(runs.begin(), runs.end(), [](const RunRecord& r) { return !r.swept.empty(); });
  std::vector<std::string> candidates;
  std::set<std::string> seen;
  auto add = [&](const std::string& k) {
    if (!ignored(k) && seen.insert(k).second) candidates.push_back(k);
  };
  for (const RunRecord& r : runs) {
    if (all_swept) {
      for (const std::string& k : r.swept) add(k);
    } else {
      for (const auto& [k, v] : r.config) add(k);
    }
  }
  std::vector<std::string> out;
  for (const std::string& k : candidates) {
    std::set<std::string> values;
    for (const RunRecord& r : runs)
      if (!r.config.empty()) values.insert(value_of(r, k));
    if (values.size() > 1) out.push_back(k);
  }
  return out;
}

CompareTable build_table(const std::vector<RunRecord>& runs) {
  CompareTable t;
  t.keys = differing_keys(runs);
  std::map<std::vector<std::string>, std::size_t> index;  // differing values -> row
  for (const RunRecord& r : runs) {
    std::vector<std::string> values;
    for (const std::string& k : t.keys) values.push_back(value_of(r, k));
    // Runs without a config (never started) stay on their own row.
    std::vector<std::string> id = values;
    id.push_back(r.config.empty() ? r.name : r.group);
    auto [it, fresh] = index.emplace(id, t.rows.size());
    if (fresh) t.rows.push_back(Row{r.group.empty() ? r.name : r.group, values, {}, {}, {}});
    t.rows[it->second].runs.push_back(&r);
  }
  for (Row& row : t.rows) {
    for (const Metric& m : metrics()) row.stats.push_back(stat_of(row.runs, m.field));
    row.status = status_of(row.runs);
    if (row.runs.size() > 1) t.with_seeds = true;
  }
  return t;
}

std::string format_stat(const Stat& s, int decimals) {
  if (!s.mean) return "—";
  std::string out = fmt::format("{:.{}f}", *s.mean, decimals);
  if (s.std) out += fmt::format(" ± {:.{}f}", *s.std, decimals);
  return out;
}

}  // namespace socrates::compare
