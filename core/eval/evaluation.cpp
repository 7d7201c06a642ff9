#include "eval/evaluation.hpp"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "eval/prediction_io.hpp"
#include "eval/report.hpp"
#include "log/logging.hpp"
#include "run/components.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

Partition parse_partition(const std::string& name) {
  if (name == "train") return Partition::train;
  if (name == "validation") return Partition::validation;
  if (name == "test") return Partition::test;
  throw ConfigError("unknown partition '" + name + "'; use validation or test");
}

EvalSettings eval_settings(const Experiment& exp) {
  const ConfigSection e = exp.section("evaluation");
  EvalSettings s;
  const std::string mode = e.get<std::string>("mode");
  s.predict.mode = mode == "distribution" ? PredictMode::distribution : PredictMode::sample;
  s.predict.temperature = e.get<double>("temperature");
  s.predict.top_p = e.get<double>("top_p");
  const std::int64_t seed = e.get<std::int64_t>("seed");
  s.predict.seed = static_cast<std::uint64_t>(seed >= 0 ? seed : exp.section("run").get<std::int64_t>("seed"));
  s.predict.max_new_tokens = e.get<std::int64_t>("max_new_tokens");
  s.predict.batch_size = e.get<std::int64_t>("batch_size");
  s.predict.max_levels = e.get<std::int64_t>("max_levels");
  s.predict.max_len = exp.section("data").get<std::int64_t>("max_seq_len");
  if (s.predict.temperature < 0) throw e.error("temperature", "must be >= 0 (0 = greedy)");
  if (s.predict.top_p <= 0 || s.predict.top_p > 1) throw e.error("top_p", "must be in (0, 1]");
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

std::vector<NamedEvaluator> make_evaluators(const Experiment& exp, const fs::path& run_dir) {
  std::vector<NamedEvaluator> out;
  std::map<std::string, int> seen;
  for (const PluginUse* use : exp.plugins_in("evaluators")) {
    const int k = ++seen[use->name];
    auto ev = use->library->create<Evaluator>(make_context(exp, *use, run_dir));
    out.emplace_back(k == 1 ? use->name : use->name + "#" + std::to_string(k), std::move(ev));
  }
  return out;
}

std::vector<Example> eval_examples(const Dataset& data, Partition part, std::int64_t max_examples) {
  const std::size_t n = data.size(part);
  const std::size_t take = max_examples > 0 ? std::min<std::size_t>(n, static_cast<std::size_t>(max_examples)) : n;
  std::vector<Example> out;
  out.reserve(take);
  for (std::size_t i = 0; i < take; ++i) out.push_back(data.get(part, take == n ? i : i * n / take));
  return out;
}

EvalRun score_rows(std::vector<PredictionRow> rows, const std::vector<NamedEvaluator>& evaluators, std::string label,
                   std::string mode) {
  EvalRun run;
  run.label = std::move(label);
  run.mode = std::move(mode);
  run.rows = std::move(rows);
  for (const auto& [name, ev] : evaluators) run.reports.emplace_back(name, ev->evaluate(run.rows));
  return run;
}

EvalRun evaluate_model(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                       const std::vector<Example>& examples, const std::vector<NamedEvaluator>& evaluators,
                       const PredictOptions& opts, std::string label, std::vector<std::string>* texts) {
  Predictions p = predict(model, format, tok, examples, opts);
  EvalRun run = score_rows(std::move(p.rows), evaluators, std::move(label),
                           opts.mode == PredictMode::distribution ? "distribution" : "sample");
  run.predictions_per_second = p.stats.predictions_per_second;
  run.seconds = p.stats.seconds;
  if (p.stats.fallback_rows > 0)
    host_logger()->info("evaluation: {} of {} participants have no bounded scale of at most {} levels and were sampled",
                        p.stats.fallback_rows, p.stats.rows, opts.max_levels);
  if (p.stats.parse_failures > 0)
    host_logger()->warn("evaluation: {} of {} sampled answers did not parse as an integer (counted, not dropped)",
                        p.stats.parse_failures, p.stats.rows);
  if (texts) *texts = std::move(p.texts);
  return run;
}

std::map<std::string, double> flat_metrics(const EvalRun& run) {
  std::map<std::string, double> out;
  for (const auto& [name, report] : run.reports)
    for (const auto& [k, v] : report.metrics) out[k] = v;
  if (run.predictions_per_second > 0) out["predictions_per_s"] = run.predictions_per_second;
  return out;
}

std::string headline(const EvalRun& run) {
  const auto m = flat_metrics(run);
  auto get = [&](const char* k) -> std::optional<double> {
    auto it = m.find(k);
    return it == m.end() ? std::nullopt : std::optional<double>(it->second);
  };
  std::string s;
  if (auto w = get("wasserstein")) {
    s += fmt::format("W1 {:.4f}", *w);
    if (auto u = get("wasserstein.uniform"), b = get("wasserstein.bootstrap"); u && b)
      s += fmt::format(" (uniform {:.4f}, bootstrap {:.4f})", *u, *b);
  }
  if (auto a = get("accuracy")) s += fmt::format("{}accuracy {:.4f}", s.empty() ? "" : " | ", *a);
  if (auto d = get("demographic_parity")) s += fmt::format("{}parity gap {:.4f}", s.empty() ? "" : " | ", *d);
  if (auto f = get("wasserstein.parse_failure_rate"))
    s += fmt::format("{}parse failures {:.1f}%", s.empty() ? "" : " | ", 100 * *f);
  if (s.empty()) {
    for (const auto& [k, v] : m) s += fmt::format("{}{} {:.4g}", s.empty() ? "" : " | ", k, v);
  }
  if (run.predictions_per_second > 0)
    s += fmt::format(" | {} predictions at {:.1f}/s ({})", run.rows.size(), run.predictions_per_second, run.mode);
  return s;
}

void save_evaluation(const fs::path& dir, const EvalRun& run, const EvalRun* base,
                     const std::vector<std::string>& texts) {
  fs::create_directories(dir);
  write_predictions(dir / "predictions.jsonl", run.rows, texts);
  write_report(dir, run, base);
}

}  // namespace socrates
