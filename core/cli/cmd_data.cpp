// socrates data inspect: rendered examples, loss masks and dataset statistics.
#include <iostream>

#include "cli/cli.hpp"
#include "data/batching.hpp"
#include "data/inspect.hpp"
#include "log/logging.hpp"
#include "data/pipeline.hpp"

namespace socrates::cli {

int cmd_data_inspect(const std::vector<std::string>& args) {
  std::string file, partition = "train";
  std::vector<std::string> sets;
  std::size_t n = 5;
  po::options_description opts("options");
  opts.add_options()("experiment", po::value<std::string>(&file)->required(), "experiment TOML file")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(), "override: section.key=value")(
      "n", po::value<std::size_t>(&n)->default_value(5), "examples to print")(
      "partition", po::value<std::string>(&partition)->default_value("train"), "train|validation|test");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, "socrates data inspect EXP.toml [--n 5] [--partition train] [--set ...]")) return 0;
  Partition part = Partition::train;
  if (partition == "validation") part = Partition::validation;
  else if (partition == "test") part = Partition::test;
  else if (partition != "train") throw ConfigError("--partition must be train, validation or test");

  PluginRegistry registry = default_registry();
  Experiment exp = load_experiment(file, sets, registry);
  DataPipeline data = DataPipeline::open(exp, {});
  TokenizedSet set = data.tokenize(part);
  for (std::size_t i = 0; i < std::min(n, set.size()); ++i)
    std::cout << render_example(*data.dataset, part, i, set, *data.tokenizer) << "\n";
  double padding = 0.0;
  if (part == Partition::train && set.size() > 0) {
    const TrainingSettings& t = exp.settings().training;
    BatchPlanOptions bo;
    bo.global_batch = t.global_batch_size;
    bo.micro_batch = t.micro_batch_size;
    bo.seed = exp.settings().run.seed;
    bo.length_bucketing = t.length_bucketing;
    padding = plan_batches(set, bo).padding_ratio;
  }
  std::cout << dataset_stats(*data.dataset, part, set, padding) << "\n";
  auto warnings = check_examples(*data.dataset, part, set, *data.format, *data.tokenizer);
  for (const std::string& w : warnings) host_logger()->warn("{}", w);
  std::cout << "checks: ok (no fully masked examples, labels decode to the responses, responses within their scales)"
            << (warnings.empty() ? "" : ", with warnings") << "\n";
  return 0;
}

}  // namespace socrates::cli
