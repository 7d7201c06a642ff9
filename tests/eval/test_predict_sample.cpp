// Sample mode: seeded determinism, every row once in order, parse failures kept and counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/tensor.h>

#include "generate/generation.hpp"

#include "eval/answer_parse.hpp"
#include "eval/predict.hpp"
#include "eval_test_util.hpp"

using namespace socrates;
using namespace socrates::eval_test;

namespace {

class Sample : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_log_level("warn");
    dir_ = make_temp_dir("sample");
    // A nearly uniform random model: sampled texts vary with the seed.
    flat_ = new EvalModel(open_eval_model(load(write_experiment(dir_ / "flat", 0.02)), {}, std::nullopt));
    // A peaked one: its greedy choice is far from any tie, so an independent forward agrees.
    peaked_ = new EvalModel(open_eval_model(load(write_experiment(dir_ / "peaked", 0.2)), {}, std::nullopt));
  }
  static void TearDownTestSuite() {
    delete flat_;
    delete peaked_;
    fs::remove_all(dir_);
  }
  static Predictions run(const EvalModel& m, const std::vector<Example>& ex, const PredictOptions& o) {
    return predict(*m.model, *m.format, *m.tokenizer, ex, o);
  }
  static std::vector<Example> examples(std::int64_t n) {
    std::vector<Example> out;
    for (std::int64_t i = 0; i < n; ++i) out.push_back(example(i, 1, 7));
    return out;
  }

  static inline fs::path dir_;
  static inline EvalModel* flat_ = nullptr;
  static inline EvalModel* peaked_ = nullptr;
};

TEST_F(Sample, SameSeedSameAnswers) {
  PredictOptions o;
  o.batch_size = 4;
  o.max_new_tokens = 3;
  o.seed = 3;
  const auto ex = examples(6);
  const Predictions a = run(*flat_, ex, o), b = run(*flat_, ex, o);
  EXPECT_EQ(a.texts, b.texts);
  for (std::size_t i = 0; i < ex.size(); ++i) {
    EXPECT_EQ(a.rows[i].prediction, b.rows[i].prediction);
    EXPECT_EQ(a.rows[i].parse_failed, b.rows[i].parse_failed);
  }
  o.seed = 4;
  const Predictions c = run(*flat_, ex, o);
  EXPECT_NE(a.texts, c.texts) << "another seed must sample other tokens from a nearly uniform model";
}

TEST_F(Sample, EveryRowOnceInInputOrder) {
  PredictOptions o;
  o.batch_size = 3;  // 7 rows: batches of 3, 3, 1
  o.max_new_tokens = 2;
  auto ex = examples(7);
  ex[4].response.reset();  // no human answer: predicted all the same
  const Predictions p = run(*flat_, ex, o);
  ASSERT_EQ(p.rows.size(), ex.size());
  ASSERT_EQ(p.texts.size(), ex.size());
  EXPECT_EQ(p.stats.rows, 7);
  std::int64_t failures = 0;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    const PredictionRow& r = p.rows[i];
    EXPECT_EQ(r.participant, ex[i].participant);
    EXPECT_EQ(r.study_id, ex[i].study_id);
    EXPECT_EQ(r.condition_num, ex[i].condition_num);
    EXPECT_EQ(r.task_num, ex[i].task_num);
    EXPECT_EQ(r.demographic, ex[i].demographic);
    EXPECT_EQ(r.scale_min, 1.0);
    EXPECT_EQ(r.scale_max, 7.0);
    EXPECT_TRUE(r.distribution.empty());
    EXPECT_EQ(r.prediction, parse_answer(p.texts[i]));
    EXPECT_EQ(r.parse_failed, !r.prediction.has_value());
    failures += r.parse_failed;
    if (i == 4) {
      EXPECT_FALSE(r.response.has_value());
    } else {
      EXPECT_EQ(r.response, 1.0);
    }
  }
  EXPECT_EQ(p.stats.parse_failures, failures);
  EXPECT_EQ(p.stats.distribution_rows, 0);
  EXPECT_EQ(p.stats.fallback_rows, 0);
}

TEST_F(Sample, ParseFailuresAreCountedNotDropped) {
  // Greedy, one new token: each row's text is the decoded argmax after its prompt, which an
  // independent full forward predicts. A random model answers with non-numbers, and those
  // rows must stay, with parse_failed set and no prediction.
  PredictOptions o;
  o.temperature = 0.0;
  o.max_new_tokens = 1;
  o.batch_size = 1;
  const auto ex = examples(8);
  const Predictions p = run(*peaked_, ex, o);
  ASSERT_EQ(p.rows.size(), ex.size());
  const EvalModel& m = *peaked_;
  std::int64_t failures = 0;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    std::vector<std::int64_t> ids;
    for (std::int32_t t : m.tokenizer->encode(m.format->render_prompt(ex[i]))) ids.push_back(t);
    at::NoGradGuard no_grad;
    const at::Tensor h = m.model->forward(at::tensor(ids).view({1, -1}));
    const auto next = m.model->logits(h.select(1, h.size(1) - 1)).argmax(-1).item<std::int64_t>();
    const std::string text = m.tokenizer->decode({static_cast<std::int32_t>(next)}, /*skip_special=*/true);
    EXPECT_EQ(p.texts[i], text) << "row " << i;
    const std::optional<double> want = parse_answer(text);
    EXPECT_EQ(p.rows[i].prediction, want) << "row " << i;
    EXPECT_EQ(p.rows[i].parse_failed, !want.has_value()) << "row " << i;
    failures += !want.has_value();
  }
  ASSERT_GT(failures, 0) << "the random model was expected to answer at least one row with a non-number";
  EXPECT_EQ(p.stats.parse_failures, failures);
  EXPECT_EQ(p.stats.rows, 8);
}

TEST_F(Sample, StopTokensAreEosAndTheFormatsStopStrings) {
  const EvalModel& m = *flat_;
  // alpaca stops on <|endoftext|>, which is also the model's EOS: listed once.
  EXPECT_EQ(stop_token_ids(*m.model, *m.format, *m.tokenizer), (std::vector<std::int64_t>{151643}));
}

TEST(Sampler, DrawsFromTheFilteredSoftmax) {
  // softmax([1, 3, 2, 0.5]) = [0.0871, 0.6439, 0.2369, 0.0321]; top-p 0.9 keeps {1, 2, 0}
  // (0.88 < 0.9 without token 0) and renormalises. 20000 seeded draws: the standard error of
  // a frequency is below 0.004, the tolerance 0.015.
  const at::Tensor logits = at::tensor({1.0f, 3.0f, 2.0f, 0.5f}).view({1, 4});
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  SamplingParams p;
  p.temperature = 1.0;
  const double e[4] = {std::exp(1.0), std::exp(3.0), std::exp(2.0), std::exp(0.5)};
  const double z = e[0] + e[1] + e[2] + e[3], z3 = e[0] + e[1] + e[2];
  for (double top_p : {1.0, 0.9}) {
    p.top_p = top_p;
    std::vector<double> freq(4, 0.0);
    for (int i = 0; i < 20000; ++i) freq[static_cast<std::size_t>(sample_next(logits, p, gen).item<std::int64_t>())] += 1.0 / 20000;
    for (std::size_t k = 0; k < 4; ++k) {
      const double want = top_p == 1.0 ? e[k] / z : (k == 3 ? 0.0 : e[k] / z3);
      EXPECT_NEAR(freq[k], want, 0.015) << "top_p " << top_p << " token " << k;
    }
  }
}

TEST_F(Sample, RejectsZeroNewTokens) {
  PredictOptions o;
  o.max_new_tokens = 0;
  EXPECT_THROW(run(*flat_, examples(1), o), Error);
}

}  // namespace
