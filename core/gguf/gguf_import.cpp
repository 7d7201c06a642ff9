#include "gguf/gguf_import.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_arch.hpp"
#include "gguf/gguf_config.hpp"
#include "gguf/gguf_dequant.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_rotary.hpp"
#include "gguf/gguf_tensor_plan.hpp"
#include "gguf/gguf_tokenizer.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors_writer.hpp"
#include "io/sha256.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace socrates::gguf {

namespace {

const char* dtype_name(c10::ScalarType t) {
  switch (t) {
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    case c10::kFloat: return "float32";
    default: throw Error("import gguf: the output dtype must be bfloat16, float16 or float32");
  }
}

/// Runs the import on one intra-op thread: every step is a memory-bound copy, and on a busy
/// machine idle OpenMP workers spin (a 135M model: 1.8 s on one thread, 6 s on two).
class OneThread {
 public:
  OneThread() : before_(at::get_num_threads()) { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(before_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int before_;
};

/// A hidden folder beside the output; removed unless publish() renamed it to the output.
class Staging {
 public:
  explicit Staging(fs::path out) : out_(std::move(out)) {
    dir_ = out_.parent_path() / ("." + out_.filename().string() + ".partial-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
  }
  ~Staging() {
    std::error_code ec;
    if (!published_) fs::remove_all(dir_, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const fs::path& dir() const { return dir_; }

  void publish() {
    std::error_code ec;
    if (fs::is_directory(out_)) fs::remove(out_, ec);  // empty (checked before the import)
    fs::rename(dir_, out_, ec);
    if (ec) throw Error("import gguf: cannot rename " + dir_.string() + " to " + out_.string() + ": " + ec.message());
    published_ = true;
    const int fd = ::open(out_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }

 private:
  fs::path out_, dir_;
  bool published_ = false;
};

fs::path normalised_output(const fs::path& out) {
  fs::path p = fs::absolute(out).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "dir/" → "dir"
  return p;
}

// Scalar metadata (general.*, the hyper-parameters) for gguf_import.json; arrays and the
// chat template are left out (they are in tokenizer.json / tokenizer_config.json).
json scalar_metadata(const GgufFile& f) {
  json m = json::object();
  for (const auto& [key, v] : f.metadata()) {
    if (v.to_array() || key == "tokenizer.chat_template") continue;
    if (const std::string* s = v.to_string()) m[key] = *s;
    else if (const bool* b = v.to_bool()) m[key] = *b;
    else if (v.is_integer() && v.to_int()) m[key] = *v.to_int();
    else if (const auto d = v.to_double()) m[key] = *d;
  }
  return m;
}

}  // namespace

ImportSummary import_gguf(const fs::path& file, const fs::path& out_arg, const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const OneThread one_thread;
  const fs::path out = normalised_output(out_arg);
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out)))
    throw Error("import gguf: " + out.string() + " exists and is not an empty folder; choose a new output folder");
  const char* dtype = dtype_name(options.dtype);

  // Everything is checked before anything is written.
  const GgufFile f = GgufFile::open(file);
  const Architecture& arch = architecture_of(f);
  const HParams hp = read_hparams(f, arch);
  const std::vector<TensorPlan> plan = plan_tensors(f, arch, hp);
  TokenizerFiles tok;
  if (options.tokenizer) tok = hf_tokenizer(f, hp.context_length);

  ImportSummary s;
  s.architecture = arch.name;
  s.name = f.get_string_or("general.name").value_or("");
  s.tied_embeddings = hp.tie_word_embeddings;
  s.vocab = tok.vocab;
  s.added_tokens = tok.added_tokens;
  s.pre_tokenizer = tok.pre;

  if (!out.parent_path().empty()) fs::create_directories(out.parent_path());
  Staging staging(out);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  tensors.reserve(plan.size());
  for (const TensorPlan& p : plan) {
    at::Tensor t = dequantize(f, *p.source);
    if (p.unpermute_heads > 0) t = unpermute_rotary(t, p.unpermute_heads);
    // Finite as float32 (checked by dequantize); float16 can still overflow.
    if (options.dtype == c10::kHalf && t.abs().max().item<float>() > 65504.0f)
      f.fail("tensor '" + p.source->name + "' has values too large for float16; import as bfloat16 or float32");
    t = t.to(options.dtype);
    ++s.types[tensor_type_name(p.source->type)];
    s.parameters += t.numel();
    tensors.emplace_back(p.hf_name, std::move(t));
  }
  s.tensors = static_cast<std::int64_t>(tensors.size());
  save_safetensors(staging.dir() / "model.safetensors", tensors, {{"format", "pt"}});
  tensors.clear();
  write_file_atomic(staging.dir() / "config.json", hf_config_json(hp, arch, dtype));
  write_file_atomic(staging.dir() / "generation_config.json", hf_generation_config_json(hp));
  if (options.tokenizer) {
    write_file_atomic(staging.dir() / "tokenizer.json", tok.tokenizer_json);
    write_file_atomic(staging.dir() / "tokenizer_config.json", tok.tokenizer_config_json);
  }
  json provenance = {
      {"source", fs::absolute(file).lexically_normal().string()},
      {"source_bytes", f.file_size()},
      {"source_sha256", sha256_file(file)},
      {"gguf_version", f.version()},
      {"tensor_types", s.types},
      {"dtype", dtype},
      {"unpermuted_qk", arch.rotary_permuted},
      {"tokenizer", options.tokenizer},
      {"socrates_version", SOCRATES_VERSION},
      {"metadata", scalar_metadata(f)},
  };
  write_file_atomic(staging.dir() / "gguf_import.json",
                    provenance.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  staging.publish();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace socrates::gguf
