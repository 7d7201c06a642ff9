// The lora plugin's option table and the validated options it describes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

#include "socrates/config.hpp"
#include "socrates/plugin.hpp"

namespace lora {

/// Every option; README.md lists them with the same defaults.
inline constexpr socrates_option kOptions[] = {
    {"r", SOCRATES_INT, "16", "Rank of the update B A (a positive integer)", nullptr},
    {"alpha", SOCRATES_FLOAT, "32",
     "Scale numerator (PEFT lora_alpha): the update is multiplied by alpha/r, or alpha/sqrt(r) with rslora", nullptr},
    {"dropout", SOCRATES_FLOAT, "0.05", "Dropout on the adapter's input, in [0, 1); applied in training mode only",
     nullptr},
    {"target_modules", SOCRATES_STRING_LIST,
     "[\"q_proj\", \"k_proj\", \"v_proj\", \"o_proj\", \"gate_proj\", \"up_proj\", \"down_proj\"]",
     "Linear layers to adapt, matched like PEFT (a name equals the layer's name or its last components); "
     "[\"all-linear\"] adapts every linear layer",
     nullptr},
    {"target_regex", SOCRATES_STRING, "\"\"",
     "When set, replaces target_modules: an ECMAScript regex that must match the whole layer name "
     "(layers.0.self_attn.q_proj, or model.layers.0.self_attn.q_proj as in PEFT)",
     nullptr},
    {"rslora", SOCRATES_BOOL, "false", "Rank-stabilised LoRA: scale by alpha/sqrt(r) instead of alpha/r", nullptr},
    {"dtype", SOCRATES_STRING, "\"float32\"",
     "dtype of the LoRA parameters; inputs are cast to it and the update cast back to the layer's dtype.",
     "float32|bfloat16"},
    {"compute", SOCRATES_STRING, "\"adapter\"",
     "Where the update is computed: \"adapter\" casts the input to the adapter's dtype (PEFT); \"input\" casts "
     "A and B to the input's dtype (bf16 tensor cores for a bf16 model, as under autocast; the parameters, "
     "gradients and optimizer state keep the adapter's dtype)",
     "adapter|input"},
    {"dropout_mask", SOCRATES_STRING, "\"redraw\"",
     "What dropout keeps for backward on CUDA: \"redraw\" keeps nothing and draws the mask again from its "
     "Philox seed and offset; \"keep\" keeps ATen's 1-byte mask (native_dropout). The CPU always keeps the mask",
     "redraw|keep"},
    {"fused_dropout", SOCRATES_BOOL, "false",
     "CUDA with dropout_mask = \"redraw\" and a bfloat16/float16 compute dtype: the dropout runs inside the "
     "tensor-core kernels of the A product and its gradients, so no dropped copy of the input or of its "
     "gradient is written; false: a dropout kernel, then cuBLAS. Both draw the same mask. Off until its GPU "
     "tests have run on a GPU",
     nullptr},
    {"base_model", SOCRATES_STRING, "\"\"",
     "Written to adapter_config.json as base_model_name_or_path (empty: null)", nullptr},
};

/// The shorthand that selects every linear layer (as in PEFT).
inline constexpr const char* kAllLinear = "all-linear";

/// The options, read from the validated section and range-checked.
struct LoraOptions {
  std::int64_t r = 16;
  double alpha = 32;
  double dropout = 0.05;
  std::vector<std::string> target_modules;
  std::string target_regex;
  bool rslora = false;
  c10::ScalarType dtype = c10::kFloat;
  bool compute_in_input_dtype = false;  // compute = "input"
  bool redraw_dropout_mask = true;      // dropout_mask = "redraw"
  bool fused_dropout = false;
  std::string base_model;

  /// Throws ConfigError (through cfg.error) for r <= 0, dropout outside [0, 1), a
  /// non-finite alpha, no targets, "all-linear" mixed with names, or a bad regex.
  static LoraOptions from(const socrates::ConfigSection& cfg);

  /// alpha / r, or alpha / sqrt(r) with rslora (PEFT's scaling).
  double scaling() const;
};

}  // namespace lora
