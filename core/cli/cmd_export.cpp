// socrates export: a Hugging Face model folder, optionally with a LoRA adapter merged in.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "io/safetensors_writer.hpp"
#include "log/logging.hpp"
#include "model/causal_lm.hpp"
#include "model/adapter_io.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace socrates::cli {

namespace {

// Copied as they are when the model folder has them.
const char* const kSideFiles[] = {"generation_config.json", "tokenizer.json",  "tokenizer_config.json",
                                  "special_tokens_map.json", "added_tokens.json", "vocab.json",
                                  "merges.txt",              "tokenizer.model",  "chat_template.jinja",
                                  "chat_template.json"};

c10::ScalarType export_dtype(const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "bfloat16") return at::kBFloat16;
  if (s == "float16") return at::kHalf;
  throw ConfigError("--dtype must be float32, bfloat16 or float16, got '" + s + "'");
}

const char* dtype_name(c10::ScalarType t) {
  return t == at::kBFloat16 ? "bfloat16" : t == at::kHalf ? "float16" : "float32";
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// transformers' BitsAndBytesConfig for a 4-bit checkpoint (as save_pretrained writes it).
nlohmann::json quantization_config(const quant::QuantOptions& q, c10::ScalarType compute) {
  return {{"_load_in_4bit", true},
          {"_load_in_8bit", false},
          {"bnb_4bit_compute_dtype", dtype_name(compute)},
          {"bnb_4bit_quant_storage", "uint8"},
          {"bnb_4bit_quant_type", std::string(quant::to_string(q.quant_type))},
          {"bnb_4bit_use_double_quant", q.double_quant},
          {"llm_int8_enable_fp32_cpu_offload", false},
          {"llm_int8_has_fp16_weight", false},
          {"llm_int8_skip_modules", nullptr},
          {"llm_int8_threshold", 6.0},
          {"load_in_4bit", true},
          {"load_in_8bit", false},
          {"quant_method", "bitsandbytes"}};
}

/// config.json of the export: the output dtype, and quantization_config for a 4-bit export
/// (removed for a dense one).
std::string export_config(const std::string& text, c10::ScalarType model_dtype, c10::ScalarType out_dtype,
                          const std::optional<quant::QuantOptions>& quantize) {
  nlohmann::json c = nlohmann::json::parse(text);
  if (out_dtype == model_dtype && !quantize && !c.contains("quantization_config")) return text;
  bool set = false;
  for (const char* key : {"dtype", "torch_dtype"}) {
    if (c.contains(key)) c[key] = dtype_name(out_dtype), set = true;
  }
  if (!set) c["torch_dtype"] = dtype_name(out_dtype);
  if (quantize)
    c["quantization_config"] = quantization_config(*quantize, out_dtype);
  else
    c.erase("quantization_config");
  return c.dump(2) + "\n";
}

}  // namespace

int cmd_export(const std::vector<std::string>& args) {
  std::string model_dir, adapter_dir, out_dir, dtype, quantize_name;
  std::int64_t blocksize = 64;
  po::options_description opts("options");
  opts.add_options()("model", po::value<std::string>(&model_dir)->required(), "Hugging Face model folder")(
      "adapter", po::value<std::string>(&adapter_dir), "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors)")(
      "merge", "fold the adapter into the base weights (required with --adapter)")(
      "out", po::value<std::string>(&out_dir)->required(), "new folder to write (must not exist or be empty)")(
      "dtype", po::value<std::string>(&dtype)->default_value(""), "float32|bfloat16|float16 (default: the model's)")(
      "quantize", po::value<std::string>(&quantize_name), "nf4|fp4: save the decoder's linear weights in "
                                                          "bitsandbytes 4-bit format (transformers loads it)")(
      "quant-blocksize", po::value<std::int64_t>(&blocksize)->default_value(64), "values per absmax block (4-bit)")(
      "no-double-quant", "keep the absmax values in float32 (4-bit)");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm,
             "socrates export --model DIR [--adapter DIR --merge] --out DIR [--dtype float32|bfloat16|float16]\n"
             "                [--quantize nf4|fp4 [--quant-blocksize N] [--no-double-quant]]")) {
    return 0;
  }
  const bool merge = vm.count("merge") > 0;
  if (!adapter_dir.empty() && !merge) {
    throw ConfigError("export: --adapter needs --merge (to keep the adapter separate, use its folder as it is)");
  }
  if (merge && adapter_dir.empty()) throw ConfigError("export: --merge needs --adapter DIR");
  const fs::path src(model_dir), out(out_dir);
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out))) {
    throw ConfigError("export: --out " + out.string() + " exists and is not an empty folder; choose a new one");
  }

  std::optional<quant::QuantOptions> quantize;
  if (!quantize_name.empty()) {
    quantize = quant::QuantOptions{};
    quantize->quant_type = quant::parse_quant_type(quantize_name, "--quantize");
    if (!quant::is_supported_blocksize(blocksize))
      throw ConfigError("export: --quant-blocksize must be 64, 128, 256, 512, 1024, 2048 or 4096, got " +
                        std::to_string(blocksize));
    quantize->blocksize = blocksize;
    quantize->double_quant = !vm.count("no-double-quant");
  } else if (vm.count("no-double-quant") || !vm["quant-blocksize"].defaulted()) {
    throw ConfigError("export: --quant-blocksize and --no-double-quant need --quantize nf4|fp4");
  }

  // Merge in float32 (one rounding to the output dtype), on the CPU. 4-bit weights stay
  // 4-bit until an adapter merges into them or a dense export dequantises them.
  auto model = CausalLM::load(src, c10::kCPU, at::kFloat);
  const c10::ScalarType out_dtype = dtype.empty() ? model->config().dtype : export_dtype(dtype);
  if (!adapter_dir.empty()) {
    std::shared_ptr<Adapter> adapter = attach_peft_adapter(default_registry(), *model, adapter_dir);
    adapter->merge();  // removes its deltas: the model no longer needs the adapter
  }

  fs::create_directories(out);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  tensors = model->export_tensors(out_dtype, quantize);
  save_safetensors(out / "model.safetensors", tensors, {{"format", "pt"}});
  write_file_atomic(out / "config.json",
                    export_config(read_text(src / "config.json"), model->config().dtype, out_dtype, quantize));
  std::vector<std::string> copied;
  for (const char* name : kSideFiles) {
    if (fs::is_regular_file(src / name)) {
      fs::copy_file(src / name, out / name, fs::copy_options::overwrite_existing);
      copied.emplace_back(name);
    }
  }
  std::string list;
  for (const auto& n : copied) list += ", " + n;
  host_logger()->info("export: wrote {} ({} tensors, {}{}{}): model.safetensors, config.json{}", out.string(),
                      tensors.size(), dtype_name(out_dtype),
                      quantize ? ", linear weights " + std::string(quant::to_string(quantize->quant_type)) : "",
                      adapter_dir.empty() ? "" : ", adapter merged", list);
  return 0;
}

}  // namespace socrates::cli
