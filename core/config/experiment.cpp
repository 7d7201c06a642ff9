#include "config/experiment.hpp"

#include <algorithm>
#include <sstream>

#include <toml++/toml.h>

#include "config/toml_value.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {
OptionSpec opt(const char* key, socrates_option_type type, const char* def, const char* doc,
               std::vector<std::string> choices = {}) {
  OptionSpec s;
  s.key = key;
  s.type = type;
  if (def) s.default_value = canonicalize(*parse_toml_value(def), type);
  s.doc = doc;
  s.choices = std::move(choices);
  return s;
}
}  // namespace

const std::vector<std::pair<std::string, Schema>>& host_sections() {
  static const std::vector<std::pair<std::string, Schema>> sections = {
      {"run",
       {
           opt("name", SOCRATES_STRING, "\"experiment\"", "Run name; the run directory is <output_dir>/<name>-<timestamp>"),
           opt("output_dir", SOCRATES_PATH, "\"runs\"", "Where run directories are created"),
           opt("seed", SOCRATES_INT, "42", "Seed for data order, initialisation, dropout and sampling"),
           opt("device", SOCRATES_STRING, "\"cpu\"", "Device to compute on: cpu, cuda or cuda:N"),
       }},
      {"plugins",
       {
           opt("paths", SOCRATES_PATH_LIST, "[]", "Extra directories to search for plugins (besides the defaults and SOCRATES_PLUGIN_PATH)"),
       }},
      {"model",
       {
           opt("path", SOCRATES_PATH, "\"\"",
               "Hugging Face model folder (config.json + *.safetensors); empty: random weights from `shape`, drawn "
               "from `run.seed` on the CPU, the same on any device (models of a billion weights or more in "
               "parallel chunks)"),
           opt("shape", SOCRATES_PATH, "\"\"",
               "config.json giving the shape of a randomly initialised model (weights normal with std "
               "`initializer_range`; the embedding with std `embedding_initializer_range` when the file sets it, a "
               "Socrates key: [configs/models/README.md](../configs/models/README.md))"),
           opt("tokenizer", SOCRATES_PATH, "\"\"", "tokenizer.json (default: the one in `path`)"),
           opt("dtype", SOCRATES_STRING, "\"bfloat16\"", "Compute dtype of the frozen base weights",
               {"float32", "bfloat16", "float16"}),
           opt("quantize", SOCRATES_STRING, "\"none\"",
               "Quantise the decoder's linear weights to 4 bits while loading (QLoRA; bitsandbytes format). "
               "A checkpoint saved in 4 bits stays 4-bit with any value.",
               {"none", "nf4", "fp4"}),
           opt("quant_blocksize", SOCRATES_INT, "64", "Values per 4-bit absmax block (64, 128, ..., 4096)"),
           opt("double_quant", SOCRATES_BOOL, "true",
               "Quantise the block absmax values again to 8 bits (bnb_4bit_use_double_quant)"),
           opt("fused_kernels", SOCRATES_BOOL, "true",
               "On CUDA, compute SwiGLU, RoPE and RMSNorm's weight with Socrates's fused kernels (one launch forward "
               "and one backward, the same bits as the ATen ops). false: the ATen ops, for comparison"),
           opt("cudnn_attention", SOCRATES_BOOL, "false",
               "Let attention on CUDA use cuDNN's kernels. Off: flash or memory-efficient attention; cuDNN builds a "
               "plan on the host for every new sequence length, which costs more than it saves on batches of "
               "varying length (docs/benchmarks.md)"),
       }},
      {"data",
       {
           opt("max_seq_len", SOCRATES_INT, "2048", "Longest training sequence in tokens; longer prompts are cut"),
           opt("cache_dir", SOCRATES_PATH, "\".cache/socrates\"",
               "Where tokenized datasets are cached (keyed by data, prompt format, tokenizer and options)"),
           opt("inspect_examples", SOCRATES_INT, "2", "Rendered examples with their loss masks printed before training"),
       }},
      {"training",
       {
           opt("global_batch_size", SOCRATES_INT, "256", "Sequences per optimizer step, over all ranks"),
           opt("micro_batch_size", SOCRATES_INT, "8",
               "Sequences per forward/backward; accumulation = global / (micro x ranks)"),
           opt("epochs", SOCRATES_FLOAT, "1.0", "Passes over the training data"),
           opt("max_steps", SOCRATES_INT, "0", "Stop after this many optimizer steps (0: from epochs)"),
           opt("lr", SOCRATES_FLOAT, "1e-5", "Peak learning rate"),
           opt("schedule", SOCRATES_STRING, "\"cosine\"", "Learning-rate schedule after warmup",
               {"cosine", "linear", "constant"}),
           opt("warmup_ratio", SOCRATES_FLOAT, "0.05", "Share of the steps with linear warmup from 0"),
           opt("min_lr_ratio", SOCRATES_FLOAT, "0.0", "Floor of the decay, as a share of lr"),
           opt("max_grad_norm", SOCRATES_FLOAT, "1.0", "Clip gradients to this global L2 norm (0: off)"),
           opt("gradient_checkpointing", SOCRATES_BOOL, "true", "Recompute each decoder layer in backward"),
           opt("checkpoint_layers", SOCRATES_INT, "-1",
               "With gradient_checkpointing: recompute only the first N decoder layers and keep the others' "
               "activations (faster, more memory; -1: every layer)"),
           opt("length_bucketing", SOCRATES_BOOL, "true", "Batch sequences of similar length to cut padding"),
           opt("eval_every", SOCRATES_INT, "500", "Evaluate every N steps (and at the end; 0: end only)"),
           opt("eval_max_examples", SOCRATES_INT, "0", "Cap on validation examples per evaluation (0: all)"),
           opt("sample_generations", SOCRATES_INT, "3", "Validation examples generated and shown at each evaluation"),
           opt("log_every", SOCRATES_INT, "10", "Log progress every N steps"),
           opt("profile_steps", SOCRATES_INT, "0",
               "Profile this many training steps (PyTorch/Kineto): <run>/profile/ gets trace.json and a summary of "
               "kernels and operators (0: off)"),
           opt("profile_start", SOCRATES_INT, "5", "First profiled step (0-based; after the warm-up steps)"),
       }},
      {"evaluation",
       {
           opt("mode", SOCRATES_STRING, "\"sample\"",
               "sample: one sampled answer per participant (the paper); distribution: the exact probability of every "
               "answer of the scale",
               {"sample", "distribution"}),
           opt("split", SOCRATES_STRING, "\"validation\"", "Partition the evaluators score during training",
               {"validation", "test"}),
           opt("final_split", SOCRATES_STRING, "\"test\"",
               "Partition scored after training (with the base model for comparison) and by `socrates eval`",
               {"validation", "test"}),
           opt("during_training", SOCRATES_BOOL, "true", "Run the evaluators at every training evaluation (eval_every)"),
           opt("compare_base", SOCRATES_BOOL, "true",
               "Also score the base model (before training) on final_split, for the report"),
           opt("max_examples", SOCRATES_INT, "0", "Cap on participants scored per evaluation, spread over the partition (0: all)"),
           opt("temperature", SOCRATES_FLOAT, "0.6", "Sampling temperature (sample mode)"),
           opt("top_p", SOCRATES_FLOAT, "0.9", "Nucleus sampling threshold (sample mode)"),
           opt("seed", SOCRATES_INT, "-1", "Sampling seed (-1: [run] seed)"),
           opt("max_new_tokens", SOCRATES_INT, "16", "Longest sampled answer in tokens"),
           opt("batch_size", SOCRATES_INT, "16", "Participants per generation batch"),
           opt("max_levels", SOCRATES_INT, "101",
               "Largest scale scored exactly in distribution mode; larger or unbounded scales fall back to sampling"),
       }},
      {"checkpoint",
       {
           opt("save_every", SOCRATES_INT, "0",
               "Save a checkpoint every N optimizer steps (0: only at the end); sinks in [[checkpoint.sinks]], "
               "default: the local sink"),
           opt("on_save_error", SOCRATES_STRING, "\"stop\"",
               "A checkpoint that cannot be saved (full disk, ...): stop training with an error, or log it and "
               "continue",
               {"stop", "continue"}),
       }},
  };
  return sections;
}

namespace {

std::vector<std::string> keys_of(const Schema& s) {
  std::vector<std::string> out;
  for (const OptionSpec& o : s) out.push_back(o.key);
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string suggest(std::string_view word, const std::vector<std::string>& known) {
  std::string m = did_you_mean(word, known);
  return m.empty() ? std::string() : " Did you mean '" + m + "'?";
}

std::string describe(const Value& v) {
  return std::string(v.type_name()) + " " + to_toml_text(v);
}

class Resolver {
 public:
  Resolver(ExperimentFile& f, PluginCatalog& c) : file_(f), catalog_(c) {}

  std::string at(const std::string& dotted) const {
    std::string o = file_.origin(dotted);
    return o.empty() ? file_.file().string() : o;
  }

  // Checks `table` against `schema`, fills defaults, resolves paths. `skip` are child slots.
  void validate(Table& table, const Schema& schema, const std::string& dotted, const std::string& owner,
                const std::vector<std::string>& skip = {}) {
    for (auto& [key, value] : table) {
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      const std::string k = dotted + "." + key;
      auto spec = std::find_if(schema.begin(), schema.end(), [&](const OptionSpec& o) { return o.key == key; });
      if (spec == schema.end()) {
        std::vector<std::string> known = keys_of(schema);
        known.insert(known.end(), skip.begin(), skip.end());
        throw ConfigError(at(k) + ": unknown key '" + key + "' in " + owner + "." + suggest(key, known) +
                          " Valid keys: " + (known.empty() ? "none" : join(known)) + ".");
      }
      check_value(*spec, value, k);
    }
    for (const OptionSpec& spec : schema) {
      const std::string k = dotted + "." + spec.key;
      if (table.count(spec.key)) continue;
      if (!spec.default_value) {
        throw ConfigError(at(dotted) + ": " + owner + " is missing required key '" + spec.key + "' (" +
                          option_type_name(spec.type) + ": " + spec.doc + ").");
      }
      Value v = *spec.default_value;
      resolve_paths(spec, v, k);
      table.emplace(spec.key, std::move(v));
      file_.set_origin(k, "default");
    }
  }

  void check_value(const OptionSpec& spec, Value& value, const std::string& k) {
    if (!value_matches(value, spec.type)) {
      throw ConfigError(at(k) + ": '" + k + "' must be " + option_type_name(spec.type) + ", got " + describe(value) +
                        " (" + spec.doc + ").");
    }
    value = canonicalize(value, spec.type);
    if (!spec.choices.empty() && value.is<std::string>()) {
      const std::string& s = value.as<std::string>();
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
        throw ConfigError(at(k) + ": '" + k + "' must be one of " + join(spec.choices, "|") + ", got \"" + s + "\"." +
                          suggest(s, spec.choices));
      }
    }
    resolve_paths(spec, value, k);
  }

  void resolve_paths(const OptionSpec& spec, Value& value, const std::string& k) {
    auto fix = [&](Value& v, const std::string& key) {
      const std::string& s = v.as<std::string>();
      if (s.empty() || fs::path(s).is_absolute()) return;
      v = Value((file_.base_dir(key) / s).lexically_normal().string());
    };
    if (spec.type == SOCRATES_PATH) fix(value, k);
    if (spec.type == SOCRATES_PATH_LIST) {
      Array& a = value.as<Array>();
      for (std::size_t i = 0; i < a.size(); ++i) fix(a[i], k + "[" + std::to_string(i) + "]");
    }
  }

  PluginUse use_plugin(Table& table, const ConcernSpec& slot, const std::string& dotted) {
    auto p = table.find("plugin");
    if (p == table.end() || !p->second.is<std::string>()) {
      throw ConfigError(at(dotted) + ": [" + dotted + "] needs `plugin = \"<name>\"`. Known " + slot.concern +
                        " plugins: " + known_names(slot.concern) + ".");
    }
    const std::string name = p->second.as<std::string>();
    CatalogEntry lib;
    try {
      lib = catalog_.find_plugin(slot.concern, name);
    } catch (const PluginError& e) {
      throw ConfigError(at(dotted + ".plugin") + ": " + e.what());
    }
    Table values = table;
    values.erase("plugin");
    const std::string owner = "[" + dotted + "] (plugin '" + name + "')";
    validate(values, *lib.options, dotted, owner);
    Table with_plugin = values;
    with_plugin.emplace("plugin", Value(name));
    table = std::move(with_plugin);
    std::map<std::string, std::string, std::less<>> origins;
    for (const auto& [k, v] : values) origins[k] = file_.origin(dotted + "." + k);
    return PluginUse{dotted,      slot.concern, name, ConfigSection(dotted, std::move(values), std::move(origins)),
                     lib.library, lib.options};
  }

  std::string known_names(const std::string& concern) const {
    auto n = catalog_.names(concern);
    return n.empty() ? "none" : join(n);
  }

  ExperimentFile& file_;
  PluginCatalog& catalog_;
};

Table* child_table(Table& root, const std::string& name) {
  auto it = root.find(name);
  return it != root.end() && it->second.is<Table>() ? &it->second.as<Table>() : nullptr;
}

}  // namespace

Experiment Experiment::resolve(ExperimentFile file, PluginCatalog& catalog) {
  Experiment exp;
  exp.file_ = std::move(file);
  Table& root = exp.file_.root();
  Resolver r(exp.file_, catalog);

  std::vector<std::string> top;  // every known top-level name
  for (const auto& [name, schema] : host_sections()) top.push_back(name);
  for (const ConcernSpec& s : concerns())
    if (s.slot.find('.') == std::string::npos) top.push_back(s.slot);

  for (const auto& [key, value] : root) {
    if (std::find(top.begin(), top.end(), key) == top.end()) {
      throw ConfigError(r.at(key) + ": unknown section [" + key + "]." + suggest(key, top) +
                        " Known sections: " + join(top) + ".");
    }
  }

  // Host sections first: [plugins] paths must be scanned before plugins are looked up.
  for (const auto& [name, schema] : host_sections()) {
    auto it = root.find(name);
    if (it != root.end() && !it->second.is<Table>()) {
      throw ConfigError(r.at(name) + ": '" + name + "' must be a table ([" + name + "]), got " + describe(it->second));
    }
    Table& t = it == root.end() ? root.emplace(name, Value(Table{})).first->second.as<Table>() : it->second.as<Table>();
    std::vector<std::string> children;
    for (const ConcernSpec& s : concerns())
      if (s.slot.rfind(name + ".", 0) == 0) children.push_back(s.slot.substr(name.size() + 1));
    r.validate(t, schema, name, "[" + name + "]", children);
  }
  for (const fs::path& dir : PluginSettings::from(exp.section("plugins")).paths) catalog.scan(dir);
  catalog.scan_defaults();
  RunSettings::from(exp.section("run"));  // checks the device before any plugin is looked up

  for (const ConcernSpec& slot : concerns()) {
    const auto dot = slot.slot.find('.');
    Table* parent = &root;
    std::string leaf = slot.slot;
    if (dot != std::string::npos) {
      parent = child_table(root, slot.slot.substr(0, dot));
      leaf = slot.slot.substr(dot + 1);
    }
    if (!parent) continue;
    auto it = parent->find(leaf);
    if (it == parent->end() && !slot.default_plugin.empty() && !slot.multiple) {
      Table t;
      t.emplace("plugin", Value(slot.default_plugin));
      it = parent->emplace(leaf, Value(std::move(t))).first;
      exp.file_.set_origin(slot.slot, "default");
      exp.file_.set_origin(slot.slot + ".plugin", "default");
    }
    if (it == parent->end()) continue;
    if (!slot.multiple) {
      if (!it->second.is<Table>()) {
        throw ConfigError(r.at(slot.slot) + ": '" + slot.slot + "' must be a table ([" + slot.slot + "]), got " +
                          describe(it->second));
      }
      exp.plugins_.push_back(r.use_plugin(it->second.as<Table>(), slot, slot.slot));
      continue;
    }
    if (!it->second.is<Array>()) {
      throw ConfigError(r.at(slot.slot) + ": '" + slot.slot + "' must be an array of tables ([[" + slot.slot +
                        "]]), got " + describe(it->second));
    }
    Array& items = it->second.as<Array>();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string dotted = slot.slot + "[" + std::to_string(i) + "]";
      if (!items[i].is<Table>()) {
        throw ConfigError(r.at(dotted) + ": entries of '" + slot.slot + "' must be tables ([[" + slot.slot + "]])");
      }
      exp.plugins_.push_back(r.use_plugin(items[i].as<Table>(), slot, dotted));
    }
  }
  exp.settings_ = HostSettings::from(exp);
  return exp;
}

ConfigSection Experiment::section(std::string_view name) const {
  auto it = root().find(name);
  Table values = it != root().end() && it->second.is<Table>() ? it->second.as<Table>() : Table{};
  std::map<std::string, std::string, std::less<>> origins;
  for (const auto& [k, v] : values) origins[k] = file_.origin(std::string(name) + "." + k);
  return ConfigSection(std::string(name), std::move(values), std::move(origins));
}

std::vector<const PluginUse*> Experiment::plugins_in(std::string_view slot_path) const {
  std::vector<const PluginUse*> out;
  for (const PluginUse& p : plugins_) {
    std::string_view s = p.slot;
    if (s == slot_path || (s.substr(0, slot_path.size()) == slot_path && s.size() > slot_path.size() &&
                           s[slot_path.size()] == '[')) {
      out.push_back(&p);
    }
  }
  return out;
}

std::string Experiment::to_toml() const {
  std::ostringstream os;
  os << "# Resolved by socrates " << SOCRATES_VERSION << " from " << file_.file().string() << ".\n"
     << "# Every option is explicit and every path absolute: `socrates run <this file>` reruns it.\n";
  std::vector<std::string> order;
  for (const auto& [name, schema] : host_sections()) order.push_back(name);
  for (const ConcernSpec& s : concerns()) order.push_back(s.slot);
  os << to_toml_document(root(), order);
  return os.str();
}

}  // namespace socrates
