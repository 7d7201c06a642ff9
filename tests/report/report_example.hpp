// A realistic pair of runs for the plot tests (and for looking at the plots): many studies,
// 7-point scales and one 0-100 slider, a base far from the humans and a tuned model close to
// them, with cells, studies and metrics computed from the rows as the wasserstein evaluator
// would.
#pragma once

#include "eval/eval_run.hpp"

namespace socrates::test {

struct ExampleRuns {
  EvalRun tuned, base;
};

/// `n_studies` studies of 3 cells with 24 humans each; study 2 is a 0-100 slider (with the
/// tuned run's worst cell) and study 1 has a long id. The tuned run is in distribution mode when `distribution`, else sampled.
ExampleRuns example_runs(int n_studies, bool distribution);

}  // namespace socrates::test
