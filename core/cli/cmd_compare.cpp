// socrates compare RUN_DIR... | SWEEP_DIR
#include <iostream>

#include "cli/cli.hpp"
#include "compare/compare_report.hpp"
#include "log/logging.hpp"

namespace socrates::cli {

int cmd_compare(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  compare::CompareOptions o;
  std::string out;
  po::options_description opts("options");
  opts.add_options()("dirs", po::value<std::vector<std::string>>(&dirs)->required(),
                     "run directories and/or sweep directories")(
      "out", po::value<std::string>(&out), "where to write the comparison (default for one sweep: <sweep>/compare)")(
      "x", po::value<std::string>(&o.axis), "the key to plot W1 against (default: the first numeric differing key)");
  po::positional_options_description pos;
  pos.add("dirs", -1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, "socrates compare RUN_DIR... | SWEEP_DIR [--out DIR] [--x KEY]")) return 0;
  o.out = out;
  std::vector<std::filesystem::path> inputs(dirs.begin(), dirs.end());
  const auto res = compare::write_comparison(inputs, o);
  std::cout << res.table_markdown;
  host_logger()->info("{} runs, {} variants: {} (tables compare.md/.csv/.json, runs.csv, {} plots in {})", res.runs,
                      res.rows, (res.out / "report.md").string(), res.plots.size(), (res.out / "plots").string());
  return 0;
}

}  // namespace socrates::cli
