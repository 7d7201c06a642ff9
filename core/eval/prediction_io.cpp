#include "eval/prediction_io.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "eval/answer_parse.hpp"
#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace socrates {

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

double number(const json& v, const std::string& key, const std::string& where) {
  if (!v.is_number()) throw Error(where + ": '" + key + "' must be a number, got " + v.dump());
  return v.get<double>();
}

std::optional<double> opt_number(const json& row, const std::string& key, const std::string& where) {
  auto it = row.find(key);
  if (it == row.end() || it->is_null()) return std::nullopt;
  return number(*it, key, where);
}

// "Age: 25; Gender: Female" or {"age": "25", ...}.
std::vector<std::pair<std::string, std::optional<std::string>>> demographics(const json& v, const std::string& where) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      if (x.is_null()) out.emplace_back(k, std::nullopt);
      else out.emplace_back(k, x.is_string() ? x.get<std::string>() : x.dump());
    }
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      const auto end = std::min(s.find(';', start), s.size());
      const std::string item = trim(s.substr(start, end - start));
      if (!item.empty()) {
        const auto colon = item.find(':');
        if (colon == std::string::npos)
          throw Error(where + ": demographic item '" + item + "' is not 'Attribute: value'");
        out.emplace_back(trim(item.substr(0, colon)), trim(item.substr(colon + 1)));
      }
      start = end + 1;
    }
  } else if (!v.is_null()) {
    throw Error(where + ": 'demographic' must be an object or an 'Attr: value; ...' string");
  }
  return out;
}

}  // namespace

std::vector<PredictionRow> read_predictions(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open the predictions file");
  std::vector<PredictionRow> rows;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(n);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      throw Error(where + ": not a JSON object (" + std::string(e.what()) + ")");
    }
    if (!j.is_object()) throw Error(where + ": each line must be a JSON object");
    PredictionRow r;
    auto it = j.find("study_id");
    if (it == j.end() || !(it->is_string() || it->is_number()))
      throw Error(where + ": missing 'study_id'; every row needs study_id, condition_num and task_num");
    r.study_id = it->is_string() ? it->get<std::string>() : it->dump();
    for (const char* key : {"condition_num", "task_num"})
      if (!j.contains(key)) throw Error(where + ": missing '" + std::string(key) + "'");
    r.condition_num = static_cast<std::int64_t>(number(j["condition_num"], "condition_num", where));
    r.task_num = static_cast<std::int64_t>(number(j["task_num"], "task_num", where));
    if (auto p = opt_number(j, "participant", where)) r.participant = static_cast<std::int64_t>(*p);
    r.response = opt_number(j, "response", where);
    r.scale_min = opt_number(j, "scale_min", where);
    r.scale_max = opt_number(j, "scale_max", where);
    for (const auto& [key, v] : {std::pair{"response", r.response}, {"scale_min", r.scale_min}, {"scale_max", r.scale_max}})
      if (v && !std::isfinite(*v)) throw Error(where + ": '" + key + "' is not a finite number");
    if (r.scale_min && r.scale_max && *r.scale_min > *r.scale_max)
      throw Error(where + ": scale_min " + fmt::format("{}", *r.scale_min) + " > scale_max " +
                  fmt::format("{}", *r.scale_max) + "; the scale is inverted");
    if (j.contains("prediction")) {
      const json& p = j["prediction"];
      if (p.is_number()) r.prediction = p.get<double>();
      else if (p.is_string()) r.prediction = parse_answer(p.get<std::string>());
      else if (!p.is_null()) throw Error(where + ": 'prediction' must be a number, a string or null");
      r.parse_failed = !r.prediction;
    }
    if (j.contains("distribution") && !j["distribution"].is_null()) {
      const json& d = j["distribution"];
      if (d.is_object()) {
        for (const auto& [k, v] : d.items()) {
          // The key is the answer itself ("3", "2.5"), not text to parse an answer from.
          char* end = nullptr;
          const double value = k.empty() ? 0.0 : std::strtod(k.c_str(), &end);
          if (k.empty() || *end != '\0') throw Error(where + ": distribution answer '" + k + "' is not a number");
          const std::optional<double> a = value;
          r.distribution.emplace_back(*a, number(v, "distribution", where));
        }
      } else if (d.is_array()) {
        for (const auto& pair : d) {
          if (!pair.is_array() || pair.size() != 2) throw Error(where + ": distribution entries must be [answer, p]");
          r.distribution.emplace_back(number(pair[0], "distribution", where), number(pair[1], "distribution", where));
        }
      } else {
        throw Error(where + ": 'distribution' must be an object or an array of [answer, p]");
      }
      double total = 0;
      for (const auto& [a, p] : r.distribution) {
        if (!std::isfinite(a)) throw Error(where + ": distribution answer " + fmt::format("{}", a) + " is not finite");
        if (r.scale_min && r.scale_max && (a < *r.scale_min || a > *r.scale_max))
          throw Error(where + ": distribution answer " + fmt::format("{}", a) + " is outside the row's scale [" +
                      fmt::format("{}", *r.scale_min) + ", " + fmt::format("{}", *r.scale_max) + "]");
        if (!(p >= 0) || !std::isfinite(p)) throw Error(where + ": distribution has a negative or non-finite probability");
        total += p;
      }
      if (r.distribution.empty() || total <= 0) throw Error(where + ": distribution is empty");
      for (auto& [a, p] : r.distribution) p /= total;
      r.parse_failed = false;
    }
    if (j.contains("demographic")) r.demographic = demographics(j["demographic"], where);
    if (!r.response && !r.prediction && !r.parse_failed && r.distribution.empty())
      throw Error(where + ": the row has neither a 'response' nor a 'prediction'");
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw Error(file.string() + ": no rows");
  return rows;
}

void write_predictions(const fs::path& file, const std::vector<PredictionRow>& rows,
                       const std::vector<std::string>& texts) {
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const PredictionRow& r = rows[i];
    json j;
    j["study_id"] = r.study_id;
    j["condition_num"] = r.condition_num;
    j["task_num"] = r.task_num;
    j["participant"] = r.participant;
    if (r.response) j["response"] = *r.response;
    if (r.prediction) j["prediction"] = *r.prediction;
    else if (r.parse_failed) j["prediction"] = nullptr;
    if (!r.distribution.empty()) {
      json d = json::array();
      for (const auto& [a, p] : r.distribution) d.push_back({a, p});
      j["distribution"] = d;
    }
    if (r.scale_min) j["scale_min"] = *r.scale_min;
    if (r.scale_max) j["scale_max"] = *r.scale_max;
    if (!r.demographic.empty()) {
      json d = json::object();
      for (const auto& [k, v] : r.demographic) d[k] = v ? json(*v) : json(nullptr);
      j["demographic"] = d;
    }
    if (i < texts.size() && !texts[i].empty()) j["text"] = texts[i];
    out += j.dump() + "\n";
  }
  write_file_atomic(file, out);
}

}  // namespace socrates
