// The narrow LibTorch include the SDK uses, plus named-tensor containers.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace socrates {

/// A tensor with its stable name (PEFT key, optimizer state key, ...).
using NamedTensor = std::pair<std::string, at::Tensor>;

/// Serializable state: tensors plus string metadata (saved as safetensors by the host).
struct StateDict {
  std::map<std::string, at::Tensor> tensors;
  std::map<std::string, std::string> meta;
};

}  // namespace socrates
