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

}  // namespace

int cmd_export(const std::vector<std::string>& args) {
  std::string model_dir, adapter_dir, out_dir, dtype;
  po::options_description opts("options");
  opts.add_options()("model", po::value<std::string>(&model_dir)->required(), "Hugging Face model folder")(
      "adapter", po::value<std::string>(&adapter_dir), "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors)")(
      "merge", "fold the adapter into the base weights (required with --adapter)")(
      "out", po::value<std::string>(&out_dir)->required(), "new folder to write (must not exist or be empty)")(
      "dtype", po::value<std::string>(&dtype)->default_value(""), "float32|bfloat16|float16 (default: the model's)");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm,
             "socrates export --model DIR [--adapter DIR --merge] --out DIR [--dtype float32|bfloat16|float16]")) {
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

  // Merge in float32 (one rounding to the output dtype), on the CPU.
  auto model = CausalLM::load(src, c10::kCPU, at::kFloat);
  const c10::ScalarType out_dtype = dtype.empty() ? model->config().dtype : export_dtype(dtype);
  if (!adapter_dir.empty()) {
    std::shared_ptr<Adapter> adapter = attach_peft_adapter(default_registry(), *model, adapter_dir);
    adapter->merge();  // removes its deltas: the model no longer needs the adapter
  }

  fs::create_directories(out);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& [name, t] : model->base_parameters()) tensors.emplace_back(name, t.to(out_dtype));
  save_safetensors(out / "model.safetensors", tensors, {{"format", "pt"}});

  std::string config = read_text(src / "config.json");
  if (out_dtype != model->config().dtype) {
    nlohmann::json c = nlohmann::json::parse(config);
    bool set = false;
    for (const char* key : {"dtype", "torch_dtype"}) {
      if (c.contains(key)) c[key] = dtype_name(out_dtype), set = true;
    }
    if (!set) c["torch_dtype"] = dtype_name(out_dtype);
    config = c.dump(2) + "\n";
  }
  write_file_atomic(out / "config.json", config);
  std::vector<std::string> copied;
  for (const char* name : kSideFiles) {
    if (fs::is_regular_file(src / name)) {
      fs::copy_file(src / name, out / name, fs::copy_options::overwrite_existing);
      copied.emplace_back(name);
    }
  }
  std::string list;
  for (const auto& n : copied) list += ", " + n;
  host_logger()->info("export: wrote {} ({} tensors, {}{}): model.safetensors, config.json{}", out.string(),
                      tensors.size(), dtype_name(out_dtype), adapter_dir.empty() ? "" : ", adapter merged", list);
  return 0;
}

}  // namespace socrates::cli
