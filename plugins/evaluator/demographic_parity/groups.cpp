#include "groups.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace socrates::eval {

std::optional<double> parse_number(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  const auto last = s.find_last_not_of(" \t");
  const std::string t = s.substr(first, last - first + 1);
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(x)) return std::nullopt;
  return x;
}

std::vector<double> quantile_cuts(const std::vector<double>& sorted, std::int64_t bins) {
  std::vector<double> cuts;
  const auto n = static_cast<std::int64_t>(sorted.size());
  for (std::int64_t k = 1; k < bins; ++k) {
    const std::int64_t idx = (k * n + bins - 1) / bins - 1;  // ceil(k n / bins) - 1
    const double c = sorted[static_cast<std::size_t>(std::max<std::int64_t>(idx, 0))];
    if (cuts.empty() || c > cuts.back()) cuts.push_back(c);
  }
  return cuts;
}

std::string format_number(double x) {
  char buf[64];
  if (std::fabs(x) < 1e15 && x == std::floor(x))
    std::snprintf(buf, sizeof buf, "%.0f", x);
  else
    std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

AttributeGroups group_attribute(const std::vector<AttributeValue>& values, std::int64_t max_groups,
                                std::int64_t numeric_bins) {
  AttributeGroups out;
  std::set<std::string> distinct;
  for (const auto& v : values) distinct.insert(v.value);
  if (static_cast<std::int64_t>(distinct.size()) <= max_groups) {
    out.groups.assign(distinct.begin(), distinct.end());
    for (const auto& v : distinct) out.group_of[v] = v;
    return out;
  }
  std::map<std::string, double> number_of;
  for (const auto& v : distinct) {
    const auto x = parse_number(v);
    if (!x) {
      out.skipped = std::to_string(distinct.size()) + " distinct values (more than max_groups = " +
                    std::to_string(max_groups) + ") and not all numbers (e.g. \"" + v + "\"), so they cannot be binned";
      return out;
    }
    number_of[v] = *x;
  }
  // Bin edges from the human rows' values (every row's when no row has a human answer).
  std::vector<double> sample;
  for (const auto& v : values)
    if (v.human) sample.push_back(number_of[v.value]);
  if (sample.empty())
    for (const auto& v : values) sample.push_back(number_of[v.value]);
  std::sort(sample.begin(), sample.end());
  const std::vector<double> cuts = quantile_cuts(sample, numeric_bins);
  const auto bin_of = [&](double x) {
    return static_cast<std::size_t>(std::lower_bound(cuts.begin(), cuts.end(), x) - cuts.begin());
  };
  // Each bin is named by the smallest and largest value seen in it.
  std::vector<std::optional<std::pair<double, double>>> ends(cuts.size() + 1);
  for (const auto& [v, x] : number_of) {
    auto& e = ends[bin_of(x)];
    e = e ? std::pair{std::min(e->first, x), std::max(e->second, x)} : std::pair{x, x};
  }
  std::vector<std::string> label(ends.size());
  for (std::size_t b = 0; b < ends.size(); ++b) {
    if (!ends[b]) continue;
    label[b] = ends[b]->first == ends[b]->second ? format_number(ends[b]->first)
                                                 : format_number(ends[b]->first) + "-" + format_number(ends[b]->second);
    out.groups.push_back(label[b]);
  }
  for (const auto& [v, x] : number_of) out.group_of[v] = label[bin_of(x)];
  out.binned = true;
  return out;
}

}  // namespace socrates::eval
