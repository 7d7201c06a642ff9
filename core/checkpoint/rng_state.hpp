// The random generators' states as uint8 tensors, so a resumed run draws the same dropout
// masks as one that was never interrupted.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "socrates/tensor.hpp"

namespace socrates {

/// The default CPU generator ("cpu") and, when `device` is CUDA, that device's default
/// generator ("cuda:N").
StateDict capture_rng_state(c10::Device device);

/// Sets the generators from capture_rng_state()'s output. `file` names the source in
/// errors. Returns warnings (a CUDA state saved but now running on the CPU, ...).
std::vector<std::string> restore_rng_state(const StateDict& state, c10::Device device, const std::filesystem::path& file);

}  // namespace socrates
