#include "compare/compare_write.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

namespace socrates::compare {

namespace {

using json = nlohmann::ordered_json;

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? fmt::format("{}", *v) : std::string();
}

json json_number(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// True when every row shares the metric's mean (or none has it).
bool constant(const CompareTable& t, std::size_t m) {
  std::set<std::string> seen;
  for (const Row& r : t.rows)
    if (r.stats[m].mean) seen.insert(fmt::format("{:.6f}", *r.stats[m].mean));
  return seen.size() <= 1;
}

}  // namespace

std::string table_markdown(const CompareTable& t) {
  const auto& ms = metrics();
  const std::size_t uniform = kUniformW1, bootstrap = kBootstrapW1;
  const bool refs_constant = constant(t, uniform) && constant(t, bootstrap);
  std::vector<std::string> head{"variant"};
  for (const std::string& k : t.keys) head.push_back(k);
  if (t.with_seeds) head.push_back("runs");
  for (std::size_t m = 0; m < ms.size(); ++m) {
    if (refs_constant && (m == uniform || m == bootstrap)) continue;
    head.push_back(ms[m].title);
  }
  head.push_back("status");
  std::string out = "|";
  for (const auto& h : head) out += " " + md_cell(h) + " |";
  out += "\n|";
  // Names and keys left-aligned, numbers right-aligned.
  for (std::size_t i = 0; i < head.size(); ++i) out += i <= t.keys.size() || i + 1 == head.size() ? ":---|" : "---:|";
  out += "\n";
  for (const Row& r : t.rows) {
    out += "| " + md_cell(r.name) + " |";
    for (const auto& v : r.values) out += " " + md_cell(v) + " |";
    if (t.with_seeds) out += " " + std::to_string(r.runs.size()) + " |";
    for (std::size_t m = 0; m < ms.size(); ++m) {
      if (refs_constant && (m == uniform || m == bootstrap)) continue;
      out += " " + format_stat(r.stats[m], ms[m].decimals) + " |";
    }
    out += " " + md_cell(r.status) + " |\n";
  }
  if (refs_constant) {
    std::optional<double> u, b;
    for (const Row& r : t.rows) {
      if (!u) u = r.stats[uniform].mean;
      if (!b) b = r.stats[bootstrap].mean;
    }
    if (u || b) {
      out += fmt::format("\nReferences on the same data: uniform guess W1 {}, human bootstrap bound W1 {}.\n",
                         u ? fmt::format("{:.4f}", *u) : "—", b ? fmt::format("{:.4f}", *b) : "—");
    }
  }
  if (t.with_seeds) out += "\nValues are mean ± standard deviation over the runs (seeds) of each variant.\n";
  return out;
}

std::string table_csv(const CompareTable& t) {
  std::string out = "variant";
  for (const auto& k : t.keys) out += "," + csv_cell(k);
  out += ",runs,status";
  for (const Metric& m : metrics()) out += std::string(",") + m.id + "," + m.id + "_std";
  out += "\n";
  for (const Row& r : t.rows) {
    out += csv_cell(r.name);
    for (const auto& v : r.values) out += "," + csv_cell(v);
    out += "," + std::to_string(r.runs.size()) + "," + csv_cell(r.status);
    for (const Stat& s : r.stats) out += "," + csv_number(s.mean) + "," + csv_number(s.std);
    out += "\n";
  }
  return out;
}

std::string runs_csv(const CompareTable& t) {
  std::string out = "name,group,seed,status,run_dir";
  for (const auto& k : t.keys) out += "," + csv_cell(k);
  for (const Metric& m : metrics()) out += std::string(",") + m.id;
  out += "\n";
  for (const Row& row : t.rows) {
    for (const RunRecord* r : row.runs) {
      out += csv_cell(r->name) + "," + csv_cell(row.name) + "," + (r->seed ? std::to_string(*r->seed) : "") + "," +
             csv_cell(r->status) + "," + csv_cell(r->dir.string());
      for (const auto& v : row.values) out += "," + csv_cell(v);
      for (const Metric& m : metrics()) out += "," + csv_number(r->*m.field);
      out += "\n";
    }
  }
  return out;
}

json table_json(const CompareTable& t) {
  json rows = json::array();
  for (const Row& row : t.rows) {
    json overrides = json::object();
    for (std::size_t i = 0; i < t.keys.size(); ++i) {
      const RunRecord& first = *row.runs.front();
      auto it = first.config.find(t.keys[i]);
      if (it == first.config.end()) {
        overrides[t.keys[i]] = nullptr;
      } else if (it->second.is<std::int64_t>()) {
        overrides[t.keys[i]] = it->second.as<std::int64_t>();
      } else if (it->second.is<double>()) {
        overrides[t.keys[i]] = it->second.as<double>();
      } else if (it->second.is<bool>()) {
        overrides[t.keys[i]] = it->second.as<bool>();
      } else {
        overrides[t.keys[i]] = row.values[i];
      }
    }
    json stats = json::object();
    for (std::size_t m = 0; m < metrics().size(); ++m) {
      const Stat& s = row.stats[m];
      stats[metrics()[m].id] = {{"mean", json_number(s.mean)}, {"std", json_number(s.std)}, {"n", s.n}};
    }
    json runs = json::array();
    for (const RunRecord* r : row.runs) {
      json j = {{"name", r->name},
                {"dir", r->dir.string()},
                {"seed", r->seed ? json(*r->seed) : json(nullptr)},
                {"status", r->status},
                {"error", r->error.empty() ? json(nullptr) : json(r->error)},
                {"report", r->report_dir.empty() ? json(nullptr) : json((r->report_dir / "report.json").string())}};
      for (const Metric& m : metrics()) j[m.id] = json_number(r->*m.field);
      runs.push_back(std::move(j));
    }
    rows.push_back({{"name", row.name},
                    {"overrides", std::move(overrides)},
                    {"status", row.status},
                    {"metrics", std::move(stats)},
                    {"runs", std::move(runs)}});
  }
  return {{"keys", t.keys}, {"rows", std::move(rows)}};
}

}  // namespace socrates::compare
