// An evaluator whose options cover every option type, a required key and choices; the
// config tests validate experiments against its schema.
#include "socrates/evaluator.hpp"

namespace {

const socrates_option kOptions[] = {
    {"data", SOCRATES_PATH, nullptr, "required path", nullptr},
    {"mode", SOCRATES_STRING, "\"sample\"", "how predictions are made", "sample|distribution"},
    {"n", SOCRATES_INT, "3", "an int", nullptr},
    {"rate", SOCRATES_FLOAT, "0.5", "a float", nullptr},
    {"flag", SOCRATES_BOOL, "false", "a bool", nullptr},
    {"names", SOCRATES_STRING_LIST, "[\"a\"]", "strings", nullptr},
    {"sizes", SOCRATES_INT_LIST, "[]", "ints", nullptr},
    {"weights", SOCRATES_FLOAT_LIST, "[1.0]", "floats", nullptr},
    {"extra", SOCRATES_PATH_LIST, "[]", "paths", nullptr},
};

class Probe final : public socrates::Evaluator {
 public:
  explicit Probe(const socrates::PluginContext& ctx) {
    if (ctx.config.get<std::int64_t>("n") < 0) throw ctx.config.error("n", "must be >= 0");
  }
  socrates::EvalReport evaluate(const std::vector<socrates::PredictionRow>& rows) const override {
    return {{{"probe.rows", static_cast<double>(rows.size())}}, {}};
  }
};

}  // namespace

SOCRATES_PLUGIN(socrates::Evaluator, Probe, "probe", "0.0.1", "Config-test probe", kOptions);
