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

// The dataset's own rendering of a row's prompt (SocSci210's `prompt` column), for formats
// that read it (socsci-chat with use_field = "prompt").
constexpr const char* kProfileLead = "You are a survey respondent with the following demographic profile:\n";
constexpr const char* kReadQuestion =
    "Read the question below and answer exactly as this person would. Follow the response instructions "
    "precisely.\n\n";

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

/// The label the dataset's prompts use for a key: '_' as spaces, each word capitalised.
std::string dataset_label(const std::string& key) {
  std::string out;
  bool start = true;
  for (char c : key) {
    out += c == '_' ? ' ' : start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = c == '_';
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

}  // namespace

int cmd_predict(const std::vector<std::string>& args) {
  std::string source, model_dir, tokenizer, format_name, adapter_dir, demographics, scenario, device, dtype;
  std::vector<std::string> sets;
  std::int64_t samples = 100;
  std::optional<std::int64_t> seed;
  double scale_min = 0, scale_max = 0;
  PredictOptions po_;
  po::options_description opts("options");
  opts.add_options()("source", po::value<std::string>(&source), "run directory or experiment TOML")(
      "model", po::value<std::string>(&model_dir), "Hugging Face model folder (instead of RUN_DIR/EXP.toml)")(
      "tokenizer", po::value<std::string>(&tokenizer), "tokenizer.json (with --model; default: the folder's)")(
      "prompt-format", po::value<std::string>(&format_name)->default_value("alpaca"),
      "prompt format plugin, default options (with --model)")(
      "adapter", po::value<std::string>(&adapter_dir), "PEFT LoRA adapter folder to attach")(
      "no-adapter", "ignore RUN_DIR/adapter (predict with the base model)")(
      "demographics", po::value<std::string>(&demographics), "\"Label: value; ...\" (e.g. \"Age: 25; Gender: Female\")")(
      "scenario", po::value<std::string>(&scenario), "the stimulus: vignette, question and answer format")(
      "samples", po::value<std::int64_t>(&samples)->default_value(100), "answers to sample")(
      "distribution", "exact probability of every answer of the scale instead of sampling")(
      "scale-min", po::value<double>(&scale_min), "lowest valid answer")(
      "scale-max", po::value<double>(&scale_max), "highest valid answer")(
      "seed", po::value<std::int64_t>(), "sampling seed (default: [run] seed, or 0)")(
      "temperature", po::value<double>(&po_.temperature)->default_value(0.6), "sampling temperature")(
      "top-p", po::value<double>(&po_.top_p)->default_value(0.9), "nucleus sampling")(
      "max-new-tokens", po::value<std::int64_t>(&po_.max_new_tokens)->default_value(16), "tokens per sampled answer")(
      "batch-size", po::value<std::int64_t>(&po_.batch_size)->default_value(16), "samples per forward")(
      "max-len", po::value<std::int64_t>(&po_.max_len)->default_value(0),
      "longest prompt + answer (default: [data] max_seq_len, or 2048)")(
      "device", po::value<std::string>(&device), "cpu, cuda or cuda:N (default: [run] device, or cpu)")(
      "dtype", po::value<std::string>(&dtype), "float32|bfloat16|float16 (default: [model] dtype; the "
                                               "checkpoint's on GPU and float32 on CPU with --model)")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(), "experiment override: section.key=value")(
      "show-prompt", "print the rendered prompt first");
  po::positional_options_description pos;
  pos.add("source", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, kUsage)) return 0;
  if (vm.count("seed")) seed = vm["seed"].as<std::int64_t>();

  // Inputs.
  if (source.empty() == model_dir.empty())
    throw ConfigError("predict: give exactly one of RUN_DIR, EXP.toml or --model DIR (see socrates predict --help)");
  if (trim(scenario).empty()) throw ConfigError("predict: --scenario is required (the question the person answers)");
  if (!vm.count("demographics")) throw ConfigError("predict: --demographics is required (e.g. \"Age: 25; Gender: Female\"; \"\" for none)");
  if (vm.count("scale-min") != vm.count("scale-max")) throw ConfigError("predict: give both --scale-min and --scale-max");
  if (vm.count("adapter") && vm.count("no-adapter")) throw ConfigError("predict: --adapter and --no-adapter exclude each other");
  if (!model_dir.empty() && !sets.empty()) throw ConfigError("predict: --set needs RUN_DIR or EXP.toml, not --model");
  if (samples < 1) throw ConfigError("predict: --samples must be at least 1");
  po_.mode = vm.count("distribution") ? PredictMode::distribution : PredictMode::sample;
  if (po_.mode == PredictMode::distribution && !vm["samples"].defaulted())
    throw ConfigError("predict: --samples and --distribution exclude each other");

  Example ex;
  ex.sample_id = 0;
  ex.study_id = "cli";
  ex.demographic = parse_demographics(demographics);
  ex.stimuli = trim(scenario);
  ex.prompt = kProfileLead;
  bool any = false;
  for (const auto& [key, value] : ex.demographic)
    if (value) ex.prompt += "- " + dataset_label(key) + ": " + *value + "\n", any = true;
  ex.prompt = (any ? ex.prompt + "\n" : std::string()) + kReadQuestion + ex.stimuli;
  if (vm.count("scale-min")) {
    if (!(scale_min < scale_max)) throw ConfigError("predict: --scale-min must be below --scale-max");
    ex.scale_min = scale_min, ex.scale_max = scale_max;
  } else if (auto s = scenario_scale(ex.stimuli)) {
    ex.scale_min = static_cast<double>(s->first), ex.scale_max = static_cast<double>(s->second);
  }
  if (po_.mode == PredictMode::distribution && scale_levels(ex, po_.max_levels).empty())
    throw ConfigError(ex.scale_min ? "predict: --distribution supports at most " + std::to_string(po_.max_levels) +
                                         " integer answers; this scale has more"
                                   : "predict: --distribution needs the answer scale: give --scale-min and "
                                     "--scale-max, or say \"integer from A to B\" in the scenario");

  // The model.
  EvalModel m;
  PluginRegistry registry = default_registry();
  std::string what;
  if (!source.empty()) {
    fs::path file = source, run_dir;
    std::optional<fs::path> adapter;
    if (fs::is_directory(source)) {
      run_dir = source;
      file = run_dir / "config.resolved.toml";
      if (!fs::exists(file))
        throw ConfigError(source + ": no config.resolved.toml; is this a run directory (runs/<name>-<time>)?");
      if (!vm.count("no-adapter") && fs::exists(run_dir / "adapter")) adapter = run_dir / "adapter";
    } else if (!fs::exists(file)) {
      throw ConfigError(source + ": no such run directory or experiment file");
    }
    if (!adapter_dir.empty()) adapter = fs::path(adapter_dir);
    if (!device.empty()) sets.push_back("run.device=" + device);
    if (!dtype.empty()) sets.push_back("model.dtype=" + dtype);
    Experiment exp = load_experiment(file.string(), sets, registry);
    if (!seed) seed = static_cast<std::int64_t>(exp.settings().run.seed);
    if (po_.max_len == 0) po_.max_len = exp.settings().data.max_seq_len;
    m = open_eval_model(exp, run_dir, adapter);
    what = file.string() + (adapter ? " + adapter " + adapter->string() : "");
  } else {
    const c10::Device dev(device.empty() ? "cpu" : device);
    std::optional<c10::ScalarType> dt = parse_dtype(dtype);
    if (!dt && dev.is_cpu()) dt = at::kFloat;
    std::optional<fs::path> tok, adapter;
    if (!tokenizer.empty()) tok = fs::path(tokenizer);
    if (!adapter_dir.empty()) adapter = fs::path(adapter_dir);
    m = open_eval_model(registry, model_dir, tok, format_name, dev, dt, adapter);
    what = model_dir + (adapter ? " + adapter " + adapter->string() : "");
  }
  po_.seed = static_cast<std::uint64_t>(seed.value_or(0));
  if (po_.max_len == 0) po_.max_len = 2048;

  if (vm.count("show-prompt")) std::cout << "--- prompt ---\n" << m.format->render_prompt(ex) << "\n--------------\n";
  const std::vector<Example> examples(po_.mode == PredictMode::sample ? static_cast<std::size_t>(samples) : 1, ex);
  const Predictions p = predict(*m.model, *m.format, *m.tokenizer, examples, po_);

  std::cout << "model: " << what << "\n";
  if (ex.scale_min) std::cout << "scale: " << number(*ex.scale_min) << " to " << number(*ex.scale_max) << "\n";
  std::map<double, double> probs;
  for (std::int64_t k : scale_levels(ex, po_.max_levels)) probs[static_cast<double>(k)] = 0;
  if (po_.mode == PredictMode::distribution) {
    for (const auto& [a, q] : p.rows[0].distribution) probs[a] = q;
    print_histogram(probs);
    std::cout << fmt::format("probability on valid answers before renormalising: {:.4f}\n", p.stats.mean_valid_mass);
    std::cout << fmt::format("exact distribution in {:.2f} s\n", p.stats.seconds);
    return 0;
  }
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
                           p.stats.rows, p.stats.seconds, p.stats.predictions_per_second, po_.temperature, po_.top_p,
                           po_.seed);
  return 0;
}

}  // namespace socrates::cli
