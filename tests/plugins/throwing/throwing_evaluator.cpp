// throwing-evaluator: counts rows, and an exception from the method named by `throw_in`.
#include "socrates/evaluator.hpp"
#include "throwing.hpp"

namespace {

const socrates_option kOptions[] = {SOCRATES_THROWING_OPTIONS("create|evaluate")};

class ThrowingEvaluator final : public socrates::Evaluator {
 public:
  explicit ThrowingEvaluator(const socrates::PluginContext& ctx) : t_(ctx, "throwing-evaluator") {}
  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    t_.maybe_throw("evaluate");
    socrates::EvalReport r;
    r.metrics["throwing.rows"] = static_cast<double>(rows.size());
    return r;
  }

 private:
  throwing::Thrower t_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, ThrowingEvaluator, "throwing-evaluator", "1.0.0",
                "Throws from a chosen method (tests)", kOptions);
