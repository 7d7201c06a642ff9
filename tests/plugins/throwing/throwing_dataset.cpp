// throwing-dataset: four fixed rows, and an exception from the method named by `throw_in`.
#include "socrates/dataset.hpp"
#include "throwing.hpp"

namespace {

const socrates_option kOptions[] = {SOCRATES_THROWING_OPTIONS("create|prepare|size|get|fingerprint")};

class ThrowingDataset final : public socrates::Dataset {
 public:
  explicit ThrowingDataset(const socrates::PluginContext& ctx) : t_(ctx, "throwing-dataset") {}
  void prepare() override { t_.maybe_throw("prepare"); }
  std::size_t size(socrates::Partition) const override {
    t_.maybe_throw("size");
    return 4;
  }
  socrates::Example get(socrates::Partition p, std::size_t i) const override {
    t_.maybe_throw("get");
    socrates::Example ex;
    ex.sample_id = static_cast<std::int64_t>(p) * 4 + static_cast<std::int64_t>(i);
    ex.participant = static_cast<std::int64_t>(i);
    ex.study_id = "s" + std::to_string(static_cast<int>(p));
    ex.stimuli = "Pick 1-5.";
    ex.prompt = ex.stimuli;
    ex.response = 1 + static_cast<std::int64_t>(i) % 5;
    ex.scale_min = 1;
    ex.scale_max = 5;
    return ex;
  }
  std::string fingerprint() const override {
    t_.maybe_throw("fingerprint");
    return "throwing-dataset";
  }

 private:
  throwing::Thrower t_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Dataset, ThrowingDataset, "throwing-dataset", "1.0.0", "Throws from a chosen method (tests)",
                kOptions);
