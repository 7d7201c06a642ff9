#include "model/random_init.hpp"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include "io/splitmix.hpp"

namespace socrates {

namespace {

constexpr std::int64_t kChunk = std::int64_t{1} << 22;

}  // namespace

at::Tensor parallel_normal(const std::vector<std::int64_t>& shape, double sd, std::uint64_t seed, std::uint64_t stream) {
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
  at::Tensor flat = t.view({-1});
  const std::int64_t n = flat.numel(), chunks = (n + kChunk - 1) / kChunk;
  const std::uint64_t base = splitmix64(splitmix64(seed) ^ stream);
  at::parallel_for(0, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(splitmix64(base ^ static_cast<std::uint64_t>(c)) >> 1);
      flat.narrow(0, c * kChunk, std::min(kChunk, n - c * kChunk)).normal_(0.0, sd, gen);
    }
  });
  return t;
}

}  // namespace socrates
