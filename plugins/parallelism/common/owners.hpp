// Which rank owns which trainable tensor: balanced by size, the same on every rank. ZeRO-2
// keeps gradients and optimizer state only for owned tensors; DDP uses the same split to
// compute the global gradient norm with one scalar all-reduce, so both plugins sum the
// squares in the same order and train bit for bit alike.
#pragma once

#include <cstdint>
#include <vector>

#include "socrates/tensor.hpp"

namespace socrates::dist {

/// owner[i] is the rank that owns params[i]: largest tensors first, each to the rank with the
/// fewest elements so far (the lowest rank on ties). Deterministic; no communication.
std::vector<int> assign_owners(const std::vector<NamedTensor>& params, int world);

/// Consecutive index ranges [first, last) of `params` whose float32 sizes add up to at most
/// `bucket_bytes` (a tensor larger than that gets a bucket of its own).
std::vector<std::pair<std::size_t, std::size_t>> make_buckets(const std::vector<NamedTensor>& params,
                                                              std::int64_t bucket_bytes);

}  // namespace socrates::dist
