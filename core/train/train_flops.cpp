#include "train/train_flops.hpp"

#include <algorithm>

#include "config/settings.hpp"
#include "model/model_config.hpp"

namespace socrates {

double recompute_share(const TrainingSettings& t, std::int64_t layers) {
  if (!t.gradient_checkpointing || layers <= 0) return 0.0;
  if (t.checkpoint_layers < 0) return 1.0;
  return static_cast<double>(std::min(t.checkpoint_layers, layers)) / static_cast<double>(layers);
}

TrainFlops train_flops_per_token(const ModelConfig& c, double mean_length, double labelled_share,
                                 std::int64_t trainable_params, double recompute_share) {
  const double q = static_cast<double>(c.num_heads * c.head_dim), h = static_cast<double>(c.hidden_size),
               layers = static_cast<double>(c.num_layers);
  const double weights = layers * c.linear_weights_per_layer();
  const double linear = 2.0 * weights;                      // forward, 2 FLOPs per multiply-add
  const double attention = 4.0 * layers * q * (mean_length / 2.0);  // QK^T and AV over half the keys on average
  const double head = 2.0 * h * static_cast<double>(c.vocab_size) * labelled_share;
  const double lora = 2.0 * static_cast<double>(trainable_params);
  TrainFlops f;
  f.model = 2.0 * linear + 3.0 * attention + 3.0 * lora + 2.0 * head;
  f.hardware = f.model + recompute_share * (linear + attention + lora);
  return f;
}

}  // namespace socrates
