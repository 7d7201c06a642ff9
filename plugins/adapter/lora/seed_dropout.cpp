#include "seed_dropout.hpp"

#if SOCRATES_LORA_CUDA

#include <cstdint>

#include <ATen/ops/mm.h>

#include "dropout_gemm.hpp"

namespace lora {

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
  if (fused && dropout_gemm_supported(x, x.size(1), a.size(0)) && a.scalar_type() == x.scalar_type())
    return dropped_mm(x, a, p, seed);
  return at::mm(dropout_philox(x, p, seed), a.t());
}

at::Tensor SeedDropout::a_grad(const at::Tensor& gu, const at::Tensor& x) const {
  if (fused && dropout_gemm_supported(x, x.size(1), gu.size(1)) && gu.scalar_type() == x.scalar_type())
    return mm_t_dropped(gu, x, p, seed);
  return at::mm(gu.t(), dropout_philox(x, p, seed));
}

void SeedDropout::x_grad_into(at::Tensor& sum, const at::Tensor& gu, const at::Tensor& a) const {
  const bool into = sum.defined() && sum.is_contiguous() && sum.scalar_type() == a.scalar_type() &&
                    reinterpret_cast<std::uintptr_t>(sum.data_ptr()) % 16 == 0;
  if (fused && dropout_gemm_supported(a, a.size(1), a.size(0)) && gu.scalar_type() == a.scalar_type() &&
      (into || !sum.defined())) {
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
