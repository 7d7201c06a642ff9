// Normal draws for random models, in parallel and reproducible: a tensor is drawn in chunks of
// 4 Mi values, each chunk from its own CPU generator seeded by (seed, stream, chunk), so the
// values depend on neither the number of threads nor the device the model goes to.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace socrates {

/// A float32 CPU tensor of `shape` with N(0, sd²) values; `stream` tells the tensors of one
/// seed apart (the model numbers its tensors in build order).
at::Tensor parallel_normal(const std::vector<std::int64_t>& shape, double sd, std::uint64_t seed, std::uint64_t stream);

}  // namespace socrates
