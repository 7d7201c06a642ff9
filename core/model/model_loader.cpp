#include "model/model_loader.hpp"

#include <fstream>
#include <sstream>

#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

std::unique_ptr<CausalLM> load_model(const ModelSettings& m, const RunSettings& run) {
  if (!m.path.empty()) return CausalLM::load(m.path, run.device, m.dtype);
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
  return CausalLM::random(cfg, run.device, m.dtype, run.seed);
}

}  // namespace socrates
