// The lora plugin's descriptor.
#include "lora_adapter.hpp"
#include "options.hpp"

SOCRATES_PLUGIN(socrates::Adapter, lora::LoraAdapter, "lora", "1.0.0",
                "LoRA adapters, numerically and on disk the same as PEFT 0.21 (load, train, save, merge)",
                lora::kOptions);
