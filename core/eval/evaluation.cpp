#include "eval/evaluation.hpp"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "eval/predict_sharded.hpp"
#include "eval/prediction_io.hpp"
#include "eval/report.hpp"
#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

std::vector<NamedEvaluator> make_evaluators(const Experiment& exp, const fs::path& run_dir) {
  return make_components<Evaluator>(exp, "evaluators", run_dir);
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
                       const PredictOptions& opts, std::string label, std::vector<std::string>* texts,
                       Parallelism* par) {
  Predictions p = par ? predict_sharded(model, format, tok, examples, opts, *par)
                      : predict(model, format, tok, examples, opts);
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
