// test-dataset: `rows` synthetic training examples (and rows/4 each for validation and test).
#include <stdexcept>

#include "socrates/dataset.hpp"

namespace {

const socrates_option kOptions[] = {
    {"rows", SOCRATES_INT, "8", "number of training examples", nullptr},
    {"study", SOCRATES_STRING, "\"test-study\"", "study_id of every example", nullptr},
};

class TestDataset final : public socrates::Dataset {
 public:
  explicit TestDataset(const socrates::PluginContext& ctx)
      : rows_(ctx.config.get<std::int64_t>("rows")), study_(ctx.config.get<std::string>("study")) {
    if (rows_ < 0) throw ctx.config.error("rows", "must be >= 0");
  }
  void prepare() override { prepared_ = true; }
  std::size_t size(socrates::Partition p) const override {
    if (!prepared_) throw socrates::Error("test-dataset: prepare() was not called");
    return static_cast<std::size_t>(p == socrates::Partition::train ? rows_ : rows_ / 4);
  }
  socrates::Example get(socrates::Partition p, std::size_t i) const override {
    if (i >= size(p)) throw std::out_of_range("test-dataset: row " + std::to_string(i) + " out of range");
    const auto n = static_cast<std::int64_t>(i);
    socrates::Example ex;
    ex.sample_id = static_cast<std::int64_t>(p) * rows_ + n;
    ex.participant = n;
    ex.study_id = study_;
    ex.task_num = 1;
    ex.demographic = {{"age", std::to_string(20 + n)}, {"gender", std::nullopt}};
    ex.stimuli = "How much do you agree with statement " + std::to_string(n) + "? Answer 1-5.";
    ex.prompt = ex.stimuli;
    ex.response = 1 + n % 5;
    ex.scale_min = 1;
    ex.scale_max = 5;
    return ex;
  }
  std::string fingerprint() const override { return "test-dataset:" + study_ + ":" + std::to_string(rows_); }

 private:
  std::int64_t rows_;
  std::string study_;
  bool prepared_ = false;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Dataset, TestDataset, "test-dataset", "1.0.0", "Synthetic rows for tests", kOptions);
