// socrates generate: text from a Hugging Face model folder.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "generate/generation.hpp"
#include "log/logging.hpp"
#include "model/causal_lm.hpp"
#include "model/adapter_io.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace fs = std::filesystem;

namespace socrates::cli {

namespace {
std::vector<std::int64_t> parse_ids(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream ss(text);
  for (std::string tok; std::getline(ss, tok, ',');) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoll(tok, &used));
      if (used != tok.size()) throw std::invalid_argument(tok);
    } catch (const std::exception&) {
      throw ConfigError("--prompt-ids: '" + tok + "' is not an integer (expected e.g. 1,2,3)");
    }
  }
  if (out.empty()) throw ConfigError("--prompt-ids: no ids given (expected e.g. 1,2,3)");
  return out;
}

c10::ScalarType parse_dtype(const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "bfloat16") return at::kBFloat16;
  if (s == "float16") return at::kHalf;
  throw ConfigError("--dtype must be float32, bfloat16 or float16, got '" + s + "'");
}

// The sampling flags, before anything is loaded.
void check_sampling_flags(const SamplingParams& p) {
  if (p.max_new_tokens < 0)
    throw ConfigError("--max-new-tokens must be >= 0, got " + std::to_string(p.max_new_tokens));
  if (!(std::isfinite(p.temperature) && p.temperature >= 0))
    throw ConfigError("--temperature must be a finite number >= 0 (0 = greedy), got " + std::to_string(p.temperature));
  if (!(p.top_p > 0 && p.top_p <= 1)) throw ConfigError("--top-p must be in (0, 1], got " + std::to_string(p.top_p));
  if (p.top_k < 0) throw ConfigError("--top-k must be >= 0 (0 = no limit), got " + std::to_string(p.top_k));
}

// Prompt plus new tokens must fit the model's context (max_position_embeddings), so that an
// absurd --max-new-tokens is an error, not hours of work or a huge KV cache.
void check_context(const ModelConfig& c, std::size_t prompt_len, std::int64_t max_new_tokens) {
  const auto n = static_cast<std::int64_t>(prompt_len);
  if (c.max_position_embeddings > 0 && max_new_tokens > c.max_position_embeddings - n)
    throw ConfigError("--max-new-tokens " + std::to_string(max_new_tokens) + " with a " + std::to_string(n) +
                      "-token prompt exceeds the model's context of " + std::to_string(c.max_position_embeddings) +
                      " tokens (max_position_embeddings); use at most " +
                      std::to_string(std::max<std::int64_t>(0, c.max_position_embeddings - n)));
}
}  // namespace

int cmd_generate(const std::vector<std::string>& args) {
  std::string model_dir, adapter_dir, prompt, prompt_ids, device, dtype;
  SamplingParams p;
  po::options_description opts("options");
  opts.add_options()("model", po::value<std::string>(&model_dir)->required(), "Hugging Face model folder")(
      "adapter", po::value<std::string>(&adapter_dir), "PEFT LoRA adapter folder to apply (through the lora plugin)")(
      "prompt", po::value<std::string>(&prompt), "prompt text (tokenized with the folder's tokenizer.json)")(
      "prompt-ids", po::value<std::string>(&prompt_ids), "prompt as token ids: 1,2,3")(
      "max-new-tokens", po::value<std::int64_t>(&p.max_new_tokens)->default_value(64), "tokens to generate at most")(
      "temperature", po::value<double>(&p.temperature)->default_value(0.0), "0 = greedy")(
      "top-p", po::value<double>(&p.top_p)->default_value(1.0), "nucleus sampling")(
      "top-k", po::value<std::int64_t>(&p.top_k)->default_value(0), "0 = no limit")(
      "seed", po::value<std::uint64_t>(&p.seed)->default_value(0), "sampling seed")(
      "device", po::value<std::string>(&device)->default_value("cpu"), "cpu, cuda or cuda:N")(
      "dtype", po::value<std::string>(&dtype)->default_value(""), "float32|bfloat16|float16 (default: the checkpoint's on GPU, float32 on CPU)")(
      "ids", "also print the generated token ids");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm,
             "socrates generate --model DIR [--adapter DIR] (--prompt T | --prompt-ids 1,2,3) [--max-new-tokens N --temperature "
             "--top-p --top-k --seed --device --dtype --ids]")) {
    return 0;
  }
  if (prompt.empty() == prompt_ids.empty()) throw ConfigError("generate: give exactly one of --prompt or --prompt-ids");
  check_sampling_flags(p);
  const fs::path dir(model_dir);
  std::unique_ptr<BpeTokenizer> tok;
  if (fs::exists(dir / "tokenizer.json")) {
    tok = BpeTokenizer::from_file(dir / "tokenizer.json");
  } else if (!prompt.empty()) {
    throw Error(model_dir + ": no tokenizer.json, so --prompt cannot be tokenized; use --prompt-ids");
  }
  std::vector<std::int64_t> ids;
  if (!prompt.empty()) {
    for (std::int32_t t : tok->encode(prompt)) ids.push_back(t);
  } else {
    ids = parse_ids(prompt_ids);
  }
  const c10::Device dev(device);
  std::optional<c10::ScalarType> dt;
  if (!dtype.empty()) dt = parse_dtype(dtype);
  else if (dev.is_cpu()) dt = at::kFloat;
  std::shared_ptr<Adapter> adapter;  // declared before the model, which holds its deltas
  auto model = CausalLM::load(dir, dev, dt);
  if (!adapter_dir.empty()) adapter = attach_peft_adapter(default_registry(), *model, adapter_dir);
  for (std::int64_t id : ids) {
    if (id < 0 || id >= model->config().vocab_size) {
      throw ConfigError("prompt token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                        std::to_string(model->config().vocab_size) + ")");
    }
  }
  check_context(model->config(), ids.size(), p.max_new_tokens);
  p.stop_ids = model->config().eos_token_ids;
  Generation g = generate(*model, {ids}, p);
  const auto& out = g.tokens[0];
  if (tok) {
    std::vector<std::int32_t> o(out.begin(), out.end());
    std::cout << tok->decode(o, /*skip_special=*/true) << "\n";
  }
  if (vm.count("ids") || !tok) {
    for (std::size_t i = 0; i < out.size(); ++i) std::cout << (i ? "," : "") << out[i];
    std::cout << "\n";
  }
  return 0;
}

}  // namespace socrates::cli
