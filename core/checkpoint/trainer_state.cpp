#include "checkpoint/trainer_state.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"

namespace socrates {

namespace {

// JSON has no NaN or infinity: such losses are written as the strings "nan", "inf", "-inf".
nlohmann::ordered_json numbers(const std::vector<double>& v) {
  auto out = nlohmann::ordered_json::array();
  for (double x : v) {
    if (std::isfinite(x))
      out.push_back(x);  // round-trip precision: a resumed run's numbers match bit for bit
    else
      out.push_back(std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf"));
  }
  return out;
}

std::vector<double> parse_numbers(const nlohmann::json& j) {
  std::vector<double> out;
  for (const auto& x : j) out.push_back(x.is_string() ? std::stod(x.get<std::string>()) : x.get<double>());
  return out;
}

}  // namespace

std::string trainer_state_json(const TrainerState& s) {
  nlohmann::ordered_json j;
  j["format"] = "socrates-trainer-state";
  j["version"] = TrainerState::kVersion;
  j["step"] = s.step;
  j["epoch"] = s.epoch;
  j["data_position"] = s.data_position;
  j["total_steps"] = s.total_steps;
  j["steps_per_epoch"] = s.steps_per_epoch;
  j["world_size"] = s.world_size;
  j["lr_schedule"] = {{"kind", s.schedule},
                      {"lr", s.lr},
                      {"warmup_steps", s.warmup_steps},
                      {"min_lr_ratio", s.min_lr_ratio},
                      {"next_lr", s.next_lr}};
  j["settings"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : s.settings) j["settings"][k] = v;
  j["losses"] = numbers(s.losses);
  j["eval_losses"] = numbers(s.eval_losses);
  return j.dump(1) + "\n";
}

TrainerState parse_trainer_state(const std::string& text, const std::filesystem::path& file) {
  TrainerState s;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("format", "") != "socrates-trainer-state")
      throw Error(file.string() + ": not a Socrates trainer state (no \"format\": \"socrates-trainer-state\")");
    const int version = j.at("version").get<int>();
    if (version > TrainerState::kVersion)
      throw Error(file.string() + ": trainer state version " + std::to_string(version) +
                  " is newer than this Socrates reads (" + std::to_string(TrainerState::kVersion) + "); update Socrates");
    s.step = j.at("step").get<std::int64_t>();
    s.epoch = j.at("epoch").get<double>();
    s.data_position = j.at("data_position").get<std::int64_t>();
    s.total_steps = j.at("total_steps").get<std::int64_t>();
    s.steps_per_epoch = j.at("steps_per_epoch").get<std::int64_t>();
    s.world_size = j.at("world_size").get<int>();
    const auto& lr = j.at("lr_schedule");
    s.schedule = lr.at("kind").get<std::string>();
    s.lr = lr.at("lr").get<double>();
    s.warmup_steps = lr.at("warmup_steps").get<std::int64_t>();
    s.min_lr_ratio = lr.at("min_lr_ratio").get<double>();
    s.next_lr = lr.at("next_lr").get<double>();
    for (const auto& [k, v] : j.at("settings").items()) s.settings[k] = v.get<std::string>();
    s.losses = parse_numbers(j.at("losses"));
    s.eval_losses = parse_numbers(j.at("eval_losses"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": malformed trainer state (" + e.what() + ")");
  } catch (const std::logic_error& e) {  // std::stod on a bad string
    throw Error(file.string() + ": malformed trainer state (a number: " + e.what() + ")");
  }
  if (s.step < 0 || s.step > s.total_steps || static_cast<std::int64_t>(s.losses.size()) != s.step)
    throw Error(file.string() + ": inconsistent trainer state (step " + std::to_string(s.step) + " of " +
                std::to_string(s.total_steps) + " with " + std::to_string(s.losses.size()) + " losses)");
  return s;
}

void check_resumable(const TrainerState& saved, const TrainerState& now, const std::filesystem::path& ckpt) {
  std::string diffs;
  auto differ = [&](const std::string& key, const std::string& here, const std::string& there) {
    diffs += "\n  " + key + ": " + here + " now, " + there + " in the checkpoint";
  };
  for (const auto& [key, value] : saved.settings) {
    auto it = now.settings.find(key);
    if (it == now.settings.end())
      differ(key, "(not set)", value);
    else if (it->second != value)
      differ(key, it->second, value);
  }
  for (const auto& [key, value] : now.settings) {
    if (saved.settings.count(key)) continue;
    auto d = now.defaults.find(key);
    if (d == now.defaults.end() || d->second != value) differ(key, value, "(not set)");
  }
  // The number of ranks may change: the data order is global and the optimizer state is
  // keyed by parameter name (docs/distributed.md).
  if (saved.total_steps != now.total_steps)
    differ("total steps", std::to_string(now.total_steps), std::to_string(saved.total_steps));
  if (diffs.empty()) return;
  throw Error("cannot resume from " + ckpt.string() + ": this run's settings differ from the checkpoint's, so it "
              "would not continue the same training:" + diffs +
              "\nResume with the checkpoint's own settings (its config.resolved.toml, which `socrates resume RUN_DIR` "
              "uses), or start a new run without --resume.");
}

}  // namespace socrates
