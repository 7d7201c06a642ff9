// The q/k un-permutation: a round trip with llama.cpp's permute, the permute written out
// index by index, and attention scores: ggml's rotary (adjacent pairs) on the GGUF rows
// equals transformers' rotate_half on the un-permuted rows.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "gguf/gguf_rotary.hpp"
#include "gguf_test_util.hpp"

using namespace socrates;

namespace {

// Rotary embedding of one head vector at position `pos`; `adjacent`: ggml's pairs (2i, 2i+1),
// else transformers' pairs (i, i + d/2). Both rotate pair i by pos * base^(-2i/d).
std::vector<double> rope(std::vector<double> v, double pos, bool adjacent, double base = 10000.0) {
  const std::size_t d = v.size();
  for (std::size_t i = 0; i < d / 2; ++i) {
    const double a = pos * std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
    const std::size_t x = adjacent ? 2 * i : i, y = adjacent ? 2 * i + 1 : i + d / 2;
    const double vx = v[x], vy = v[y];
    v[x] = vx * std::cos(a) - vy * std::sin(a);
    v[y] = vx * std::sin(a) + vy * std::cos(a);
  }
  return v;
}

// scores[h][t][s] = rope(q_h(x_t), t) · rope(k_{h / group}(x_s), s) for q = x Wq^T, k = x Wk^T.
std::vector<double> scores(const at::Tensor& wq, const at::Tensor& wk, const at::Tensor& x, std::int64_t nh,
                           std::int64_t nkv, bool adjacent) {
  const at::Tensor q = at::matmul(x, wq.t()).to(at::kDouble), k = at::matmul(x, wk.t()).to(at::kDouble);
  const std::int64_t d = wq.size(0) / nh, T = x.size(0);
  auto head = [&](const at::Tensor& m, std::int64_t t, std::int64_t h) {
    std::vector<double> v(static_cast<std::size_t>(d));
    for (std::int64_t i = 0; i < d; ++i) v[static_cast<std::size_t>(i)] = m[t][h * d + i].item<double>();
    return v;
  };
  std::vector<double> out;
  for (std::int64_t h = 0; h < nh; ++h)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t s = 0; s < T; ++s) {
        const auto a = rope(head(q, t, h), static_cast<double>(t), adjacent);
        const auto b = rope(head(k, s, h / (nh / nkv)), static_cast<double>(s), adjacent);
        double dot = 0;
        for (std::size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i];
        out.push_back(dot);
      }
  return out;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST(GgufRotary, PermuteMatchesLlamaCppAndUnpermuteInvertsIt) {
  at::manual_seed(0);
  for (auto [heads, d] : {std::pair{4, 8}, std::pair{3, 64}, std::pair{9, 64}, std::pair{1, 2}}) {
    const at::Tensor w = at::randn({heads * d, 24}), bias = at::randn({heads * d});
    const at::Tensor p = gguf::permute_rotary(w, heads);
    EXPECT_TRUE(at::equal(p, gguf_test::reference_permute(w, heads))) << heads << "x" << d;
    EXPECT_TRUE(at::equal(gguf::unpermute_rotary(p, heads), w));
    EXPECT_TRUE(at::equal(gguf::permute_rotary(gguf::unpermute_rotary(w, heads), heads), w));
    EXPECT_TRUE(at::equal(gguf::unpermute_rotary(gguf::permute_rotary(bias, heads), heads), bias));
    EXPECT_TRUE(at::equal(gguf::permute_rotary(bias, heads), gguf_test::reference_permute(bias, heads)));
  }
  // One head of 8 rows: GGUF row 2i + j is Hugging Face row 4j + i.
  const at::Tensor p = gguf::permute_rotary(at::arange(8, at::kFloat), 1);
  std::vector<float> got(p.data_ptr<float>(), p.data_ptr<float>() + 8);
  EXPECT_EQ(got, (std::vector<float>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_THROW(gguf::permute_rotary(at::zeros({6, 2}), 4), std::invalid_argument);
  EXPECT_THROW(gguf::unpermute_rotary(at::zeros({12, 2}), 4), std::invalid_argument);  // odd head size 3
}

TEST(GgufRotary, GgmlRopeOnGgufRowsEqualsRotateHalfOnUnpermutedRows) {
  at::manual_seed(1);
  const std::int64_t nh = 4, nkv = 2, d = 8, hidden = 16;
  const at::Tensor wq = at::randn({nh * d, hidden}), wk = at::randn({nkv * d, hidden}), x = at::randn({5, hidden});
  // What a GGUF file holds (convert_hf_to_gguf.py permuted it), and what the import makes of it.
  const at::Tensor gq = gguf_test::reference_permute(wq, nh), gk = gguf_test::reference_permute(wk, nkv);
  const auto ggml = scores(gq, gk, x, nh, nkv, /*adjacent=*/true);
  const auto hf = scores(gguf::unpermute_rotary(gq, nh), gguf::unpermute_rotary(gk, nkv), x, nh, nkv, false);
  EXPECT_LT(max_diff(ggml, hf), 1e-9);
  // The test can fail: without the un-permutation, or permuting the wrong way, scores differ.
  EXPECT_GT(max_diff(ggml, scores(gq, gk, x, nh, nkv, false)), 1e-2);
  EXPECT_GT(max_diff(ggml, scores(gguf::permute_rotary(gq, nh), gguf::permute_rotary(gk, nkv), x, nh, nkv, false)), 1e-2);
}
