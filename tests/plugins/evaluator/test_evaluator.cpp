// test-evaluator: mean |prediction - human answer| over rows that have both.
#include <cmath>

#include "socrates/evaluator.hpp"

namespace {

const socrates_option kOptions[] = {
    {"prefix", SOCRATES_STRING, "\"test\"", "metric name prefix", nullptr},
};

class TestEvaluator final : public socrates::Evaluator {
 public:
  explicit TestEvaluator(const socrates::PluginContext& ctx) : prefix_(ctx.config.get<std::string>("prefix")) {}

  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    double sum = 0;
    std::int64_t n = 0;
    for (const auto& r : rows) {
      if (r.response && r.prediction) sum += std::abs(*r.prediction - *r.response), ++n;
    }
    socrates::EvalReport report;
    report.metrics[prefix_ + ".mae"] = n ? sum / static_cast<double>(n) : NAN;
    report.metrics[prefix_ + ".count"] = static_cast<double>(n);
    return report;
  }

 private:
  std::string prefix_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, TestEvaluator, "test-evaluator", "1.0.0", "Mean absolute error for tests", kOptions);
