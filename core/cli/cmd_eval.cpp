// socrates eval | score
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "eval/eval_model.hpp"
#include "eval/evaluation.hpp"
#include "eval/prediction_io.hpp"
#include "eval/report.hpp"
#include "log/logging.hpp"
#include "model/adapter_io.hpp"
#include "io/atomic_file.hpp"
#include "io/run_dir.hpp"
#include "socrates/error.hpp"
#include "data/pipeline.hpp"

namespace fs = std::filesystem;

namespace socrates::cli {

namespace {

nlohmann::json to_json(const Value& v) {
  if (v.is<bool>()) return v.as<bool>();
  if (v.is<std::int64_t>()) return v.as<std::int64_t>();
  if (v.is<double>()) return v.as<double>();
  if (v.is<std::string>()) return v.as<std::string>();
  if (v.is<Array>()) {
    nlohmann::json a = nlohmann::json::array();
    for (const Value& x : v.as<Array>()) a.push_back(to_json(x));
    return a;
  }
  if (v.is<Table>()) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [k, x] : v.as<Table>()) t[k] = to_json(x);
    return t;
  }
  return nullptr;
}

// The checkpoint folder of step `step` under <run>/checkpoints (step-000000120 or step-120).
fs::path checkpoint_adapter(const fs::path& run_dir, std::int64_t step) {
  const fs::path root = run_dir / "checkpoints";
  if (fs::is_directory(root)) {
    for (const auto& e : fs::directory_iterator(root)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("step-", 0) != 0) continue;
      try {
        if (std::stoll(n.substr(5)) == step) return e.path() / "adapter";
      } catch (const std::exception&) {
      }
    }
  }
  throw Error(fmt::format("{}: no checkpoint of step {}; list them with: ls {}", root.string(), step, root.string()));
}

void print_metrics(const EvalRun& run) {
  for (const auto& [name, report] : run.reports)
    for (const auto& [k, v] : report.metrics) std::cout << fmt::format("{:<40} {:.6f}\n", k, v);
}

}  // namespace

int cmd_eval(const std::vector<std::string>& args) {
  std::string target, split, mode, adapter_dir, out_dir;
  std::vector<std::string> sets;
  std::int64_t checkpoint = -1, max_examples = -1;
  bool base_only = false;
  po::options_description opts("options");
  opts.add_options()("target", po::value<std::string>(&target)->required(), "experiment TOML or run directory")(
      "checkpoint", po::value<std::int64_t>(&checkpoint), "evaluate the adapter of this checkpoint step")(
      "adapter", po::value<std::string>(&adapter_dir), "evaluate this PEFT adapter folder")(
      "base", po::bool_switch(&base_only), "evaluate the base model only (no adapter)")(
      "split", po::value<std::string>(&split), "validation|test (default: [evaluation] final_split)")(
      "mode", po::value<std::string>(&mode), "sample|distribution (default: [evaluation] mode)")(
      "max-examples", po::value<std::int64_t>(&max_examples), "cap on participants (default: [evaluation] max_examples)")(
      "out", po::value<std::string>(&out_dir), "report folder (default: <run>/eval/<label>-<split>-<mode>)")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(), "override: section.key=value (repeatable)");
  po::positional_options_description pos;
  pos.add("target", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm,
             "socrates eval EXP.toml|RUN_DIR [--checkpoint N | --adapter DIR | --base] [--split validation|test] "
             "[--mode sample|distribution]"))
    return 0;
  if (!split.empty()) sets.push_back("evaluation.final_split=" + split);
  if (!mode.empty()) sets.push_back("evaluation.mode=" + mode);
  if (max_examples >= 0) sets.push_back("evaluation.max_examples=" + std::to_string(max_examples));

  PluginRegistry registry = default_registry();
  const bool is_run = fs::is_directory(target);
  const fs::path config = is_run ? fs::path(target) / "config.resolved.toml" : fs::path(target);
  if (is_run && !fs::exists(config))
    throw Error(target + ": not a run directory (no config.resolved.toml); give a run directory or an experiment file");
  Experiment exp = load_experiment(config.string(), sets, registry);
  const fs::path run_dir =
      is_run ? fs::path(target) : create_run_dir(exp.settings().run.output_dir, exp.settings().run.name, exp.to_toml());
  if (!is_run) log_to_file(run_dir / "run.log");
  auto log = host_logger();

  // Which adapter: --adapter, --checkpoint N, the run's final adapter, or none.
  std::optional<fs::path> adapter;
  std::string label = "base";
  if (!base_only) {
    if (!adapter_dir.empty()) {
      adapter = fs::path(adapter_dir);
      label = fs::path(adapter_dir).filename().string();
    } else if (checkpoint >= 0) {
      if (!is_run) throw Error("--checkpoint needs a run directory, not an experiment file");
      adapter = checkpoint_adapter(run_dir, checkpoint);
      label = fmt::format("step-{}", checkpoint);
    } else if (is_run && fs::exists(run_dir / "adapter" / "adapter_config.json")) {
      adapter = run_dir / "adapter";
      label = "tuned";
    }
  }

  const EvaluationSettings& s = exp.settings().evaluation;
  auto evaluators = make_evaluators(exp, run_dir);
  if (evaluators.empty())
    throw ConfigError(config.string() + ": no [[evaluators]]; add e.g. [[evaluators]] plugin = \"wasserstein\"");
  DataPipeline data = DataPipeline::open(exp, run_dir);
  const std::vector<Example> examples = eval_examples(*data.dataset, s.final_split, s.max_examples);
  if (examples.empty())
    throw Error(fmt::format("{}: the {} partition is empty; choose another with --split", config.string(),
                            to_string(s.final_split)));
  const std::string mode_name = s.predict.mode == PredictMode::distribution ? "distribution" : "sample";
  log->info("evaluating {} on {} participants of the {} partition ({} mode)", label, examples.size(),
            to_string(s.final_split), mode_name);

  EvalModel m = open_eval_model(exp, run_dir, std::nullopt);
  std::optional<EvalRun> base;
  std::vector<std::string> texts;
  if (!adapter || s.compare_base) {
    base = evaluate_model(*m.model, *m.format, *m.tokenizer, examples, evaluators, s.predict, "base", &texts);
    log->info("base: {}", headline(*base));
  }
  const std::string sub = fmt::format("{}-{}-{}", adapter ? label : "base", to_string(s.final_split), mode_name);
  const fs::path out = out_dir.empty() ? run_dir / "eval" / sub : fs::path(out_dir);
  if (!adapter) {
    save_evaluation(out, *base, nullptr, texts);
    print_metrics(*base);
    std::cout << format_summary(*base, nullptr);
  } else {
    m.adapter = attach_peft_adapter(registry, *m.model, *adapter);  // m destroys the model first
    EvalRun tuned = evaluate_model(*m.model, *m.format, *m.tokenizer, examples, evaluators, s.predict, label, &texts);
    log->info("{}: {}", label, headline(tuned));
    save_evaluation(out, tuned, base ? &*base : nullptr, texts);
    print_metrics(tuned);
    std::cout << format_summary(tuned, base ? &*base : nullptr);
  }
  log->info("report: {}", (out / "report.md").string());
  return 0;
}

int cmd_score(const std::vector<std::string>& args) {
  std::string predictions, evaluator_list, config, per_cell, report_dir;
  std::vector<std::string> sets;
  std::int64_t seed = 0;
  po::options_description opts("options");
  opts.add_options()("predictions", po::value<std::string>(&predictions)->required(),
                     "JSON lines: {study_id, condition_num, task_num, participant, response?, prediction?, "
                     "distribution?, scale_min?, scale_max?, demographic?}")(
      "evaluators", po::value<std::string>(&evaluator_list), "comma-separated evaluator plugins (default: wasserstein)")(
      "config", po::value<std::string>(&config), "take the [[evaluators]] (with options) from this experiment")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(),
      "override an evaluator option: 'evaluators[0].range=stated' (repeatable)")(
      "per-cell", po::value<std::string>(&per_cell), "write one JSON line per (study, condition, task) cell here")(
      "report", po::value<std::string>(&report_dir), "write report.json, report.md and plots into this folder")(
      "seed", po::value<std::int64_t>(&seed)->default_value(0), "seed of the bootstrap reference");
  po::positional_options_description pos;
  po::variables_map vm;
  if (!parse(args, opts, pos, vm,
             "socrates score --predictions FILE.jsonl [--evaluators wasserstein,accuracy | --config EXP.toml] "
             "[--per-cell OUT.jsonl] [--report DIR]"))
    return 0;
  if (!config.empty() && !evaluator_list.empty()) throw Error("give --evaluators or --config, not both");

  PluginRegistry registry = default_registry();
  std::optional<Experiment> exp;
  if (!config.empty()) {
    exp.emplace(load_experiment(config, sets, registry));
  } else {
    Array evs;
    std::string list = evaluator_list.empty() ? "wasserstein" : evaluator_list;
    std::size_t start = 0;
    while (start <= list.size()) {
      const auto end = std::min(list.find(',', start), list.size());
      std::string name = list.substr(start, end - start);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) evs.push_back(Table{{"plugin", Value(name)}});
      start = end + 1;
    }
    if (evs.empty()) throw Error("--evaluators: give at least one evaluator plugin name");
    Table root{{"run", Table{{"seed", Value(seed)}}}, {"evaluators", Value(evs)}};
    exp.emplace(Experiment::resolve(ExperimentFile::from_table("<socrates score --evaluators>", root, sets), registry));
  }
  auto evaluators = make_evaluators(*exp, {});
  if (evaluators.empty()) throw ConfigError(config + ": no [[evaluators]]");

  EvalRun run = score_rows(read_predictions(predictions), evaluators, fs::path(predictions).stem().string(), "external");
  print_metrics(run);
  if (!per_cell.empty()) {
    const ResultTable* cells = nullptr;
    for (const auto& [name, report] : run.reports)
      for (const ResultTable& t : report.tables)
        if (t.name == "cells" && name.rfind("wasserstein", 0) == 0 && !cells) cells = &t;
    if (!cells) throw Error("--per-cell needs the wasserstein evaluator (its 'cells' table); add it to --evaluators");
    std::string out;
    for (const auto& row : cells->rows) {
      nlohmann::ordered_json j;
      for (std::size_t c = 0; c < cells->columns.size() && c < row.size(); ++c) j[cells->columns[c]] = to_json(row[c]);
      out += j.dump() + "\n";
    }
    write_file_atomic(per_cell, out);
    host_logger()->info("per-cell results: {} ({} cells)", per_cell, cells->rows.size());
  }
  if (!report_dir.empty()) {
    write_report(report_dir, run, nullptr);
    host_logger()->info("report: {}", (fs::path(report_dir) / "report.md").string());
  }
  return 0;
}

}  // namespace socrates::cli
