#include "sweep/sweep_state.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace socrates::sweep {

namespace {

const char* const kStatus[] = {"pending", "running", "finished", "failed", "interrupted"};

json to_json(const Value& v) {
  if (v.is<bool>()) return v.as<bool>();
  if (v.is<std::int64_t>()) return v.as<std::int64_t>();
  if (v.is<double>()) return v.as<double>();
  if (v.is<std::string>()) return v.as<std::string>();
  if (v.is<Array>()) {
    json a = json::array();
    for (const Value& e : v.as<Array>()) a.push_back(to_json(e));
    return a;
  }
  if (v.is<Table>()) {
    json t = json::object();
    for (const auto& [k, e] : v.as<Table>()) t[k] = to_json(e);
    return t;
  }
  return nullptr;
}

Value from_json(const json& j) {
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number_integer()) return Value(j.get<std::int64_t>());
  if (j.is_number()) return Value(j.get<double>());
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_array()) {
    Array a;
    for (const json& e : j) a.push_back(from_json(e));
    return Value(std::move(a));
  }
  if (j.is_object()) {
    Table t;
    for (const auto& [k, e] : j.items()) t[k] = from_json(e);
    return Value(std::move(t));
  }
  return Value();
}

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

Status status_of(const std::string& s, const fs::path& file) {
  for (int i = 0; i < 5; ++i)
    if (s == kStatus[i]) return static_cast<Status>(i);
  throw Error(file.string() + ": unknown variant status '" + s + "'");
}

}  // namespace

const char* to_string(Status s) { return kStatus[static_cast<int>(s)]; }

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void save_state(const SweepState& s) {
  json vs = json::array();
  for (const VariantState& v : s.variants) {
    json ov = json::object();
    for (const auto& [k, val] : v.overrides) ov[k] = to_json(val);
    vs.push_back({{"name", v.name},
                  {"group", v.group},
                  {"seed", opt(v.seed)},
                  {"overrides", std::move(ov)},
                  {"run_dir", v.run_dir},
                  {"status", to_string(v.status)},
                  {"attempts", v.attempts},
                  {"exit_code", opt(v.exit_code)},
                  {"error", v.error.empty() ? json(nullptr) : json(v.error)},
                  {"device", v.device.empty() ? json(nullptr) : json(v.device)},
                  {"pid", v.pid ? json(v.pid) : json(nullptr)},
                  {"started_at", v.started_at.empty() ? json(nullptr) : json(v.started_at)},
                  {"finished_at", v.finished_at.empty() ? json(nullptr) : json(v.finished_at)},
                  {"seconds", v.seconds},
                  {"max_rss_gib", opt(v.max_rss_gib)}});
  }
  const json j = {{"format", "socrates-sweep"},
                  {"version", 1},
                  {"name", s.name},
                  {"dir", s.dir.string()},
                  {"sweep_file", s.sweep_file.string()},
                  {"base", s.base.string()},
                  {"created_at", s.created_at},
                  {"command", s.command},
                  {"common_overrides", s.common},
                  {"swept_keys", s.swept},
                  {"seeds", s.seeds},
                  {"variants", std::move(vs)}};
  write_file_atomic(s.dir / kSweepJson, j.dump(1) + "\n");
}

bool is_sweep_dir(const fs::path& dir) { return fs::is_regular_file(dir / kSweepJson); }

SweepState load_state(const fs::path& dir) {
  const fs::path file = dir / kSweepJson;
  std::ifstream in(file);
  if (!in) {
    throw Error(dir.string() + " is not a sweep directory: it has no " + kSweepJson +
                " (give the folder `socrates sweep` created, runs/<sweep>-<time>)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  SweepState s;
  try {
    const json j = json::parse(ss.str());
    if (j.value("format", "") != "socrates-sweep") throw Error(file.string() + ": not a socrates sweep file");
    if (j.value("version", 0) != 1) {
      throw Error(file.string() + ": sweep format version " + j.value("version", json(0)).dump() +
                  " is not supported (this socrates reads version 1)");
    }
    s.name = j.at("name").get<std::string>();
    s.dir = fs::absolute(dir).lexically_normal();
    s.sweep_file = j.at("sweep_file").get<std::string>();
    s.base = j.at("base").get<std::string>();
    s.created_at = j.at("created_at").get<std::string>();
    s.command = j.at("command").get<std::vector<std::string>>();
    s.common = j.at("common_overrides").get<std::vector<std::string>>();
    s.swept = j.at("swept_keys").get<std::vector<std::string>>();
    s.seeds = j.at("seeds").get<int>();
    for (const json& v : j.at("variants")) {
      VariantState x;
      x.name = v.at("name").get<std::string>();
      x.group = v.at("group").get<std::string>();
      if (!v.at("seed").is_null()) x.seed = v.at("seed").get<std::int64_t>();
      for (const auto& [k, val] : v.at("overrides").items()) x.overrides.emplace_back(k, from_json(val));
      x.run_dir = v.at("run_dir").get<std::string>();
      x.status = status_of(v.at("status").get<std::string>(), file);
      x.attempts = v.at("attempts").get<int>();
      if (!v.at("exit_code").is_null()) x.exit_code = v.at("exit_code").get<int>();
      if (!v.at("error").is_null()) x.error = v.at("error").get<std::string>();
      if (!v.at("device").is_null()) x.device = v.at("device").get<std::string>();
      if (!v.at("pid").is_null()) x.pid = v.at("pid").get<std::int64_t>();
      if (!v.at("started_at").is_null()) x.started_at = v.at("started_at").get<std::string>();
      if (!v.at("finished_at").is_null()) x.finished_at = v.at("finished_at").get<std::string>();
      x.seconds = v.at("seconds").get<double>();
      if (!v.at("max_rss_gib").is_null()) x.max_rss_gib = v.at("max_rss_gib").get<double>();
      s.variants.push_back(std::move(x));
    }
  } catch (const json::exception& e) {
    throw Error(file.string() + ": malformed sweep file: " + e.what());
  }
  return s;
}

}  // namespace socrates::sweep
