// socrates predict: the model's answer distribution for one described person and scenario.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "eval/eval_model.hpp"
#include "eval/predict.hpp"
#include "log/logging.hpp"

namespace fs = std::filesystem;

namespace socrates::cli {

namespace {

constexpr const char* kUsage =
    "socrates predict (RUN_DIR | EXP.toml | --model DIR [--tokenizer FILE] [--prompt-format NAME])\n"
    "                 [--adapter DIR | --no-adapter] --demographics \"Age: 25; Gender: Female; ...\"\n"
    "                 --scenario \"...\" [--samples N | --distribution] [--scale-min A --scale-max B]\n"
    "                 [--seed S] [--temperature T --top-p P] [--max-new-tokens N] [--device D --dtype T]\n"
    "                 [--set section.key=value ...] [--show-prompt]\n\n"
    "RUN_DIR: a run directory (its config.resolved.toml, and its adapter/ unless --no-adapter).\n"
    "The demographics become the example's attributes (\"Party ID: Independent\" -> party_id);\n"
    "the scenario is the stimulus, rendered by the prompt format as a dataset row would be.\n"
    "The answer scale comes from --scale-min/--scale-max or from the scenario's \"integer from A to B\".";

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

/// "Age: 25; Party ID: Independent" -> {("age", "25"), ("party_id", "Independent")}.
std::vector<std::pair<std::string, std::optional<std::string>>> parse_demographics(const std::string& text) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ';');) {
    if (trim(item).empty()) continue;
    const auto colon = item.find(':');
    const std::string label = colon == std::string::npos ? std::string() : trim(item.substr(0, colon));
    if (label.empty())
      throw ConfigError("--demographics: '" + trim(item) +
                        "' is not 'Label: value' (expected e.g. \"Age: 25; Gender: Female\")");
    std::string key;
    for (char c : label) key += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string value = trim(item.substr(colon + 1));
    out.emplace_back(key, value.empty() ? std::nullopt : std::optional<std::string>(value));
  }
  return out;
}

/// The scale stated in the scenario: the last "integer|number from A to B" or
/// "integer|number between A and B" with A < B.
std::optional<std::pair<std::int64_t, std::int64_t>> scenario_scale(const std::string& s) {
  std::optional<std::pair<std::int64_t, std::int64_t>> best;
  std::size_t best_at = 0;
  for (const char* noun : {"integer ", "number "}) {
    for (const auto& [from, to] : {std::pair{"from ", " to "}, std::pair{"between ", " and "}}) {
      const std::string lead = std::string(noun) + from;
      for (std::size_t at = s.find(lead); at != std::string::npos; at = s.find(lead, at + 1)) {
        long long a = 0, b = 0;
        int used = 0;
        const std::string fmt = "%lld" + std::string(to) + "%lld%n";
        if (std::sscanf(s.c_str() + at + lead.size(), fmt.c_str(), &a, &b, &used) == 2 && a < b &&
            (!best || at >= best_at)) {
          best = std::make_pair(static_cast<std::int64_t>(a), static_cast<std::int64_t>(b));
          best_at = at;
        }
      }
    }
  }
  return best;
}

std::optional<c10::ScalarType> parse_dtype(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s == "float32") return at::kFloat;
  if (s == "bfloat16") return at::kBFloat16;
  if (s == "float16") return at::kHalf;
  throw ConfigError("--dtype must be float32, bfloat16 or float16, got '" + s + "'");
}

/// A bar of `p` x 40 columns, with eighth blocks for the remainder.
std::string bar(double p) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const auto eighths = static_cast<std::int64_t>(std::lround(std::clamp(p, 0.0, 1.0) * 40 * 8));
  std::string out;
  for (std::int64_t i = 0; i < eighths / 8; ++i) out += "█";
  return out + kEighths[eighths % 8];
}

std::string number(double v) { return fmt::format("{:g}", v); }

void print_histogram(const std::map<double, double>& probs) {
  std::size_t w = 6;
  for (const auto& [a, p] : probs) w = std::max(w, number(a).size());
  std::cout << fmt::format("{:>{}}  {:>11}\n", "answer", w, "probability");
  for (const auto& [a, p] : probs) std::cout << fmt::format("{:>{}}  {:>11.3f}  {}\n", number(a), w, p, bar(p));
}

/// The command line, validated.
struct PredictArgs {
  std::string source, model_dir, tokenizer, format_name, adapter_dir, demographics, scenario, device, dtype;
  std::vector<std::string> sets;
  std::int64_t samples = 100;
  std::optional<std::int64_t> seed;
  std::optional<std::pair<double, double>> scale;
  bool no_adapter = false, show_prompt = false;
  PredictOptions options;
};

po::options_description predict_options(PredictArgs& a) {
  PredictOptions& o = a.options;
  po::options_description opts("options");
  opts.add_options()("source", po::value<std::string>(&a.source), "run directory or experiment TOML")(
      "model", po::value<std::string>(&a.model_dir), "Hugging Face model folder (instead of RUN_DIR/EXP.toml)")(
      "tokenizer", po::value<std::string>(&a.tokenizer), "tokenizer.json (with --model; default: the folder's)")(
      "prompt-format", po::value<std::string>(&a.format_name)->default_value("alpaca"),
      "prompt format plugin, default options (with --model)")(
      "adapter", po::value<std::string>(&a.adapter_dir), "PEFT LoRA adapter folder to attach")(
      "no-adapter", "ignore RUN_DIR/adapter (predict with the base model)")(
      "demographics", po::value<std::string>(&a.demographics), "\"Label: value; ...\" (e.g. \"Age: 25; Gender: Female\")")(
      "scenario", po::value<std::string>(&a.scenario), "the stimulus: vignette, question and answer format")(
      "samples", po::value<std::int64_t>(&a.samples)->default_value(100), "answers to sample")(
      "distribution", "exact probability of every answer of the scale instead of sampling")(
      "scale-min", po::value<double>(), "lowest valid answer")("scale-max", po::value<double>(), "highest valid answer")(
      "seed", po::value<std::int64_t>(), "sampling seed (default: [run] seed, or 0)")(
      "temperature", po::value<double>(&o.temperature)->default_value(0.6), "sampling temperature")(
      "top-p", po::value<double>(&o.top_p)->default_value(0.9), "nucleus sampling")(
      "max-new-tokens", po::value<std::int64_t>(&o.max_new_tokens)->default_value(16), "tokens per sampled answer")(
      "batch-size", po::value<std::int64_t>(&o.batch_size)->default_value(16), "samples per forward")(
      "max-len", po::value<std::int64_t>(&o.max_len)->default_value(0),
      "longest prompt + answer (default: [data] max_seq_len, or 2048)")(
      "device", po::value<std::string>(&a.device), "cpu, cuda or cuda:N (default: [run] device, or cpu)")(
      "dtype", po::value<std::string>(&a.dtype), "float32|bfloat16|float16 (default: [model] dtype; the "
                                                 "checkpoint's on GPU and float32 on CPU with --model)")(
      "set", po::value<std::vector<std::string>>(&a.sets)->composing(), "experiment override: section.key=value")(
      "show-prompt", "print the rendered prompt first");
  return opts;
}

/// Parses and checks the command line; nullopt after --help.
std::optional<PredictArgs> parse_predict_args(const std::vector<std::string>& args) {
  PredictArgs a;
  po::options_description opts = predict_options(a);
  po::positional_options_description pos;
  pos.add("source", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, kUsage)) return std::nullopt;
  if (vm.count("seed")) a.seed = vm["seed"].as<std::int64_t>();
  a.no_adapter = vm.count("no-adapter") > 0;
  a.show_prompt = vm.count("show-prompt") > 0;
  if (a.source.empty() == a.model_dir.empty())
    throw ConfigError("predict: give exactly one of RUN_DIR, EXP.toml or --model DIR (see socrates predict --help)");
  if (trim(a.scenario).empty()) throw ConfigError("predict: --scenario is required (the question the person answers)");
  if (!vm.count("demographics")) throw ConfigError("predict: --demographics is required (e.g. \"Age: 25; Gender: Female\"; \"\" for none)");
  if (vm.count("scale-min") != vm.count("scale-max")) throw ConfigError("predict: give both --scale-min and --scale-max");
  if (!a.adapter_dir.empty() && a.no_adapter) throw ConfigError("predict: --adapter and --no-adapter exclude each other");
  if (!a.model_dir.empty() && !a.sets.empty()) throw ConfigError("predict: --set needs RUN_DIR or EXP.toml, not --model");
  if (a.samples < 1) throw ConfigError("predict: --samples must be at least 1");
  a.options.mode = vm.count("distribution") ? PredictMode::distribution : PredictMode::sample;
  if (a.options.mode == PredictMode::distribution && !vm["samples"].defaulted())
    throw ConfigError("predict: --samples and --distribution exclude each other");
  if (vm.count("scale-min")) {
    a.scale = {vm["scale-min"].as<double>(), vm["scale-max"].as<double>()};
    if (!(a.scale->first < a.scale->second)) throw ConfigError("predict: --scale-min must be below --scale-max");
  }
  return a;
}

/// The described person and scenario as an unlabelled example. Its prompt text is left to
/// the prompt format, which renders it from the attributes and the stimulus.
Example build_example(const PredictArgs& a) {
  Example ex;
  ex.sample_id = 0;
  ex.study_id = "cli";
  ex.demographic = parse_demographics(a.demographics);
  ex.stimuli = trim(a.scenario);
  if (a.scale) {
    ex.scale_min = a.scale->first, ex.scale_max = a.scale->second;
  } else if (auto s = scenario_scale(ex.stimuli)) {
    ex.scale_min = static_cast<double>(s->first), ex.scale_max = static_cast<double>(s->second);
  }
  const std::int64_t max_levels = a.options.max_levels;
  if (a.options.mode == PredictMode::distribution && scale_levels(ex, max_levels).empty())
    throw ConfigError(ex.scale_min ? "predict: --distribution supports at most " + std::to_string(max_levels) +
                                         " integer answers; this scale has more"
                                   : "predict: --distribution needs the answer scale: give --scale-min and "
                                     "--scale-max, or say \"integer from A to B\" in the scenario");
  return ex;
}

struct OpenedModel {
  EvalModel model;
  std::string what;  // "MODEL [+ adapter DIR]"
};

/// The model from a run directory or an experiment, with the run's seed and max_len as defaults.
OpenedModel open_from_experiment(PredictArgs& a, PluginRegistry& registry) {
  fs::path file = a.source, run_dir;
  std::optional<fs::path> adapter;
  if (fs::is_directory(a.source)) {
    run_dir = a.source;
    file = run_dir / "config.resolved.toml";
    if (!fs::exists(file))
      throw ConfigError(a.source + ": no config.resolved.toml; is this a run directory (runs/<name>-<time>)?");
    if (!a.no_adapter && fs::exists(run_dir / "adapter")) adapter = run_dir / "adapter";
  } else if (!fs::exists(file)) {
    throw ConfigError(a.source + ": no such run directory or experiment file");
  }
  if (!a.adapter_dir.empty()) adapter = fs::path(a.adapter_dir);
  if (!a.device.empty()) a.sets.push_back("run.device=" + a.device);
  if (!a.dtype.empty()) a.sets.push_back("model.dtype=" + a.dtype);
  Experiment exp = load_experiment(file.string(), a.sets, registry);
  if (!a.seed) a.seed = static_cast<std::int64_t>(exp.settings().run.seed);
  if (a.options.max_len == 0) a.options.max_len = exp.settings().data.max_seq_len;
  return {open_eval_model(exp, run_dir, adapter), file.string() + (adapter ? " + adapter " + adapter->string() : "")};
}

/// A bare model folder, with the format's default options.
OpenedModel open_from_folder(const PredictArgs& a, const PluginRegistry& registry) {
  const c10::Device dev(a.device.empty() ? "cpu" : a.device);
  std::optional<c10::ScalarType> dt = parse_dtype(a.dtype);
  if (!dt && dev.is_cpu()) dt = at::kFloat;
  std::optional<fs::path> tok, adapter;
  if (!a.tokenizer.empty()) tok = fs::path(a.tokenizer);
  if (!a.adapter_dir.empty()) adapter = fs::path(a.adapter_dir);
  return {open_eval_model(registry, a.model_dir, tok, a.format_name, dev, dt, adapter),
          a.model_dir + (adapter ? " + adapter " + adapter->string() : "")};
}

/// The scale's levels, each with probability 0, so that unchosen answers show as empty bars.
std::map<double, double> empty_histogram(const Example& ex, std::int64_t max_levels) {
  std::map<double, double> probs;
  for (std::int64_t k : scale_levels(ex, max_levels)) probs[static_cast<double>(k)] = 0;
  return probs;
}

void print_distribution(const Example& ex, const Predictions& p, const PredictOptions& o) {
  std::map<double, double> probs = empty_histogram(ex, o.max_levels);
  for (const auto& [a, q] : p.rows[0].distribution) probs[a] = q;
  print_histogram(probs);
  std::cout << fmt::format("probability on valid answers before renormalising: {:.4f}\n", p.stats.mean_valid_mass);
  std::cout << fmt::format("exact distribution in {:.2f} s\n", p.stats.seconds);
}

void print_samples(const Example& ex, const Predictions& p, const PredictOptions& o) {
  std::map<double, double> probs = empty_histogram(ex, o.max_levels);
  const std::int64_t valid = p.stats.rows - p.stats.parse_failures;
  for (const PredictionRow& r : p.rows)
    if (r.prediction) probs[*r.prediction] += 1.0 / static_cast<double>(valid);
  print_histogram(probs);
  std::cout << "parse failures: " << p.stats.parse_failures << " of " << p.stats.rows;
  for (std::size_t i = 0; i < p.rows.size(); ++i)
    if (p.rows[i].parse_failed) {
      std::string text = p.texts[i];
      for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.replace(at, 1, "\\n");
      std::cout << " (e.g. \"" << text << "\")";
      break;
    }
  std::cout << "\n"
            << fmt::format("{} samples in {:.2f} s: {:.1f} samples/s (temperature {:g}, top-p {:g}, seed {})\n",
                           p.stats.rows, p.stats.seconds, p.stats.predictions_per_second, o.temperature, o.top_p,
                           o.seed);
}

}  // namespace

int cmd_predict(const std::vector<std::string>& args) {
  std::optional<PredictArgs> a = parse_predict_args(args);
  if (!a) return 0;
  const Example ex = build_example(*a);
  PluginRegistry registry = default_registry();
  OpenedModel m = a->source.empty() ? open_from_folder(*a, registry) : open_from_experiment(*a, registry);
  PredictOptions& o = a->options;
  o.seed = static_cast<std::uint64_t>(a->seed.value_or(0));
  if (o.max_len == 0) o.max_len = 2048;

  if (a->show_prompt) std::cout << "--- prompt ---\n" << m.model.format->render_prompt(ex) << "\n--------------\n";
  const std::vector<Example> examples(o.mode == PredictMode::sample ? static_cast<std::size_t>(a->samples) : 1, ex);
  const Predictions p = predict(*m.model.model, *m.model.format, *m.model.tokenizer, examples, o);
  std::cout << "model: " << m.what << "\n";
  if (ex.scale_min) std::cout << "scale: " << number(*ex.scale_min) << " to " << number(*ex.scale_max) << "\n";
  if (o.mode == PredictMode::distribution)
    print_distribution(ex, p, o);
  else
    print_samples(ex, p, o);
  return 0;
}

}  // namespace socrates::cli
