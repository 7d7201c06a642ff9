// bitsandbytes.functional.create_dynamic_map, computed with the same ATen ops (CPU, float32)
// so the 256 values are identical.
#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ops/add.h>
#include <ATen/ops/div.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/slice.h>

#include "quant/nf4.hpp"

namespace socrates::quant {

namespace {
// max_exponent_bits = 7, total_bits = 8.
std::vector<float> make_dynamic_map(bool signed_map) {
  constexpr int kExpBits = 7, kNonSign = 7;
  std::vector<double> data;
  auto add_means = [&](std::int64_t items, double scale) {
    const at::Tensor b = at::linspace(0.1, 1, items, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor means = at::div(at::add(b.slice(0, 0, items - 1), b.slice(0, 1, items)), 2.0);
    const at::Tensor pos = at::mul(means, scale);
    const float* p = pos.data_ptr<float>();
    for (std::int64_t i = 0; i < pos.numel(); ++i) data.push_back(p[i]);
    if (signed_map) {
      const at::Tensor neg = at::mul(means, -scale);
      const float* q = neg.data_ptr<float>();
      for (std::int64_t i = 0; i < neg.numel(); ++i) data.push_back(q[i]);
    }
  };
  for (int i = 0; i < kExpBits; ++i) {
    const std::int64_t items = signed_map ? (std::int64_t{1} << (i + kNonSign - kExpBits)) + 1
                                          : (std::int64_t{1} << (i + kNonSign - kExpBits + 1)) + 1;
    // Python: 10 ** (-(max_exponent_bits - 1) + i), a float for negative exponents.
    add_means(items, std::pow(10.0, -(kExpBits - 1) + i));
  }
  // additional_items = 2 ** (7 - 7) - 1 = 0: nothing more.
  data.push_back(0.0);
  data.push_back(1.0);
  while (data.size() < 256) data.push_back(0.0);
  std::sort(data.begin(), data.end());
  return std::vector<float>(data.begin(), data.end());
}
}  // namespace

at::Tensor dynamic_map(bool signed_map) {
  static const std::vector<float> s = make_dynamic_map(true), u = make_dynamic_map(false);
  const std::vector<float>& v = signed_map ? s : u;
  return at::from_blob(const_cast<float*>(v.data()), {256}, at::TensorOptions().dtype(at::kFloat)).clone();
}

}  // namespace socrates::quant
