#include "seed_dropout.hpp"

#if SOCRATES_LORA_CUDA

#include <cstdint>

#include <ATen/ops/mm.h>

#include "dropout_gemm.hpp"

namespace lora {

namespace {
// The fused kernels take an x-like [., k] operand of t's dtype and an A of `rank` rows, with
// `other` in the same dtype.
bool kernels_take(const at::Tensor& t, std::int64_t k, std::int64_t rank, const at::Tensor& other) {
  return dropout_gemm_supported(t, k, rank) && other.scalar_type() == t.scalar_type();
}
}  // namespace

SeedDropout SeedDropout::draw(const at::Tensor& x, double p, bool fused) {
  return {p, draw_philox_seed(x.device()), fused};
}

SeedDropout SeedDropout::saved(torch::autograd::AutogradContext* ctx) {
  return {ctx->saved_data["p"].toDouble(),
          {static_cast<std::uint64_t>(ctx->saved_data["seed"].toInt()),
           static_cast<std::uint64_t>(ctx->saved_data["offset"].toInt())},
          ctx->saved_data["fused"].toBool()};
}

void SeedDropout::save(torch::autograd::AutogradContext* ctx) const {
  ctx->saved_data["p"] = p;
  ctx->saved_data["seed"] = static_cast<std::int64_t>(seed.seed);
  ctx->saved_data["offset"] = static_cast<std::int64_t>(seed.offset);
  ctx->saved_data["fused"] = fused;
}

at::Tensor SeedDropout::a_product(const at::Tensor& x, const at::Tensor& a) const {
  if (fused && kernels_take(x, x.size(1), a.size(0), a)) return dropped_mm(x, a, p, seed);
  return at::mm(dropout_philox(x, p, seed), a.t());
}

at::Tensor SeedDropout::a_grad(const at::Tensor& gu, const at::Tensor& x) const {
  if (fused && kernels_take(x, x.size(1), gu.size(1), gu)) return mm_t_dropped(gu, x, p, seed);
  return at::mm(gu.t(), dropout_philox(x, p, seed));
}

void SeedDropout::x_grad_into(at::Tensor& sum, const at::Tensor& gu, const at::Tensor& a) const {
  if (fused && kernels_take(a, a.size(1), a.size(0), gu) &&
      (!sum.defined() || dropout_gemm_sum_ok(sum, gu.size(0), a))) {
    sum = mm_dropped(gu, a, p, seed, sum);
    return;
  }
  const at::Tensor t = at::mm(gu, a);  // [n, in]
  if (sum.defined())
    dropout_philox_add_(sum, t, p, seed);
  else
    sum = dropout_philox(t, p, seed);
}

}  // namespace lora

#endif
