#include "model/rope.hpp"
#include "model/fused_dtype.hpp"

#include <cmath>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/where.h>
#include <torch/csrc/autograd/custom_function.h>

namespace socrates {

namespace {

struct RopeFn : torch::autograd::Function<RopeFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos,
                            const at::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return detail::rope_cuda(x, cos, sin, /*backward=*/false);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    return {detail::rope_cuda(grads[0], saved[0], saved[1], /*backward=*/true), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor rope_inv_freq(const ModelConfig& c) {
  const std::int64_t d = c.head_dim;
  // Same arithmetic as transformers: int64 arange -> float, then base ** (i / d).
  at::Tensor exponent = at::arange(0, d, 2, at::kLong).to(at::kFloat) / static_cast<double>(d);
  at::Tensor inv = 1.0 / at::pow(c.rope_theta, exponent);
  if (c.rope_scaling.type == "llama3") {
    const RopeScaling& s = c.rope_scaling;
    const double low_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
    const double high_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
    at::Tensor wavelen = 2.0 * M_PI / inv;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv / s.factor, inv);
    at::Tensor smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    at::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    inv = at::where(medium, smoothed, scaled);
  }
  return inv;
}

std::pair<at::Tensor, at::Tensor> rope_cos_sin(const at::Tensor& inv_freq, const at::Tensor& positions,
                                               c10::ScalarType dtype) {
  // freqs[b, t, i] = pos[b, t] * inv_freq[i], computed in float32 as transformers does.
  at::Tensor inv = inv_freq.to(positions.device());
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv.view({1, 1, -1});
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

bool rope_fused(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
#if SOCRATES_MODEL_CUDA
  const auto t = x.scalar_type();
  return x.is_cuda() && x.dim() == 4 && x.size(3) % 2 == 0 && fused_kernel_dtype(t) &&
         cos.scalar_type() == t && sin.scalar_type() == t && cos.device() == x.device() && sin.device() == x.device() &&
         cos.sizes() == sin.sizes() && cos.strides() == sin.strides() && cos.dim() == 3 &&
         (cos.size(0) == 1 || cos.size(0) == x.size(0)) && cos.size(1) == x.size(2) && cos.size(2) == x.size(3) &&
         !cos.requires_grad() && !sin.requires_grad();
#else
  (void)x;
  (void)cos;
  (void)sin;
  return false;
#endif
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool allow_fused) {
  if (allow_fused && rope_fused(x, cos, sin)) return RopeFn::apply(x, cos, sin);
  const std::int64_t half = x.size(-1) / 2;
  at::Tensor x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
  at::Tensor rotated = at::cat({-x2, x1}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

}  // namespace socrates
