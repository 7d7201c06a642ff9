// Times one training step (forward + backward) of a randomly initialised decoder from a
// config.json shape, with every base weight trainable (no adapter). Prints one JSON line.
//   bench_model --config configs/models/qwen2.5-0.5b/config.json --batch 16 --seq 256
//               [--checkpointing] [--steps 10] [--warmup 3] [--device cuda] [--dtype bf16]
#include <chrono>
#include <fstream>
#include <sstream>
#include <iostream>

#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>

#include "model/causal_lm.hpp"
#include "model/loss.hpp"

using namespace socrates;

int main(int argc, char** argv) {
  std::string config, device = "cuda", dtype = "bf16";
  std::int64_t batch = 16, seq = 256, steps = 10, warmup = 3;
  bool ckpt = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(argv[++i]); };
    if (a == "--config") config = next();
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--seq") seq = std::stoll(next());
    else if (a == "--steps") steps = std::stoll(next());
    else if (a == "--warmup") warmup = std::stoll(next());
    else if (a == "--device") device = next();
    else if (a == "--dtype") dtype = next();
    else if (a == "--checkpointing") ckpt = true;
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  const std::string cfg_text = [&] {
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  ModelConfig cfg = ModelConfig::from_json_text(cfg_text, config);
  const c10::Device dev(device);
  const auto dt = dtype == "bf16" ? at::kBFloat16 : at::kFloat;
  auto model = CausalLM::random(cfg, dev, dt, 0);
  model->set_base_requires_grad(true);
  model->set_gradient_checkpointing(ckpt);
  auto params = model->base_parameters();
  at::Tensor ids = at::randint(cfg.vocab_size, {batch, seq}, at::TensorOptions().dtype(at::kLong).device(dev));
  auto sync = [&] {
    if (dev.is_cuda()) torch::cuda::synchronize();
  };
  auto step = [&] {
    for (auto& [n, p] : params) p.mutable_grad() = at::Tensor();
    LossSum l = causal_lm_loss(*model, model->forward(ids), ids);
    (l.sum / static_cast<double>(l.tokens)).backward();
  };
  for (std::int64_t i = 0; i < warmup; ++i) step();
  sync();
  if (dev.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(dev.index() < 0 ? 0 : dev.index());
  auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step();
  sync();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double peak_gib = 0;
  if (dev.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.index() < 0 ? 0 : dev.index());
    peak_gib = static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 30);
  }
  const double tokens = static_cast<double>(batch * seq * steps);
  const double tps = tokens / secs;
  // Model FLOPs: forward + backward = 3x forward (recomputation not counted).
  const double flops = 3.0 * cfg.flops_per_token(seq) * tps;
  std::cout << "{\"impl\": \"socrates\", \"config\": \"" << config << "\", \"batch\": " << batch << ", \"seq\": " << seq
            << ", \"checkpointing\": " << (ckpt ? "true" : "false") << ", \"tokens_per_s\": " << tps
            << ", \"peak_gib\": " << peak_gib << ", \"tflops\": " << flops / 1e12
            << ", \"params\": " << cfg.num_parameters() << "}" << std::endl;
  return 0;
}
