// Scoring a model the paper's way: predictions for a partition's participants, then every
// configured evaluator plugin. Shared by training (every eval_every), `socrates eval` and
// `socrates score`.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/experiment.hpp"
#include "config/settings.hpp"
#include "eval/eval_run.hpp"
#include "eval/predict.hpp"
#include "socrates/dataset.hpp"
#include "socrates/evaluator.hpp"
#include "socrates/parallelism.hpp"

namespace socrates {

class CausalLM;
class PromptFormat;
class BpeTokenizer;

/// The experiment's [[evaluators]], named by plugin (a repeated plugin gets "#2", "#3").
using NamedEvaluator = std::pair<std::string, std::shared_ptr<Evaluator>>;
std::vector<NamedEvaluator> make_evaluators(const Experiment& exp, const std::filesystem::path& run_dir);

/// Up to `max_examples` examples of `part` (all for 0), spread evenly over the partition so
/// every study keeps some participants.
std::vector<Example> eval_examples(const Dataset& data, Partition part, std::int64_t max_examples);

/// Runs every evaluator on `rows` (already predicted).
EvalRun score_rows(std::vector<PredictionRow> rows, const std::vector<NamedEvaluator>& evaluators, std::string label,
                   std::string mode);

/// Predicts every example with `model` and scores the predictions. With `par`, the
/// predictions are spread over its ranks and every rank gets (and scores) all of them.
EvalRun evaluate_model(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                       const std::vector<Example>& examples, const std::vector<NamedEvaluator>& evaluators,
                       const PredictOptions& opts, std::string label, std::vector<std::string>* texts = nullptr,
                       Parallelism* par = nullptr);

/// Every evaluator metric of `run`, flat ("wasserstein", "accuracy.exact_match", ...).
std::map<std::string, double> flat_metrics(const EvalRun& run);

/// One log line with the headline numbers ("W1 0.183 (uniform 0.210, bootstrap 0.121) | ...").
std::string headline(const EvalRun& run);

/// Writes `dir`/predictions.jsonl (the `socrates score` input format, plus the raw text of
/// sampled answers) and the report (report.json, report.md, plots/).
void save_evaluation(const std::filesystem::path& dir, const EvalRun& run, const EvalRun* base,
                     const std::vector<std::string>& texts);

}  // namespace socrates
