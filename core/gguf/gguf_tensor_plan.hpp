// Which GGUF tensor becomes which Hugging Face tensor, with its expected shape and whether
// its rows must be un-permuted; checked against the hyper-parameters before anything is
// read or written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_arch.hpp"
#include "gguf/gguf_config.hpp"
#include "gguf/gguf_file.hpp"

namespace socrates::gguf {

struct TensorPlan {
  const TensorInfo* source;
  std::string hf_name;
  std::vector<std::int64_t> shape;  // PyTorch order
  std::int64_t unpermute_heads = 0;  // > 0: unpermute_rotary(w, unpermute_heads)
};

/// One entry per GGUF tensor, in file order. Throws socrates::Error naming the file for a
/// tensor type that cannot be dequantised (all of them, counted by type), a tensor with no
/// Hugging Face counterpart, a layer index past block_count, a shape that disagrees with
/// the metadata, or a tensor the model needs that is missing.
std::vector<TensorPlan> plan_tensors(const GgufFile& file, const Architecture& arch, const HParams& hp);

}  // namespace socrates::gguf
