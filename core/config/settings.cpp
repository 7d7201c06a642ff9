#include "config/settings.hpp"

#include <cmath>
#include <cstdlib>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "config/experiment.hpp"
#include "config/toml_value.hpp"
#include "io/run_dir.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

std::int64_t at_least(const ConfigSection& s, const char* key, std::int64_t min, const char* what) {
  const auto v = s.get<std::int64_t>(key);
  if (v < min) throw s.error(key, std::string(what) + ", got " + std::to_string(v));
  return v;
}

std::string fmt_double(double v) { return fmt::format("{}", v); }

// WORLD_SIZE from the launcher's environment; 1 when unset or not a positive number.
std::int64_t launcher_world_size() {
  const char* env = std::getenv("WORLD_SIZE");
  if (!env) return 1;
  char* end = nullptr;
  const long long v = std::strtoll(env, &end, 10);
  return end != env && *end == '\0' && v > 0 ? v : 1;
}

}  // namespace

Partition parse_partition(const std::string& name) {
  if (name == "train") return Partition::train;
  if (name == "validation") return Partition::validation;
  if (name == "test") return Partition::test;
  throw ConfigError("unknown partition '" + name + "'; use validation or test");
}

RunSettings RunSettings::from(const ConfigSection& s) {
  RunSettings r;
  r.name = s.get<std::string>("name");
  if (const std::string why = run_name_problem(r.name); !why.empty()) throw s.error("name", why);
  r.output_dir = s.get<std::string>("output_dir");
  r.seed = static_cast<std::uint64_t>(s.get<std::int64_t>("seed"));
  const std::string device = s.get<std::string>("device");
  try {
    r.device = c10::Device(device);
  } catch (const c10::Error&) {
    const std::string o = s.origin("device");
    throw ConfigError((o.empty() ? "" : o + ": ") + "'run.device' must be cpu, cuda or cuda:N, got \"" + device + "\".");
  }
  // One GPU per rank: "cuda" means this rank's GPU, cuda:LOCAL_RANK (set by the launcher,
  // torchrun or, through the host's SLURM fallback, srun).
  if (r.device.is_cuda() && !r.device.has_index()) {
    const char* local = std::getenv("LOCAL_RANK");
    r.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local && *local ? std::atoi(local) : 0));
  }
  return r;
}

PluginSettings PluginSettings::from(const ConfigSection& s) {
  PluginSettings p;
  for (const std::string& d : s.get<std::vector<std::string>>("paths")) p.paths.emplace_back(d);
  return p;
}

ModelSettings ModelSettings::from(const ConfigSection& s) {
  ModelSettings m;
  m.path = s.get<std::string>("path");
  m.shape = s.get<std::string>("shape");
  m.tokenizer = s.get<std::string>("tokenizer");
  if (m.tokenizer.empty() && !m.path.empty()) m.tokenizer = m.path / "tokenizer.json";
  const std::string dt = s.get<std::string>("dtype");
  m.dtype = dt == "float32" ? c10::kFloat : dt == "float16" ? c10::kHalf : c10::kBFloat16;
  if (const std::string q = s.get<std::string>("quantize"); q != "none") {
    quant::QuantOptions o;
    o.quant_type = quant::parse_quant_type(q, s.qualified("quantize"));
    o.blocksize = s.get<std::int64_t>("quant_blocksize");
    if (!quant::is_supported_blocksize(o.blocksize))
      throw s.error("quant_blocksize", "must be 64, 128, 256, 512, 1024, 2048 or 4096, got " + std::to_string(o.blocksize));
    o.double_quant = s.get<bool>("double_quant");
    m.quantize = o;
  }
  m.cudnn_attention = s.get<bool>("cudnn_attention");
  m.fused_kernels = s.get<bool>("fused_kernels");
  m.origin = s.origin("shape");
  return m;
}

DataSettings DataSettings::from(const ConfigSection& s) {
  DataSettings d;
  d.max_seq_len = at_least(s, "max_seq_len", 2, "must be at least 2");
  d.cache_dir = s.get<std::string>("cache_dir");
  d.inspect_examples = at_least(s, "inspect_examples", 0, "must be >= 0");
  return d;
}

TrainingSettings TrainingSettings::from(const ConfigSection& s) {
  TrainingSettings t;
  t.global_batch_size = at_least(s, "global_batch_size", 1, "must be at least 1");
  t.micro_batch_size = at_least(s, "micro_batch_size", 1, "must be at least 1");
  t.epochs = s.get<double>("epochs");
  if (!(std::isfinite(t.epochs) && t.epochs > 0 && t.epochs <= 1e4))
    throw s.error("epochs", "must be a number in (0, 10000], got " + fmt_double(t.epochs));
  t.max_steps = at_least(s, "max_steps", 0, "must be >= 0 (0: from epochs)");
  if (t.max_steps > 1'000'000'000)
    throw s.error("max_steps", "must be at most 1e9, got " + std::to_string(t.max_steps));
  if (t.global_batch_size % t.micro_batch_size != 0)
    throw s.error("global_batch_size", "must be a multiple of micro_batch_size x ranks, but " +
                                           std::to_string(t.global_batch_size) + " is not a multiple of micro_batch_size " +
                                           std::to_string(t.micro_batch_size));
  if (const std::int64_t world = launcher_world_size(); world > 1 && t.global_batch_size % (t.micro_batch_size * world) != 0)
    throw s.error("global_batch_size", "must be a multiple of micro_batch_size x ranks (" +
                                           std::to_string(t.micro_batch_size) + " x " + std::to_string(world) +
                                           " from WORLD_SIZE), got " + std::to_string(t.global_batch_size));
  t.lr = s.get<double>("lr");
  if (!(std::isfinite(t.lr) && t.lr >= 0)) throw s.error("lr", "must be a finite number >= 0, got " + fmt_double(t.lr));
  t.schedule = s.get<std::string>("schedule");
  t.warmup_ratio = s.get<double>("warmup_ratio");
  if (!(t.warmup_ratio >= 0 && t.warmup_ratio <= 1)) throw s.error("warmup_ratio", "must be in [0, 1]");
  t.min_lr_ratio = s.get<double>("min_lr_ratio");
  if (!(t.min_lr_ratio >= 0 && t.min_lr_ratio <= 1)) throw s.error("min_lr_ratio", "must be in [0, 1]");
  t.max_grad_norm = s.get<double>("max_grad_norm");
  if (std::isnan(t.max_grad_norm)) throw s.error("max_grad_norm", "must be a number, got nan");
  t.gradient_checkpointing = s.get<bool>("gradient_checkpointing");
  t.checkpoint_layers = at_least(s, "checkpoint_layers", -1, "must be >= 0, or -1 for every layer");
  t.length_bucketing = s.get<bool>("length_bucketing");
  t.eval_every = at_least(s, "eval_every", 0, "must be >= 0 (0: at the end only)");
  t.eval_max_examples = at_least(s, "eval_max_examples", 0, "must be >= 0 (0: all)");
  t.sample_generations = at_least(s, "sample_generations", 0, "must be >= 0");
  t.log_every = s.get<std::int64_t>("log_every");
  t.profile_start = at_least(s, "profile_start", 0, "must be >= 0 (0-based step index)");
  t.profile_steps = at_least(s, "profile_steps", 0, "must be >= 0 (0: no profile)");
  return t;
}

CheckpointSettings CheckpointSettings::from(const ConfigSection& s) {
  CheckpointSettings c;
  c.save_every = s.get<std::int64_t>("save_every");
  if (c.save_every < 0)
    throw s.error("save_every", "must be >= 0 (0: save only at the end), got " + std::to_string(c.save_every));
  c.continue_on_error = s.get<std::string>("on_save_error") == "continue";
  return c;
}

EvaluationSettings EvaluationSettings::from(const ConfigSection& e, std::uint64_t run_seed, std::int64_t max_len) {
  EvaluationSettings s;
  s.predict.mode = e.get<std::string>("mode") == "distribution" ? PredictMode::distribution : PredictMode::sample;
  s.predict.temperature = e.get<double>("temperature");
  s.predict.top_p = e.get<double>("top_p");
  const std::int64_t seed = e.get<std::int64_t>("seed");
  s.predict.seed = seed >= 0 ? static_cast<std::uint64_t>(seed) : run_seed;
  s.predict.max_new_tokens = e.get<std::int64_t>("max_new_tokens");
  s.predict.batch_size = e.get<std::int64_t>("batch_size");
  s.predict.max_levels = e.get<std::int64_t>("max_levels");
  s.predict.max_len = max_len;
  if (!(std::isfinite(s.predict.temperature) && s.predict.temperature >= 0))
    throw e.error("temperature", "must be a finite number >= 0 (0 = greedy)");
  if (!(s.predict.top_p > 0 && s.predict.top_p <= 1)) throw e.error("top_p", "must be in (0, 1]");
  if (s.predict.max_new_tokens < 1) throw e.error("max_new_tokens", "must be at least 1");
  if (s.predict.batch_size < 1) throw e.error("batch_size", "must be at least 1");
  if (s.predict.max_levels < 2) throw e.error("max_levels", "must be at least 2");
  s.split = parse_partition(e.get<std::string>("split"));
  s.final_split = parse_partition(e.get<std::string>("final_split"));
  s.during_training = e.get<bool>("during_training");
  s.compare_base = e.get<bool>("compare_base");
  s.max_examples = e.get<std::int64_t>("max_examples");
  if (s.max_examples < 0) throw e.error("max_examples", "must be >= 0 (0 = all)");
  return s;
}

namespace {

// [training] keys that change the updates. Logging and evaluation cadence may change.
const char* const kUpdateKeys[] = {"global_batch_size", "micro_batch_size", "epochs",     "max_steps",
                                   "lr",                "schedule",         "warmup_ratio", "min_lr_ratio",
                                   "max_grad_norm",     "length_bucketing"};

std::map<std::string, std::string> update_settings_of(const Experiment& exp,
                                                      std::map<std::string, std::string>& defaults) {
  std::map<std::string, std::string> out;
  const ConfigSection t = exp.section("training");
  for (const char* key : kUpdateKeys) out[std::string("training.") + key] = to_toml_value_text(t.values().at(key));
  out["run.seed"] = to_toml_value_text(exp.section("run").values().at("seed"));
  out["data.max_seq_len"] = to_toml_value_text(exp.section("data").values().at("max_seq_len"));
  for (const char* key : {"dtype", "quantize", "quant_blocksize", "double_quant"})
    out[std::string("model.") + key] = to_toml_value_text(exp.section("model").values().at(key));
  for (const char* slot : {"adapter", "optimizer", "objective"}) {
    for (const PluginUse* use : exp.plugins_in(slot)) {
      out[std::string(slot) + ".plugin"] = "\"" + use->name + "\"";
      for (const auto& [key, value] : use->config.values()) out[std::string(slot) + "." + key] = to_toml_value_text(value);
      if (use->options)
        for (const OptionSpec& o : *use->options)
          if (o.default_value)
            defaults[std::string(slot) + "." + o.key] = to_toml_value_text(canonicalize(*o.default_value, o.type));
    }
  }
  return out;
}

}  // namespace

HostSettings HostSettings::from(const Experiment& exp) {
  HostSettings h;
  h.run = RunSettings::from(exp.section("run"));
  h.plugins = PluginSettings::from(exp.section("plugins"));
  h.model = ModelSettings::from(exp.section("model"));
  h.data = DataSettings::from(exp.section("data"));
  h.training = TrainingSettings::from(exp.section("training"));
  h.checkpoint = CheckpointSettings::from(exp.section("checkpoint"));
  h.evaluation = EvaluationSettings::from(exp.section("evaluation"), h.run.seed, h.data.max_seq_len);
  h.update_settings = update_settings_of(exp, h.update_defaults);
  return h;
}

}  // namespace socrates
