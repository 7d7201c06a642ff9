// save_safetensors then SafetensorsFile: every dtype and shape, strided inputs, the header
// layout, dtype conversion on load, atomic replacement and the writer's errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/Context.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/ones.h>

#include <cstring>

#include "io/safetensors_dtype.hpp"
#include "io/safetensors_file.hpp"
#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

using Tensors = std::vector<std::pair<std::string, at::Tensor>>;

const std::vector<std::vector<std::int64_t>> kShapes = {{}, {0}, {5}, {2, 3}, {2, 0, 3}, {3, 1, 2, 2}};

std::string header_of(const fs::path& p) {
  const std::string b = read_bytes(p);
  std::uint64_t n = 0;
  std::memcpy(&n, b.data(), 8);
  return b.substr(8, n);
}

TEST(SafetensorsRoundTrip, EveryDtypeAndShape) {
  TempDir dir;
  Tensors tensors;
  for (const auto dtype : supported_dtypes())
    for (std::size_t i = 0; i < kShapes.size(); ++i)
      tensors.emplace_back(dtype_string(dtype) + "/" + std::to_string(i), pattern(dtype, kShapes[i]));
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "round trip"}};
  save_safetensors(dir / "t.safetensors", tensors, metadata);

  const auto f = SafetensorsFile::open(dir / "t.safetensors");
  EXPECT_EQ(f.metadata(), metadata);
  EXPECT_EQ(f.size(), tensors.size());
  EXPECT_EQ(f.data_start() % 8, 0u);
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    const TensorInfo& info = f.info(name);
    EXPECT_EQ(info.dtype, t.scalar_type());
    EXPECT_EQ(info.shape, t.sizes().vec());
    EXPECT_EQ(info.nbytes(), t.numel() * t.element_size());
    const at::Tensor v = f.view(name);
    EXPECT_EQ(v.scalar_type(), t.scalar_type());
    EXPECT_EQ(v.sizes(), t.sizes());
    EXPECT_EQ(bytes_of(v), bytes_of(t));
    const at::Tensor l = f.load(name);
    EXPECT_EQ(l.scalar_type(), t.scalar_type());
    EXPECT_EQ(l.sizes(), t.sizes());
    EXPECT_EQ(bytes_of(l), bytes_of(t));
    if (t.numel() > 0) {
      EXPECT_EQ(v.const_data_ptr(), f.view(name).const_data_ptr()) << "view() must not copy";
      EXPECT_NE(l.const_data_ptr(), v.const_data_ptr()) << "load() must own its data";
    }
  }
}

TEST(SafetensorsRoundTrip, StridedInputsAreWrittenContiguous) {
  TempDir dir;
  const at::Tensor base = at::arange(24, at::kFloat).reshape({4, 6});
  const Tensors tensors = {
      {"transposed", base.t()},
      {"stepped", base.slice(1, 0, 6, 2)},
      {"narrowed", base.narrow(0, 1, 2)},
      {"expanded", at::arange(6, at::kLong).reshape({1, 6}).expand({3, 6})},
      {"element", base[1][2]},
      {"channels_last", at::arange(24, at::kFloat).reshape({2, 3, 2, 2}).contiguous(at::MemoryFormat::ChannelsLast)},
      {"conjugated", pattern(at::kComplexFloat, {2, 3}).conj()},
  };
  save_safetensors(dir / "s.safetensors", tensors);
  const auto f = SafetensorsFile::open(dir / "s.safetensors");
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    const at::Tensor l = f.load(name);
    EXPECT_TRUE(l.is_contiguous());
    EXPECT_EQ(l.sizes(), t.sizes());
    EXPECT_EQ(bytes_of(l), bytes_of(t));
    if (name != "conjugated") {
      EXPECT_TRUE(at::equal(l, t));
    }
  }
  EXPECT_TRUE(at::equal(f.load("conjugated"), tensors.back().second.resolve_conj()));
}

TEST(SafetensorsRoundTrip, HeaderLayoutIsThePythonPackages) {
  TempDir dir;
  save_safetensors(dir / "h.safetensors",
                   {{"c", at::ones({0}, at::kBFloat16)}, {"a", at::ones({}, at::kFloat)}, {"b", at::ones({2}, at::kLong)}},
                   {{"format", "pt"}});
  std::string expected =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
      R"("a":{"dtype":"F32","shape":[],"data_offsets":[16,20]},"c":{"dtype":"BF16","shape":[0],"data_offsets":[20,20]}})";
  expected.append((8 - expected.size() % 8) % 8, ' ');
  EXPECT_EQ(header_of(dir / "h.safetensors"), expected);
  EXPECT_EQ(fs::file_size(dir / "h.safetensors"), 8 + expected.size() + 20);

  save_safetensors(dir / "empty.safetensors", {});
  EXPECT_EQ(header_of(dir / "empty.safetensors"), "{}      ");
  EXPECT_EQ(SafetensorsFile::open(dir / "empty.safetensors").size(), 0u);
}

TEST(SafetensorsRoundTrip, LoadConvertsTheDtype) {
  TempDir dir;
  const at::Tensor f32 = at::arange(12, at::kFloat).reshape({3, 4}).div(8);
  save_safetensors(dir / "c.safetensors", {{"f32", f32}, {"bf16", f32.to(at::kBFloat16)}, {"i64", at::arange(5, at::kLong)}});
  const auto f = SafetensorsFile::open(dir / "c.safetensors");
  const at::Tensor down = f.load("f32", c10::kCPU, at::kBFloat16);
  EXPECT_EQ(down.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(down, f32.to(at::kBFloat16)));
  EXPECT_TRUE(at::equal(f.load("bf16", c10::kCPU, at::kFloat), f32));
  EXPECT_TRUE(at::equal(f.load("i64", c10::kCPU, at::kDouble), at::arange(5, at::kDouble)));
}

TEST(SafetensorsRoundTrip, ViewsOutliveTheFileObjectAndTheFile) {
  TempDir dir;
  const at::Tensor t = at::arange(1000, at::kInt);
  save_safetensors(dir / "v.safetensors", {{"x", t}});
  at::Tensor v;
  {
    const auto f = SafetensorsFile::open(dir / "v.safetensors");
    v = f.view("x");
  }
  fs::remove(dir / "v.safetensors");
  EXPECT_TRUE(at::equal(v, t));
}

TEST(SafetensorsRoundTrip, ReplacesAnExistingFileAndLeavesNoTemporaryFile) {
  TempDir dir;
  save_safetensors(dir / "r.safetensors", {{"x", at::arange(3, at::kFloat)}});
  save_safetensors(dir / "r.safetensors", {{"y", at::arange(4, at::kLong)}});
  const auto f = SafetensorsFile::open(dir / "r.safetensors");
  EXPECT_EQ(f.names(), std::vector<std::string>{"y"});
  EXPECT_TRUE(at::equal(f.load("y"), at::arange(4, at::kLong)));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"r.safetensors"});
}

TEST(SafetensorsRoundTrip, WriterErrors) {
  TempDir dir;
  const fs::path p = dir / "w.safetensors";
  const std::string at_p = "cannot write " + p.string() + ": ";
  const at::Tensor x = at::ones({2});
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{"a", x}, {"a", x}}); }),
            at_p + "tensor 'a' is given twice. Give every tensor its own name.");
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{"__metadata__", x}}); }),
            at_p + "tensor '__metadata__' has a name reserved for the metadata. Rename the tensor.");
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{"u", at::Tensor()}}); }),
            at_p + "tensor 'u' is an undefined tensor. Pass a tensor with data.");
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{"s", x.to_sparse()}}); }),
            at_p + "tensor 's' is not dense (layout Sparse). Convert it with to_dense() first.");
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{"z", at::ones({2}, at::kComplexDouble)}}); }),
            at_p + "tensor 'z' has dtype ComplexDouble, which safetensors cannot store (it can: " +
                supported_safetensors_dtypes() + "). Convert it first.");
  EXPECT_EQ(error_of([&] { save_safetensors(p, {{std::string("bad\xff", 4), x}}); }),
            at_p + "tensor name '" + std::string("bad\xff", 4) + "' is not valid UTF-8. Use UTF-8 names and metadata.");
  const fs::path nowhere = dir / "missing" / "w.safetensors";
  EXPECT_EQ(error_of([&] { save_safetensors(nowhere, {{"x", x}}); }),
            "cannot write " + nowhere.string() + ": creating a temporary file failed (No such file or directory). Check that " +
                (dir / "missing").string() + " exists and is writable; any previous w.safetensors is unchanged.");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});
}

TEST(SafetensorsRoundTrip, Cuda) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  TempDir dir;
  const at::Tensor t = at::arange(24, at::kFloat).reshape({4, 6}).div(4);
  save_safetensors(dir / "g.safetensors", {{"t", t.to(c10::kCUDA).t()}, {"b", t.to(at::kBFloat16)}});
  const auto f = SafetensorsFile::open(dir / "g.safetensors");
  EXPECT_TRUE(at::equal(f.load("t"), t.t()));
  const at::Tensor g = f.load("t", c10::kCUDA);
  EXPECT_TRUE(g.is_cuda());
  EXPECT_TRUE(at::equal(g.cpu(), t.t()));
  const at::Tensor down = f.load("t", c10::kCUDA, at::kBFloat16);
  EXPECT_EQ(down.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(down.cpu(), t.t().to(at::kBFloat16)));
  const at::Tensor up = f.load("b", c10::kCUDA, at::kFloat);
  EXPECT_TRUE(up.is_cuda());
  EXPECT_TRUE(at::equal(up.cpu(), t));
}

}  // namespace
