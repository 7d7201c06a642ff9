// The model an experiment names: a Hugging Face folder, or random weights from a shape.
#pragma once

#include <memory>

#include "config/settings.hpp"
#include "model/causal_lm.hpp"

namespace socrates {

/// The model of [model]: loaded from `path`, or random from `shape` (seeded by [run] seed,
/// so it is rebuilt exactly), on [run] device in [model] dtype.
std::unique_ptr<CausalLM> load_model(const ModelSettings& model, const RunSettings& run);

}  // namespace socrates
