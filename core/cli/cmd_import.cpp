// socrates import gguf: a llama.cpp GGUF file → a Hugging Face model folder.
#include <iostream>

#include "cli/cli.hpp"
#include "gguf/gguf_import.hpp"
#include "log/logging.hpp"

namespace socrates::cli {

int cmd_import_gguf(const std::vector<std::string>& args) {
  std::string file, out, dtype;
  po::options_description opts("options");
  opts.add_options()("file", po::value<std::string>(&file), "GGUF model file (llama, qwen2)")(
      "out", po::value<std::string>(&out), "folder to write (must not exist or be empty)")(
      "dtype", po::value<std::string>(&dtype)->default_value("bfloat16"),
      "bfloat16|float32|float16: the dtype of model.safetensors (float32 keeps ggml's dequantised values exactly)")(
      "skip-tokenizer", "write no tokenizer.json/tokenizer_config.json (for a tokenizer the import cannot rebuild)");
  po::positional_options_description pos;
  pos.add("file", 1).add("out", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, "socrates import gguf FILE OUT_DIR [--dtype bfloat16|float32|float16] [--skip-tokenizer]"))
    return 0;
  if (file.empty() || out.empty())
    throw ConfigError("import gguf: give the GGUF file and the folder to write: socrates import gguf FILE OUT_DIR");
  gguf::ImportOptions o;
  if (dtype == "bfloat16") o.dtype = at::kBFloat16;
  else if (dtype == "float32") o.dtype = at::kFloat;
  else if (dtype == "float16") o.dtype = at::kHalf;
  else throw ConfigError("--dtype must be bfloat16, float32 or float16, got '" + dtype + "'");
  o.tokenizer = vm.count("skip-tokenizer") == 0;
  const gguf::ImportSummary s = gguf::import_gguf(file, out, o);
  std::string types;
  for (const auto& [t, n] : s.types) types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + t;
  host_logger()->info("import gguf: wrote {} in {:.2f} s: {} ({}{}), {} tensors ({}) as {}, {:.1f}M parameters{}{}",
                      out, s.seconds, s.architecture, s.name.empty() ? "unnamed" : s.name,
                      s.tied_embeddings ? ", tied embeddings" : "", s.tensors, types, dtype, s.parameters / 1e6,
                      o.tokenizer ? fmt::format(", tokenizer: {} tokens ({} added), pre-tokenizer {}", s.vocab,
                                                s.added_tokens, s.pre_tokenizer)
                                  : std::string(", no tokenizer"),
                      "");
  return 0;
}

}  // namespace socrates::cli
