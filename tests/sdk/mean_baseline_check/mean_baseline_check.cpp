// mean_baseline_check PLUGIN.so: loads the example mean-baseline evaluator through its
// descriptor, as the host does, and checks its metrics on rows whose answers were worked out
// by hand. Exits 1 on the first mismatch, naming it.
#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <socrates/evaluator.hpp>

namespace {

using socrates::PredictionRow;
using socrates::Table;
using socrates::Value;

int failures = 0;

void expect_near(const std::string& what, double got, double want) {
  const bool ok = std::abs(got - want) < 1e-12;
  std::cout << (ok ? "  ok   " : "  FAIL ") << what << " = " << got << (ok ? "" : " (expected " + std::to_string(want) + ")")
            << "\n";
  failures += ok ? 0 : 1;
}

PredictionRow row(const std::string& study, std::int64_t cond, std::int64_t task, double human,
                  std::optional<double> prediction) {
  PredictionRow r;
  r.study_id = study;
  r.condition_num = cond;
  r.task_num = task;
  r.response = human;
  r.prediction = prediction;
  r.parse_failed = !prediction;
  return r;
}

// Cell A (s1,1,1): humans 1..5 (mean 3, range 4), predictions 2,2,3,3,5.
// Cell B (s1,1,2): humans 10,10 (range 0), predictions 20,10, stated scale 0..100.
// Cell C (s2,2,1): humans 0,10 (mean 5, range 10); prediction 10, then a parse failure.
std::vector<PredictionRow> rows() {
  std::vector<PredictionRow> out = {
      row("s1", 1, 1, 1, 2), row("s1", 1, 1, 2, 2), row("s1", 1, 1, 3, 3), row("s1", 1, 1, 4, 3),
      row("s1", 1, 1, 5, 5), row("s1", 1, 2, 10, 20), row("s1", 1, 2, 10, 10), row("s2", 2, 1, 0, 10),
      row("s2", 2, 1, 10, std::nullopt),
  };
  for (int i = 0; i < 5; ++i) out[i].scale_min = 1, out[i].scale_max = 5;
  for (int i = 5; i < 7; ++i) out[i].scale_min = 0, out[i].scale_max = 100;
  out[0].distribution = {{1.0, 3.0}, {2.0, 1.0}};  // E|a - 1| = 0.25 (mass 4, normalised)
  return out;
}

struct Plugin {
  const socrates_plugin_descriptor* d = nullptr;

  std::map<std::string, double> metrics(Table overrides, std::vector<socrates::ResultTable>* tables = nullptr) const {
    Table t = {{"use_stated_scale", Value(false)}, {"pairing", Value("row")},  {"use_distribution", Value(false)},
               {"min_humans", Value(2)},           {"weighting", Value("cell")}, {"per_cell_table", Value(true)}};
    for (auto& [k, v] : overrides) t[k] = v;
    socrates::PluginContext ctx;
    ctx.config = socrates::ConfigSection("evaluators[0]", t);
    socrates::Component* c = d->create(ctx);
    auto* e = static_cast<socrates::Evaluator*>(c);
    socrates::EvalReport rep = e->evaluate(rows());
    d->destroy(c);
    if (tables) *tables = rep.tables;
    return rep.metrics;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mean_baseline_check PLUGIN.so\n";
    return 2;
  }
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::cerr << "dlopen: " << dlerror() << "\n";
    return 1;
  }
  auto* d = static_cast<const socrates_plugin_descriptor*>(dlsym(h, SOCRATES_PLUGIN_SYMBOL));
  if (!d || d->abi_version != SOCRATES_ABI_VERSION || std::string(d->concern) != "evaluator" ||
      std::string(d->name) != "mean-baseline") {
    std::cerr << "not the mean-baseline evaluator of ABI " << SOCRATES_ABI_VERSION << "\n";
    return 1;
  }
  Plugin p{d};

  std::cout << "defaults (row pairing, human range, cells weigh the same):\n";
  std::vector<socrates::ResultTable> tables;
  auto m = p.metrics({}, &tables);
  expect_near("model_mae", m["mean-baseline.model_mae"], (0.1 + 1.0) / 2);
  expect_near("baseline_mae", m["mean-baseline.baseline_mae"], (0.3 + 0.5) / 2);
  expect_near("win_rate", m["mean-baseline.win_rate"], 0.5);
  expect_near("cells", m["mean-baseline.cells"], 2);
  expect_near("cells_skipped", m["mean-baseline.cells_skipped"], 1);
  expect_near("unparsed", m["mean-baseline.unparsed"], 1);
  expect_near("tables", static_cast<double>(tables.size()), 1);
  if (!tables.empty()) {
    expect_near("table rows", static_cast<double>(tables[0].rows.size()), 3);
    expect_near("table columns", static_cast<double>(tables[0].columns.size()), 10);
  }

  std::cout << "use_stated_scale = true:\n";
  m = p.metrics({{"use_stated_scale", Value(true)}});
  expect_near("model_mae", m["mean-baseline.model_mae"], (0.1 + 0.05) / 2);
  expect_near("baseline_mae", m["mean-baseline.baseline_mae"], (0.3 + 0.0) / 2);
  expect_near("cells_skipped", m["mean-baseline.cells_skipped"], 1);

  std::cout << "pairing = \"cell\":\n";
  m = p.metrics({{"pairing", Value("cell")}});
  expect_near("model_mae", m["mean-baseline.model_mae"], (0.36 + 0.5) / 2);
  expect_near("baseline_mae", m["mean-baseline.baseline_mae"], (0.3 + 0.5) / 2);

  std::cout << "weighting = \"human\":\n";
  m = p.metrics({{"weighting", Value("human")}});
  expect_near("model_mae", m["mean-baseline.model_mae"], (5 * 0.1 + 1.0) / 6);
  expect_near("baseline_mae", m["mean-baseline.baseline_mae"], (5 * 0.3 + 0.5) / 6);

  std::cout << "use_distribution = true:\n";
  m = p.metrics({{"use_distribution", Value(true)}});
  expect_near("model_mae", m["mean-baseline.model_mae"], (1.25 / 5 / 4 + 1.0) / 2);

  std::cout << "min_humans = 3, per_cell_table = false:\n";
  m = p.metrics({{"min_humans", Value(3)}, {"per_cell_table", Value(false)}}, &tables);
  expect_near("model_mae", m["mean-baseline.model_mae"], 0.1);
  expect_near("cells_skipped", m["mean-baseline.cells_skipped"], 2);
  expect_near("tables", static_cast<double>(tables.size()), 0);

  std::cout << "min_humans = 0 is rejected:\n";
  try {
    p.metrics({{"min_humans", Value(0)}});
    std::cout << "  FAIL no ConfigError\n";
    ++failures;
  } catch (const socrates::ConfigError& e) {
    std::cout << "  ok   ConfigError: " << e.what() << "\n";
  }

  std::cout << (failures ? std::to_string(failures) + " check(s) failed\n" : "all checks passed\n");
  return failures ? 1 : 0;
}
