#include "compare/compare_plots.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "socrates/error.hpp"

namespace socrates::compare {

namespace {

std::optional<double> numeric(const RunRecord& r, const std::string& key) {
  auto it = r.config.find(key);
  if (it == r.config.end()) return std::nullopt;
  if (it->second.is<std::int64_t>()) return static_cast<double>(it->second.as<std::int64_t>());
  if (it->second.is<double>()) return it->second.as<double>();
  return std::nullopt;
}

bool is_numeric_axis(const CompareTable& t, std::size_t k) {
  std::set<double> xs;
  for (const Row& r : t.rows) {
    for (const RunRecord* run : r.runs) {
      if (run->config.empty()) continue;
      const auto x = numeric(*run, t.keys[k]);
      if (!x) return false;
      xs.insert(*x);
    }
  }
  return xs.size() >= 2;
}

}  // namespace

std::optional<std::string> numeric_axis(const CompareTable& t, const std::string& requested) {
  std::vector<std::string> candidates;
  for (std::size_t k = 0; k < t.keys.size(); ++k)
    if (is_numeric_axis(t, k)) candidates.push_back(t.keys[k]);
  if (requested.empty()) return candidates.empty() ? std::nullopt : std::optional<std::string>(candidates.front());
  if (std::find(candidates.begin(), candidates.end(), requested) == candidates.end()) {
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
    throw Error("--x " + requested + ": not a key that differs between the runs with numbers only" +
                (list.empty() ? std::string(" (there is none)") : " (candidates: " + list + ")"));
  }
  return requested;
}

std::vector<AxisSeries> axis_series(const CompareTable& t, const std::string& key) {
  const auto k = static_cast<std::size_t>(std::find(t.keys.begin(), t.keys.end(), key) - t.keys.begin());
  std::vector<const Row*> rows;
  for (const Row& r : t.rows) {
    if (r.runs.empty() || r.runs.front()->config.empty() || !r.stats[kW1].mean) continue;
    if (numeric(*r.runs.front(), key)) rows.push_back(&r);
  }
  // A key that varies with the axis (zipped with it: alpha = 2r) does not split the series.
  std::vector<bool> tied(t.keys.size(), true);
  for (std::size_t i = 0; i < t.keys.size(); ++i) {
    std::map<std::string, std::string> value_at;  // axis value -> this key's value
    for (const Row* r : rows) {
      auto [it, fresh] = value_at.emplace(r->values[k], r->values[i]);
      if (!fresh && it->second != r->values[i]) tied[i] = false;
    }
  }
  std::map<std::string, std::size_t> index;
  std::vector<AxisSeries> out;
  for (const Row* rp : rows) {
    const Row& r = *rp;
    const double x = *numeric(*r.runs.front(), key);
    std::string label;
    for (std::size_t i = 0; i < t.keys.size(); ++i) {
      if (i == k || tied[i]) continue;
      label += (label.empty() ? "" : ", ") + t.keys[i] + "=" + r.values[i];
    }
    auto [it, fresh] = index.emplace(label, out.size());
    if (fresh) out.push_back(AxisSeries{label, {}});
    out[it->second].points.push_back(AxisPoint{x, r.stats[kW1]});
  }
  for (AxisSeries& s : out) {
    std::sort(s.points.begin(), s.points.end(), [](const AxisPoint& a, const AxisPoint& b) { return a.x < b.x; });
  }
  return out;
}

}  // namespace socrates::compare
