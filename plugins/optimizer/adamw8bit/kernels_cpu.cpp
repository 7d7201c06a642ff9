// CPU path: the bitsandbytes kernels' arithmetic, block by block. bitsandbytes builds its
// CUDA code with --use_fast_math (approximate powf, division and sqrt); here every float op is
// correctly rounded, with the fused multiply-adds nvcc forms, so results agree closely but not
// bit for bit (see the README).
#include <algorithm>
#include <cfloat>
#include <cmath>

#include <ATen/Parallel.h>
#include <ATen/ops/add.h>
#include <ATen/ops/div.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/mul.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "kernels.hpp"

namespace adamw8bit {

namespace {

std::vector<float> make_map(bool signed_map) {
  // create_dynamic_map(signed, max_exponent_bits=7, total_bits=8), with the same ATen ops.
  std::vector<double> data;
  for (int i = 0; i < 7; ++i) {
    const std::int64_t items = signed_map ? (std::int64_t{1} << i) + 1 : (std::int64_t{1} << (i + 1)) + 1;
    const at::Tensor b = at::linspace(0.1, 1, items, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor means = at::div(at::add(b.slice(0, 0, items - 1), b.slice(0, 1, items)), 2.0);
    const double scale = std::pow(10.0, -6 + i);
    for (const at::Tensor& t : {at::mul(means, scale), signed_map ? at::mul(means, -scale) : at::Tensor()}) {
      if (!t.defined()) continue;
      const float* p = t.data_ptr<float>();
      for (std::int64_t k = 0; k < t.numel(); ++k) data.push_back(p[k]);
    }
  }
  data.push_back(0.0);
  data.push_back(1.0);
  while (data.size() < 256) data.push_back(0.0);
  std::sort(data.begin(), data.end());
  return std::vector<float>(data.begin(), data.end());
}

// quantize_2D<SIGNED>: binary search in the sorted map, then the nearer neighbour.
std::uint8_t quantize_2d(const float* code, float x, bool is_signed) {
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = is_signed ? -1.0f : 0.0f, upper = 1.0f;
  float val = code[pivot];
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot];
  }
  if (x > val) return static_cast<std::uint8_t>(x > (upper + val) * 0.5f ? upper_pivot : pivot);
  return static_cast<std::uint8_t>(x < (lower + val) * 0.5f ? lower_pivot : pivot);
}

bool finite(float g) { return !std::isnan(g) && !std::isinf(g); }

struct Corrections {
  float correction1, correction2, step_size, decay;
};
Corrections corrections(const Hyper& h, std::int64_t step) {
  Corrections c;
  c.correction1 = 1.0f - std::pow(h.beta1, static_cast<float>(step));
  c.correction2 = std::sqrt(1.0f - std::pow(h.beta2, static_cast<float>(step)));
  c.step_size = -h.lr * c.correction2 / c.correction1;
  c.decay = std::fma(-h.lr, h.weight_decay, 1.0f);
  return c;
}

template <class T>
void step_8bit(T* p, const T* g, std::uint8_t* c1, std::uint8_t* c2, float* absmax1, float* absmax2, std::int64_t n,
               const Hyper& h, std::int64_t step) {
  const Corrections k = corrections(h, step);
  const float* q1 = dynamic_map(true).data();
  const float* q2 = dynamic_map(false).data();
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  at::parallel_for(0, blocks, 8, [&](std::int64_t b0, std::int64_t b1) {
    float s1[kBlock], s2[kBlock];
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t start = b * kBlock, valid = std::min(kBlock, n - start);
      float max1 = -FLT_MAX, max2 = -FLT_MAX;
      // Past the end the kernel loads g = 0, state1 = 128, state2 = 0; they count in the max.
      for (std::int64_t j = 0; j < kBlock; ++j) {
        const bool in = j < valid;
        const float gv = in ? static_cast<float>(g[start + j]) : 0.0f;
        if (finite(gv)) {
          s2[j] = q2[in ? c2[start + j] : 0] * absmax2[b];
          s2[j] = std::fma(s2[j], h.beta2, ((1.0f - h.beta2) * gv) * gv);
          s1[j] = q1[in ? c1[start + j] : 128] * absmax1[b];
          s1[j] = std::fma(s1[j], h.beta1, (1.0f - h.beta1) * gv);
        } else {  // a NaN/Inf gradient zeroes this element's moments and skips its update
          s1[j] = 0.0f;
          s2[j] = 0.0f;
        }
        // fmaxf per thread (NaN ignored), then cub's Max (a < b ? b : a) across the block.
        max1 = std::max(max1, std::fmax(-FLT_MAX, std::fabs(s1[j])));
        max2 = std::max(max2, std::fmax(-FLT_MAX, std::fabs(s2[j])));
      }
      absmax1[b] = max1;
      absmax2[b] = max2;
      for (std::int64_t j = 0; j < valid; ++j) {
        const std::int64_t i = start + j;
        if (finite(static_cast<float>(g[i]))) {
          const float denom = std::fma(k.correction2, h.eps, std::sqrt(s2[j]));
          p[i] = static_cast<T>(std::fma(k.step_size, s1[j] / denom, static_cast<float>(p[i])));
          if (h.weight_decay > 0.0f) p[i] = static_cast<T>(static_cast<float>(p[i]) * k.decay);
        }
        std::uint8_t a = quantize_2d(q1, s1[j] / max1, true);
        const std::uint8_t v = quantize_2d(q2, s2[j] / max2, false);
        // Keep the sign of the first moment through quantisation.
        if (std::signbit(q1[a]) != std::signbit(s1[j])) a = static_cast<std::uint8_t>(s1[j] > 0.0f ? a + 1 : a - 1);
        c1[i] = a;
        c2[i] = v;
      }
    }
  });
}

template <class T>
void step_32bit(T* p, const T* g, float* s1, float* s2, std::int64_t n, const Hyper& h, std::int64_t step) {
  const Corrections k = corrections(h, step);
  at::parallel_for(0, n, 4096, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const float gv = static_cast<float>(g[i]);
      if (!finite(gv)) {  // as in the 8-bit path (bitsandbytes' 32-bit kernel would store NaN)
        s1[i] = 0.0f;
        s2[i] = 0.0f;
        continue;
      }
      s1[i] = std::fma(s1[i], h.beta1, (1.0f - h.beta1) * gv);
      s2[i] = std::fma(s2[i], h.beta2, (1.0f - h.beta2) * (gv * gv));
      const float denom = std::fma(h.eps, k.correction2, std::sqrt(s2[i]));
      p[i] = static_cast<T>(std::fma(k.step_size, s1[i] / denom, static_cast<float>(p[i])));
      if (h.weight_decay > 0.0f) p[i] = static_cast<T>(static_cast<float>(p[i]) * k.decay);
    }
  });
}

template <class F>
void by_dtype(const at::Tensor& p, F&& f) {
  switch (p.scalar_type()) {
    case at::kFloat: f(static_cast<float*>(nullptr)); break;
    case at::kBFloat16: f(static_cast<c10::BFloat16*>(nullptr)); break;
    case at::kHalf: f(static_cast<c10::Half*>(nullptr)); break;
    default: throw std::invalid_argument("adamw8bit: unsupported parameter dtype");
  }
}

}  // namespace

const std::vector<float>& dynamic_map(bool signed_map) {
  static const std::vector<float> s = make_map(true), u = make_map(false);
  return signed_map ? s : u;
}

void cpu_step(ParamState& s, const Hyper& h) {
  by_dtype(s.param, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = s.param.data_ptr<T>();
    const T* g = s.grad.data_ptr<T>();
    if (s.absmax1.defined()) {
      step_8bit(p, g, s.state1.data_ptr<std::uint8_t>(), s.state2.data_ptr<std::uint8_t>(), s.absmax1.data_ptr<float>(),
                s.absmax2.data_ptr<float>(), s.param.numel(), h, s.step);
    } else {
      step_32bit(p, g, s.state1.data_ptr<float>(), s.state2.data_ptr<float>(), s.param.numel(), h, s.step);
    }
  });
}

}  // namespace adamw8bit
