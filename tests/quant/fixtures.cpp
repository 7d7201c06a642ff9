#include "fixtures.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <ATen/ops/empty.h>
#include <c10/util/irange.h>

namespace quant_test {

fs::path quant_dir() { return fs::path(SOCRATES_FIXTURES_DIR) / "quant"; }

std::vector<fs::path> model_fixture_dirs() {
  std::vector<fs::path> out;
  const fs::path models = quant_dir() / "models";
  if (fs::is_directory(models))
    for (const auto& e : fs::directory_iterator(models))
      if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  if (const char* extra = std::getenv("SOCRATES_EXTRA_QUANT_FIXTURES")) {
    std::stringstream ss(extra);
    for (std::string item; std::getline(ss, item, ':');)
      if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

fs::path dense_model_dir(const fs::path& fixture) {
  std::string name = fixture.filename().string();
  for (const char* suffix : {"-nf4", "-fp4"})
    if (name.size() > 4 && name.compare(name.size() - 4, 4, suffix) == 0) name.resize(name.size() - 4);
  return fixture.parent_path().parent_path().parent_path() / "models" / name / "model";
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return nlohmann::json::parse(in);
}

namespace {
c10::ScalarType dtype_of(const std::string& s, const fs::path& file) {
  static const std::map<std::string, c10::ScalarType> m = {
      {"F32", c10::kFloat}, {"F16", c10::kHalf}, {"BF16", c10::kBFloat16}, {"F64", c10::kDouble},
      {"U8", c10::kByte},   {"I8", c10::kChar},  {"I32", c10::kInt},       {"I64", c10::kLong},
      {"BOOL", c10::kBool}};
  auto it = m.find(s);
  if (it == m.end()) throw std::runtime_error(file.string() + ": unsupported dtype " + s);
  return it->second;
}
}  // namespace

std::map<std::string, at::Tensor> load_safetensors(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::uint64_t hlen = 0;
  in.read(reinterpret_cast<char*>(&hlen), 8);
  std::string header(hlen, '\0');
  in.read(header.data(), static_cast<std::streamsize>(hlen));
  const std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto h = nlohmann::json::parse(header);
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, v] : h.items()) {
    if (name == "__metadata__") continue;
    std::vector<std::int64_t> shape = v.at("shape").get<std::vector<std::int64_t>>();
    const auto off = v.at("data_offsets").get<std::vector<std::uint64_t>>();
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype_of(v.at("dtype").get<std::string>(), path)));
    if (off[1] - off[0] != static_cast<std::uint64_t>(t.nbytes()) || off[1] > data.size())
      throw std::runtime_error(path.string() + ": bad data_offsets for " + name);
    if (t.nbytes()) std::memcpy(t.data_ptr(), data.data() + off[0], t.nbytes());
    out.emplace(name, t);
  }
  return out;
}

std::map<std::string, at::Tensor> load_safetensors_dir(const fs::path& dir) {
  std::map<std::string, at::Tensor> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.merge(load_safetensors(f));
  return out;
}

bool bitwise_equal(const at::Tensor& a, const at::Tensor& b) {
  if (!a.defined() || !b.defined()) return a.defined() == b.defined();
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const at::Tensor x = a.cpu().contiguous(), y = b.cpu().contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

std::string describe_difference(const at::Tensor& a, const at::Tensor& b) {
  std::ostringstream o;
  if (!a.defined() || !b.defined()) return "one tensor is undefined";
  o << c10::toString(a.scalar_type()) << a.sizes() << " vs " << c10::toString(b.scalar_type()) << b.sizes();
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return o.str();
  const at::Tensor x = a.cpu().contiguous().view({-1}), y = b.cpu().contiguous().view({-1});
  const auto* px = static_cast<const unsigned char*>(x.data_ptr());
  const auto* py = static_cast<const unsigned char*>(y.data_ptr());
  const std::int64_t es = static_cast<std::int64_t>(x.element_size());
  std::int64_t first = -1, count = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i)
    if (std::memcmp(px + i * es, py + i * es, es) != 0) {
      if (first < 0) first = i;
      ++count;
    }
  o << ": " << count << " of " << x.numel() << " elements differ";
  if (first >= 0) {
    const at::Tensor fx = x.to(c10::kDouble), fy = y.to(c10::kDouble);
    o << ", first at flat index " << first << " (" << fx.data_ptr<double>()[first] << " vs "
      << fy.data_ptr<double>()[first] << ")";
  }
  return o.str();
}

std::string bytes_to_string(const at::Tensor& t) {
  const at::Tensor c = t.cpu().contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes()));
}

}  // namespace quant_test
