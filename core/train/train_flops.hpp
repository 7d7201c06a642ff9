// FLOPs per trained token, for the utilisation figures of the progress lines and the run
// summary (docs/benchmarks.md, "Utilisation"). Two numbers from one formula:
//   model FLOPs    = 2·L (forward through the frozen linear weights) + 2·L (their backward to the
//                    activations; frozen weights get no gradient) + 3·A (causal attention forward,
//                    and its backward at twice that) + 6·P (trainable parameters: forward, backward,
//                    weight gradient) + 4·H·f (the LM head, on the share f of labelled tokens only)
//   hardware FLOPs = model FLOPs + s·(L + A + 2·P), s the share of decoder layers whose forward runs
//                    again in the backward (gradient checkpointing: 1, or checkpoint_layers / layers)
// with L = 2 · (decoder linear weights), A = 4 · layers · heads · head_dim · (mean length / 2),
// H = hidden · vocab, all per token. MFU and HFU divide them, times tokens/s, by the device's
// dense bf16 peak.
#pragma once

#include <cstdint>

namespace socrates {

struct ModelConfig;
struct TrainingSettings;

struct TrainFlops {
  double model = 0;     // per token
  double hardware = 0;  // per token, recomputation included
};

/// The share of decoder layers recomputed in backward under these settings (0 to 1).
double recompute_share(const TrainingSettings& t, std::int64_t layers);

TrainFlops train_flops_per_token(const ModelConfig& c, double mean_length, double labelled_share,
                                 std::int64_t trainable_params, double recompute_share);

}  // namespace socrates
