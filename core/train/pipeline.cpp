#include "train/pipeline.hpp"

#include <fstream>
#include <sstream>

#include "log/logging.hpp"
#include "run/components.hpp"
#include "socrates/sdk.hpp"

namespace fs = std::filesystem;

namespace socrates {

template <class Interface>
std::shared_ptr<Interface> make_component(const Experiment& exp, const std::string& slot, const fs::path& run_dir,
                                          bool required) {
  auto uses = exp.plugins_in(slot);
  if (uses.empty()) {
    if (!required) return nullptr;
    throw ConfigError(exp.source().file().string() + ": this command needs a [" + slot + "] section with a " +
                      Interface::kConcern + " plugin");
  }
  return uses.front()->library->create<Interface>(make_context(exp, *uses.front(), run_dir));
}

template std::shared_ptr<Dataset> make_component(const Experiment&, const std::string&, const fs::path&, bool);
template std::shared_ptr<PromptFormat> make_component(const Experiment&, const std::string&, const fs::path&, bool);
template std::shared_ptr<Adapter> make_component(const Experiment&, const std::string&, const fs::path&, bool);
template std::shared_ptr<Optimizer> make_component(const Experiment&, const std::string&, const fs::path&, bool);
template std::shared_ptr<Parallelism> make_component(const Experiment&, const std::string&, const fs::path&, bool);

std::unique_ptr<BpeTokenizer> load_tokenizer(const Experiment& exp) {
  const ConfigSection m = exp.section("model");
  fs::path tok = m.get<std::string>("tokenizer");
  if (tok.empty() && !m.get<std::string>("path").empty()) tok = fs::path(m.get<std::string>("path")) / "tokenizer.json";
  if (tok.empty()) {
    throw ConfigError(exp.source().file().string() +
                      ": set [model] tokenizer (a tokenizer.json) or [model] path (a folder that has one)");
  }
  return BpeTokenizer::from_file(tok);
}

std::unique_ptr<CausalLM> load_model(const Experiment& exp) {
  const ConfigSection m = exp.section("model");
  const std::string dt = m.get<std::string>("dtype");
  const c10::ScalarType dtype = dt == "float32" ? at::kFloat : dt == "float16" ? at::kHalf : at::kBFloat16;
  const c10::Device device(exp.section("run").get<std::string>("device"));
  const fs::path path = m.get<std::string>("path"), shape = m.get<std::string>("shape");
  if (!path.empty()) return CausalLM::load(path, device, dtype);
  if (shape.empty()) throw ConfigError(exp.source().file().string() + ": set [model] path or [model] shape");
  ModelConfig cfg;
  if (fs::is_directory(shape)) {
    cfg = ModelConfig::from_folder(shape);
  } else {
    std::ifstream in(shape);
    if (!in) throw ConfigError(m.origin("shape") + ": cannot read model shape " + shape.string());
    std::stringstream ss;
    ss << in.rdbuf();
    cfg = ModelConfig::from_json_text(ss.str(), shape.string());
  }
  host_logger()->info("model: random {} weights from shape {} ({:.1f}M parameters), seed {}", cfg.architecture,
                      shape.string(), cfg.num_parameters() / 1e6, exp.section("run").get<std::int64_t>("seed"));
  return CausalLM::random(cfg, device, dtype, static_cast<std::uint64_t>(exp.section("run").get<std::int64_t>("seed")));
}

DataPipeline DataPipeline::open(const Experiment& exp, const fs::path& run_dir) {
  DataPipeline p;
  p.dataset = make_component<Dataset>(exp, "dataset", run_dir);
  p.format = make_component<PromptFormat>(exp, "prompt", run_dir);
  p.tokenizer = load_tokenizer(exp);
  const ConfigSection d = exp.section("data");
  p.max_seq_len = d.get<std::int64_t>("max_seq_len");
  p.cache_dir = d.get<std::string>("cache_dir");
  p.dataset->prepare();
  return p;
}

TokenizedSet DataPipeline::tokenize(Partition part) const {
  return TokenizedSet::build(*dataset, part, *format, *tokenizer, max_seq_len, cache_dir, *host_logger());
}

}  // namespace socrates
