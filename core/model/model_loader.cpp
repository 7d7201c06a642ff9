#include "model/model_loader.hpp"

#include <fstream>
#include <sstream>

#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

void describe_quantisation(const ModelSettings& m, const RunSettings& run) {
  if (!m.quantize) return;
  const quant::QuantOptions& q = *m.quantize;
  host_logger()->info("model: decoder linear weights quantised on load to {} (blocksize {}{}), compute dtype {}",
                      quant::to_string(q.quant_type), q.blocksize, q.double_quant ? ", double quantisation" : "",
                      c10::toString(m.dtype));
  if (!run.device.is_cuda())
    host_logger()->warn("model: 4-bit weights on {} use the CPU reference kernels, which are slow; QLoRA is meant for "
                        "CUDA ([run] device = \"cuda\")", run.device.str());
}

std::unique_ptr<CausalLM> load_or_init(const ModelSettings& m, const RunSettings& run) {
  if (!m.path.empty()) return CausalLM::load(m.path, run.device, m.dtype, m.quantize);
  if (m.shape.empty())
    throw ConfigError((m.origin.empty() ? std::string("[model]") : m.origin) + ": set [model] path or [model] shape");
  ModelConfig cfg;
  if (fs::is_directory(m.shape)) {
    cfg = ModelConfig::from_folder(m.shape);
  } else {
    std::ifstream in(m.shape);
    if (!in) throw ConfigError(m.origin + ": cannot read model shape " + m.shape.string());
    std::stringstream ss;
    ss << in.rdbuf();
    cfg = ModelConfig::from_json_text(ss.str(), m.shape.string());
  }
  host_logger()->info("model: random {} weights from shape {} ({:.1f}M parameters), seed {}", cfg.architecture,
                      m.shape.string(), cfg.num_parameters() / 1e6, run.seed);
  return CausalLM::random(cfg, run.device, m.dtype, run.seed, m.quantize);
}

}  // namespace

std::unique_ptr<CausalLM> load_model(const ModelSettings& m, const RunSettings& run) {
  describe_quantisation(m, run);
  std::unique_ptr<CausalLM> model = load_or_init(m, run);
  if (run.device.is_cuda()) use_cudnn_attention(m.cudnn_attention);
  model->set_fused_kernels(m.fused_kernels);
  return model;
}

}  // namespace socrates
