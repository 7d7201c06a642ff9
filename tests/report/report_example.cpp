#include "report_example.hpp"

#include <cmath>
#include <random>

#include <fmt/format.h>

namespace socrates::test {

namespace {

using Dist = std::vector<double>;  // probability per level lo..hi

/// W1 between two distributions over the same integer levels, divided by the range.
double w1(const Dist& a, const Dist& b) {
  double fa = 0, fb = 0, sum = 0;
  for (std::size_t i = 0; i + 1 < a.size(); ++i) sum += std::abs((fa += a[i]) - (fb += b[i]));
  return sum / static_cast<double>(a.size() - 1);
}

Dist histogram(const std::vector<int>& answers, int lo, int hi) {
  Dist d(hi - lo + 1, 0.0);
  for (int a : answers) d[a - lo] += 1.0 / answers.size();
  return d;
}

/// A peaked distribution over lo..hi (a discretised normal around `centre`).
Dist peaked(int lo, int hi, double centre, double spread) {
  Dist d(hi - lo + 1);
  double sum = 0;
  for (int k = lo; k <= hi; ++k) sum += d[k - lo] = std::exp(-0.5 * std::pow((k - centre) / spread, 2));
  for (double& p : d) p /= sum;
  return d;
}

Dist mix(const Dist& a, const Dist& b, double wa) {
  Dist d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = wa * a[i] + (1 - wa) * b[i];
  return d;
}

int draw(const Dist& d, int lo, std::mt19937& rng) {
  return lo + std::discrete_distribution<int>(d.begin(), d.end())(rng);
}

struct Totals {
  double w1 = 0, uniform = 0, bootstrap = 0, failures = 0, predictions = 0;
  int cells = 0;
};

EvalReport wasserstein_report(const std::vector<std::vector<Value>>& cells, const std::vector<std::vector<Value>>& studies,
                              const Totals& t, int n_studies) {
  EvalReport r;
  r.metrics = {{"wasserstein", t.w1 / t.cells},
               {"wasserstein.raw", t.w1 / t.cells * 6},
               {"wasserstein.uniform", t.uniform / t.cells},
               {"wasserstein.bootstrap", t.bootstrap / t.cells},
               {"wasserstein.parse_failure_rate", t.failures / (t.predictions + t.failures)},
               {"wasserstein.cells", t.cells},
               {"wasserstein.studies", n_studies},
               {"wasserstein.empty_cells", 0}};
  r.tables.push_back({"cells",
                      {"study_id", "condition_num", "task_num", "n_human", "n_pred", "n_parse_failed", "range_min",
                       "range_max", "w1_raw", "w1", "w1_uniform", "w1_bootstrap"},
                      cells});
  r.tables.push_back({"studies", {"study_id", "n_cells", "w1", "w1_uniform", "w1_bootstrap"}, studies});
  return r;
}

}  // namespace

ExampleRuns example_runs(int n_studies, bool distribution) {
  std::mt19937 rng(7);
  ExampleRuns out;
  out.tuned.label = "tuned";
  out.tuned.mode = distribution ? "distribution" : "sample";
  out.tuned.predictions_per_second = 412.5;
  out.base.label = "base";
  out.base.mode = "sample";
  std::vector<std::vector<Value>> cells[2], studies[2];
  Totals totals[2];

  for (int s = 0; s < n_studies; ++s) {
    const std::string id = s == 1 ? "pew_american_trends_panel_w92_trust_in_science" : fmt::format("study_{:03d}", s);
    const int lo = s == 2 ? 0 : 1, hi = s == 2 ? 100 : 7;
    double study_w1[2] = {0, 0}, study_uniform = 0, study_boot = 0;
    for (int task = 1; task <= 3; ++task) {
      const double centre = lo + (hi - lo) * std::uniform_real_distribution<double>(0.15, 0.85)(rng);
      const Dist human_dist = peaked(lo, hi, centre, (hi - lo) * 0.15);
      std::vector<int> humans, boot;
      for (int i = 0; i < 24; ++i) humans.push_back(draw(human_dist, lo, rng));
      for (int i = 0; i < 24; ++i) boot.push_back(humans[rng() % humans.size()]);
      const Dist h = histogram(humans, lo, hi), uniform(hi - lo + 1, 1.0 / (hi - lo + 1));
      const double quality = std::uniform_real_distribution<double>(0.3, 0.95)(rng);
      // The slider study is the tuned model's worst: it answers well above the humans.
      const double shift = s == 2 ? 0.35 : 0.05;
      const Dist tuned_dist = mix(peaked(lo, hi, centre + (hi - lo) * shift, (hi - lo) * 0.17), uniform, quality);
      const Dist base_dist = peaked(lo, hi, hi - (hi - lo) * 0.1, (hi - lo) * 0.1);

      std::vector<int> preds[2];
      int failures[2] = {0, 0};
      for (int i = 0; i < 24; ++i) {
        PredictionRow row;
        row.study_id = id;
        row.condition_num = 1;
        row.task_num = task;
        row.participant = i;
        row.response = humans[i];
        row.scale_min = lo;
        row.scale_max = hi;
        PredictionRow base_row = row;
        if (distribution) {
          for (int k = lo; k <= hi; ++k) row.distribution.emplace_back(k, tuned_dist[k - lo]);
        } else {
          preds[0].push_back(draw(tuned_dist, lo, rng));
          row.prediction = preds[0].back();
        }
        if (rng() % 10 == 0) {
          base_row.parse_failed = true;
          ++failures[1];
        } else {
          preds[1].push_back(draw(base_dist, lo, rng));
          base_row.prediction = preds[1].back();
        }
        out.tuned.rows.push_back(row);
        out.base.rows.push_back(base_row);
      }
      const Dist predicted[2] = {distribution ? tuned_dist : histogram(preds[0], lo, hi), histogram(preds[1], lo, hi)};
      const double u = w1(h, uniform), b = w1(h, histogram(boot, lo, hi));
      study_uniform += u / 3;
      study_boot += b / 3;
      for (int r = 0; r < 2; ++r) {
        const double d = w1(h, predicted[r]);
        study_w1[r] += d / 3;
        const auto n_pred = static_cast<std::int64_t>(r == 0 && distribution ? 24 : preds[r].size());
        cells[r].push_back({id, 1, task, 24, n_pred, failures[r], double(lo), double(hi), d * (hi - lo), d, u, b});
        totals[r].w1 += d;
        totals[r].uniform += u;
        totals[r].bootstrap += b;
        totals[r].failures += failures[r];
        totals[r].predictions += static_cast<double>(n_pred);
        ++totals[r].cells;
      }
    }
    for (int r = 0; r < 2; ++r) studies[r].push_back({id, 3, study_w1[r], study_uniform, study_boot});
  }
  out.tuned.reports.emplace_back("wasserstein", wasserstein_report(cells[0], studies[0], totals[0], n_studies));
  out.base.reports.emplace_back("wasserstein", wasserstein_report(cells[1], studies[1], totals[1], n_studies));
  return out;
}

}  // namespace socrates::test
