// Distribution mode: the shared-prefix, batched, chunked scoring equals a naive full forward
// per answer; scales up to 101 levels; rows without a usable scale are sampled instead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "eval/option_scoring.hpp"
#include "eval/predict.hpp"
#include "eval_test_util.hpp"

using namespace socrates;
using namespace socrates::eval_test;
using testing::HasSubstr;

namespace {

class Distribution : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_log_level("warn");
    dir_ = make_temp_dir("distribution");
    m_ = new EvalModel(open_eval_model(load(write_experiment(dir_)), {}, std::nullopt));
  }
  static void TearDownTestSuite() {
    delete m_;
    fs::remove_all(dir_);
  }
  static PredictOptions distribution(std::int64_t batch = 4) {
    PredictOptions o;
    o.mode = PredictMode::distribution;
    o.batch_size = batch;
    o.max_len = 512;
    return o;
  }
  static Predictions run(const std::vector<Example>& ex, const PredictOptions& o) {
    return predict(*m_->model, *m_->format, *m_->tokenizer, ex, o);
  }
  static void expect_naive(const PredictionRow& row, const Example& ex, std::int64_t max_len = 512,
                           double* mass = nullptr) {
    const auto lo = static_cast<std::int64_t>(*ex.scale_min), hi = static_cast<std::int64_t>(*ex.scale_max);
    const std::vector<double> want = naive_distribution(*m_->model, *m_->format, *m_->tokenizer, ex, lo, hi, max_len, mass);
    ASSERT_EQ(row.distribution.size(), want.size()) << "participant " << ex.participant;
    double sum = 0;
    for (std::size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(row.distribution[k].first, static_cast<double>(lo + static_cast<std::int64_t>(k)));
      EXPECT_NEAR(row.distribution[k].second, want[k], 1e-5) << "participant " << ex.participant << " answer "
                                                              << row.distribution[k].first;
      sum += row.distribution[k].second;
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_FALSE(row.prediction.has_value());
    EXPECT_FALSE(row.parse_failed);
  }

  static inline fs::path dir_;
  static inline EvalModel* m_ = nullptr;
};

TEST_F(Distribution, MatchesNaiveFullForwards) {
  // Different demographics give prompts of different lengths in one batch (left padding),
  // and scales of different sizes, negative answers (two tokens: "-" "3") included.
  const std::vector<Example> ex = {example(0, 1, 7), example(1, 0, 1), example(2, 1, 7), example(3, -3, 3),
                                   example(5, 1, 5)};
  const Predictions p = run(ex, distribution(4));
  ASSERT_EQ(p.rows.size(), ex.size());
  double mass_sum = 0;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    double mass = 0;
    expect_naive(p.rows[i], ex[i], 512, &mass);
    mass_sum += mass;
    EXPECT_EQ(p.texts[i], "");
  }
  EXPECT_EQ(p.stats.rows, 5);
  EXPECT_EQ(p.stats.distribution_rows, 5);
  EXPECT_EQ(p.stats.fallback_rows, 0);
  EXPECT_EQ(p.stats.parse_failures, 0);
  EXPECT_NEAR(p.stats.mean_valid_mass, mass_sum / 5, 1e-6 * mass_sum / 5);
  EXPECT_GT(p.stats.mean_valid_mass, 0.0);
  EXPECT_LT(p.stats.mean_valid_mass, 1.0);
  EXPECT_GT(p.stats.predictions_per_second, 0.0);
}

TEST_F(Distribution, HandCheckableTwoLevelScale) {
  // Answers 0 and 1 are one token each plus <|endoftext|>: P(k) = P(k | prompt) P(eos | prompt, k),
  // renormalised over k in {0, 1}, computed here from two plain forwards.
  const Example ex = example(4, 0, 1);
  const auto [prompt, a0] = split(*m_->format, *m_->tokenizer, ex, 0, 512);
  const auto a1 = split(*m_->format, *m_->tokenizer, ex, 1, 512).second;
  ASSERT_EQ(a0.size(), 2u);
  ASSERT_EQ(a1.size(), 2u);
  const double l0 = naive_logprob(*m_->model, prompt, a0), l1 = naive_logprob(*m_->model, prompt, a1);
  const Predictions p = run({ex}, distribution(1));
  ASSERT_EQ(p.rows[0].distribution.size(), 2u);
  EXPECT_NEAR(p.rows[0].distribution[0].second, 1.0 / (1.0 + std::exp(l1 - l0)), 1e-5);
  EXPECT_NEAR(p.rows[0].distribution[1].second, 1.0 / (1.0 + std::exp(l0 - l1)), 1e-5);
  EXPECT_NEAR(p.stats.mean_valid_mass, std::exp(l0) + std::exp(l1), 1e-6);
}

TEST_F(Distribution, HundredAndOneLevels) {
  const Example ex = example(6, 0, 100);  // "0".."100": one to three digit tokens
  const Predictions p = run({ex, example(7, 1, 7)}, distribution(2));
  ASSERT_EQ(p.rows[0].distribution.size(), 101u);
  expect_naive(p.rows[0], ex);
  expect_naive(p.rows[1], example(7, 1, 7));
  EXPECT_EQ(p.stats.fallback_rows, 0);
}

TEST_F(Distribution, RowsWithoutAUsableScaleAreSampled) {
  std::vector<Example> ex = {example(0, 1, 5), example(1, std::nullopt, std::nullopt), example(2, 1, 200),
                             example(3, 1, 7)};
  ex[1].response = 4;  // a human answer but no stated scale
  PredictOptions o = distribution(4);
  o.max_new_tokens = 4;
  const Predictions p = run(ex, o);
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.stats.distribution_rows, 2);
  EXPECT_EQ(p.stats.fallback_rows, 2);  // no scale; 200 levels > max_levels 101
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    EXPECT_TRUE(p.rows[i].distribution.empty());
    EXPECT_NE(p.rows[i].prediction.has_value(), p.rows[i].parse_failed);  // sampled: a number or a failure
  }
  EXPECT_EQ(p.rows[1].response, 4.0);
  EXPECT_FALSE(p.rows[1].scale_min.has_value());
  expect_naive(p.rows[0], ex[0]);
  expect_naive(p.rows[3], ex[3]);
}

TEST_F(Distribution, RowsCopyTheirExample) {
  const std::vector<Example> ex = {example(8, 1, 3), example(9, 2, 4)};
  const Predictions p = run(ex, distribution(1));
  for (std::size_t i = 0; i < ex.size(); ++i) {
    EXPECT_EQ(p.rows[i].study_id, ex[i].study_id);
    EXPECT_EQ(p.rows[i].condition_num, ex[i].condition_num);
    EXPECT_EQ(p.rows[i].task_num, ex[i].task_num);
    EXPECT_EQ(p.rows[i].participant, ex[i].participant);
    EXPECT_EQ(p.rows[i].response, static_cast<double>(*ex[i].response));
    EXPECT_EQ(p.rows[i].scale_min, ex[i].scale_min);
    EXPECT_EQ(p.rows[i].scale_max, ex[i].scale_max);
    EXPECT_EQ(p.rows[i].demographic, ex[i].demographic);
  }
}

TEST_F(Distribution, BatchingAndPackingDoNotChangeTheResult) {
  std::vector<Example> ex;
  for (std::int64_t i = 0; i < 6; ++i) ex.push_back(example(i, 1, 3 + i));
  const Predictions one = run(ex, distribution(1)), all = run(ex, distribution(6));
  for (std::size_t i = 0; i < ex.size(); ++i)
    for (std::size_t k = 0; k < one.rows[i].distribution.size(); ++k)
      EXPECT_NEAR(one.rows[i].distribution[k].second, all.rows[i].distribution[k].second, 1e-6);

  // score_options directly: each query alone vs all of them in one padded batch, and both
  // against one full forward per option.
  std::vector<OptionQuery> q(3);
  for (std::size_t i = 0; i < q.size(); ++i) {
    for (std::int64_t k = 1; k <= 4; ++k) {
      auto [prompt, answer] = split(*m_->format, *m_->tokenizer, ex[i], k * 7, 512);
      q[i].prompt = prompt;
      q[i].options.push_back(answer);
    }
  }
  const auto big = score_options(*m_->model, q);
  for (std::size_t i = 0; i < q.size(); ++i)
    for (std::size_t k = 0; k < q[i].options.size(); ++k) {
      EXPECT_NEAR(score_options(*m_->model, {q[i]})[0][k], big[i][k], 1e-4);
      EXPECT_NEAR(big[i][k], naive_logprob(*m_->model, q[i].prompt, q[i].options[k]), 1e-4);
    }
}

TEST_F(Distribution, TruncatedPromptsShareTheMostTruncatedOne) {
  // max_len 60 cuts the prompt, by one token more for "10" than for "1" (digits are single
  // tokens): every answer is scored after the shortest prompt.
  const Example ex = example(2, 1, 10);
  PredictOptions o = distribution(1);
  o.max_len = 60;
  const Predictions p = run({ex}, o);
  const auto prompt = split(*m_->format, *m_->tokenizer, ex, 10, 60).first;
  ASSERT_LT(prompt.size(), split(*m_->format, *m_->tokenizer, ex, 1, 512).first.size());
  std::vector<double> want;
  double total = 0;
  for (std::int64_t k = 1; k <= 10; ++k) {
    want.push_back(std::exp(naive_logprob(*m_->model, prompt, split(*m_->format, *m_->tokenizer, ex, k, 512).second)));
    total += want.back();
  }
  ASSERT_EQ(p.rows[0].distribution.size(), 10u);
  for (std::size_t k = 0; k < 10; ++k) EXPECT_NEAR(p.rows[0].distribution[k].second, want[k] / total, 1e-5);
}

// A format whose prompt mentions the answer: distribution mode cannot share a prompt.
class LeakyFormat final : public PromptFormat {
 public:
  explicit LeakyFormat(bool label_nothing = false) : label_nothing_(label_nothing) {}
  std::string render_prompt(const Example& ex) const override { return "Q: " + ex.stimuli + "\nA: "; }
  std::string render_response(const Example& ex) const override { return std::to_string(*ex.response); }
  TokenizedExample tokenize(const Example& ex, const Tokenizer& tok, std::int64_t) const override {
    TokenizedExample t;
    for (std::int32_t id : tok.encode("Q: " + ex.stimuli + " (hint " + render_response(ex) + ")\nA: ")) {
      t.input_ids.push_back(id);
      t.labels.push_back(kIgnoreIndex);
    }
    for (std::int32_t id : tok.encode(render_response(ex))) {
      t.input_ids.push_back(id);
      t.labels.push_back(label_nothing_ ? kIgnoreIndex : id);
    }
    return t;
  }
  std::vector<std::string> stop_strings() const override { return {}; }
  std::string fingerprint() const override { return "leaky/0.1:sha256:0"; }

 private:
  bool label_nothing_;
};

TEST_F(Distribution, AnAnswerDependentPromptIsAnErrorNamingTheFormat) {
  LeakyFormat leaky;
  EXPECT_THAT([&] { predict(*m_->model, leaky, *m_->tokenizer, {example(0, 1, 5)}, distribution()); },
              testing::ThrowsMessage<Error>(
                  testing::AllOf(HasSubstr("prompt format 'leaky/0.1'"), HasSubstr("sample_id 100"),
                                 HasSubstr("differ"))));
  LeakyFormat unlabelled(true);
  EXPECT_THAT([&] { predict(*m_->model, unlabelled, *m_->tokenizer, {example(0, 1, 5)}, distribution()); },
              testing::ThrowsMessage<Error>(
                  testing::AllOf(HasSubstr("prompt format 'leaky/0.1'"), HasSubstr("no labelled"))));
}

TEST(ScaleLevels, IntegersOfTheStatedScale) {
  Example ex;
  EXPECT_TRUE(scale_levels(ex, 101).empty());
  ex.scale_min = 1, ex.scale_max = 5;
  EXPECT_EQ(scale_levels(ex, 101), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(scale_levels(ex, 4).empty());
  ex.scale_min = -1.5, ex.scale_max = 1.5;
  EXPECT_EQ(scale_levels(ex, 101), (std::vector<std::int64_t>{-1, 0, 1}));
  ex.scale_min = 3, ex.scale_max = 2;
  EXPECT_TRUE(scale_levels(ex, 101).empty());
}

}  // namespace
