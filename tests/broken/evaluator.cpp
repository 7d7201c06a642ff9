// An evaluator with one int option `x`; BROKEN_* definitions break it in different ways.
#include "socrates/evaluator.hpp"

#ifndef BROKEN_NAME
#define BROKEN_NAME "broken"
#endif
#if defined(BROKEN_BAD_DEFAULT)
#define X_DEFAULT "\"sixteen\""
#elif defined(BROKEN_NEGATIVE_DEFAULT)
#define X_DEFAULT "-1"
#else
#define X_DEFAULT "16"
#endif

namespace {

const socrates_option kOptions[] = {{"x", SOCRATES_INT, X_DEFAULT, "a positive number", nullptr}};

class BrokenEvaluator final : public socrates::Evaluator {
 public:
  explicit BrokenEvaluator(const socrates::PluginContext& ctx) {
    if (ctx.config.get<std::int64_t>("x") <= 0) throw socrates::ConfigError("test: 'x' must be positive");
  }
  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>&) const override { return {}; }
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, BrokenEvaluator, BROKEN_NAME, "1.0.0", "broken on purpose", kOptions);
