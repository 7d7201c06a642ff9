#include "checkpoint/training_settings.hpp"

#include "config/toml_value.hpp"
#include "socrates/sdk.hpp"
#include "util/sha256.hpp"

namespace socrates {

namespace {

// [training] keys that change the updates. Logging and evaluation cadence may change.
const char* const kTrainingKeys[] = {"global_batch_size", "micro_batch_size", "epochs",     "max_steps",
                                     "lr",                "schedule",         "warmup_ratio", "min_lr_ratio",
                                     "max_grad_norm",     "length_bucketing"};

void add_section(std::map<std::string, std::string>& out, const ConfigSection& s, const std::string& name) {
  for (const auto& [key, value] : s.values()) out[name + "." + key] = to_toml_value_text(value);
}

}  // namespace

std::string batch_plan_sha256(const BatchPlan& plan) {
  std::string bytes;
  for (const auto& step : plan.steps) {
    for (const auto& mb : step) {
      for (std::size_t i : mb) bytes.append(reinterpret_cast<const char*>(&i), sizeof i);
      bytes.push_back('|');  // micro-batch boundary
    }
    bytes.push_back('/');  // step boundary
  }
  return sha256_hex(bytes);
}

TrainerState describe_training(const Experiment& exp, const BatchPlan& plan, const LrSchedule& sched,
                               const DataPipeline& data, const TokenizedSet& train_set, int world_size) {
  TrainerState s;
  s.total_steps = static_cast<std::int64_t>(plan.steps.size());
  s.steps_per_epoch = plan.steps_per_epoch;
  s.world_size = world_size;
  s.schedule = sched.kind;
  s.lr = sched.lr;
  s.warmup_steps = sched.warmup_steps();
  s.min_lr_ratio = sched.min_lr_ratio;
  s.next_lr = sched.at(0);

  const ConfigSection t = exp.section("training");
  for (const char* key : kTrainingKeys) s.settings[std::string("training.") + key] = to_toml_value_text(t.values().at(key));
  s.settings["run.seed"] = to_toml_value_text(exp.section("run").values().at("seed"));
  s.settings["data.max_seq_len"] = to_toml_value_text(exp.section("data").values().at("max_seq_len"));
  s.settings["model.dtype"] = to_toml_value_text(exp.section("model").values().at("dtype"));
  for (const char* slot : {"adapter", "optimizer"}) {
    for (const PluginUse* use : exp.plugins_in(slot)) {
      s.settings[std::string(slot) + ".plugin"] = "\"" + use->name + "\"";
      add_section(s.settings, use->config, slot);
    }
  }
  s.settings["dataset (fingerprint)"] = data.dataset->fingerprint();
  s.settings["prompt format (fingerprint)"] = data.format->fingerprint();
  s.settings["tokenized training data (cache key)"] = train_set.file().stem().string();
  s.settings["batch plan (sha256 of the data order)"] = batch_plan_sha256(plan);
  return s;
}

}  // namespace socrates
