#include "plugin/host_services.hpp"

#include "io/manifest.hpp"
#include "io/safetensors_file.hpp"
#include "io/safetensors_writer.hpp"
#include "io/atomic_file.hpp"
#include "io/sha256.hpp"

namespace socrates {

namespace {
class Host final : public HostServices {
 public:
  StateDict load_tensors(const std::filesystem::path& file) const override {
    const SafetensorsFile f = SafetensorsFile::open(file);
    StateDict out;
    for (const std::string& n : f.names()) out.tensors[n] = f.load(n);
    out.meta = f.metadata();
    return out;
  }
  void save_tensors(const std::filesystem::path& file, const StateDict& state) const override {
    std::vector<std::pair<std::string, at::Tensor>> tensors(state.tensors.begin(), state.tensors.end());
    save_safetensors(file, tensors, state.meta);
  }
  void write_text(const std::filesystem::path& file, const std::string& text) const override {
    write_file_atomic(file, text);
  }
  std::string sha256(std::string_view data) const override { return sha256_hex(data); }
  std::string sha256_file(const std::filesystem::path& file) const override { return socrates::sha256_file(file); }
  std::vector<ManifestEntry> read_manifest(const std::filesystem::path& dir) const override {
    return socrates::read_manifest(dir).files;
  }
  std::string verify_checkpoint(const std::filesystem::path& dir) const override {
    return socrates::verify_checkpoint(dir);
  }
};
}  // namespace

const HostServices& host_services() {
  static const Host host;
  return host;
}

}  // namespace socrates
