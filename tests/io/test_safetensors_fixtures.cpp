// Every *.safetensors file of the reference fixtures (models/*/...), whatever they hold:
// consistent on their own, and written again identically.
#include <gtest/gtest.h>

#include <ATen/ops/allclose.h>
#include <ATen/ops/equal.h>

#include <algorithm>
#include <set>

#include "io/safetensors_file.hpp"
#include "io/safetensors_model.hpp"
#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

const fs::path kModels = fs::path(SOCRATES_FIXTURES_DIR) / "models";

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> out;
  if (!fs::is_directory(kModels)) return out;
  for (const auto& model : fs::directory_iterator(kModels))
    if (model.is_directory())
      for (const auto& f : safetensors_files_under(model.path())) out.push_back(f);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SafetensorsFixtures, ThereAreSome) {
  EXPECT_FALSE(fixture_files().empty()) << "no *.safetensors under " << kModels;
}

TEST(SafetensorsFixtures, EveryFileIsConsistent) {
  for (const auto& path : fixture_files()) {
    SCOPED_TRACE(path.string());
    const auto f = SafetensorsFile::open(path);
    EXPECT_GT(f.size(), 0u);
    EXPECT_EQ(f.data_start() % 8, 0u);
    // As the Python package writes them: the tensors tile the data section, no gaps.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    for (const auto& name : f.names()) ranges.emplace_back(f.info(name).begin, f.info(name).end);
    std::sort(ranges.begin(), ranges.end());
    std::uint64_t end = 0;
    for (const auto& [b, e] : ranges) {
      EXPECT_EQ(b, end);
      end = e;
    }
    EXPECT_EQ(f.data_start() + end, fs::file_size(path));

    for (const auto& name : f.names()) {
      SCOPED_TRACE(name);
      const TensorInfo& info = f.info(name);
      const at::Tensor v = f.view(name);
      EXPECT_EQ(v.scalar_type(), info.dtype);
      EXPECT_EQ(v.sizes().vec(), info.shape);
      EXPECT_EQ(v.numel(), info.numel());
      EXPECT_EQ(static_cast<std::uint64_t>(v.numel() * v.element_size()), info.nbytes());
      const at::Tensor l = f.load(name);
      EXPECT_EQ(bytes_of(l), bytes_of(v));
      if (at::isFloatingType(info.dtype)) {
        EXPECT_TRUE(at::allclose(f.load(name, c10::kCPU, at::kDouble), v.to(at::kDouble), 0, 0, /*equal_nan=*/true));
      }
    }
  }
}

TEST(SafetensorsFixtures, WritingThemAgainGivesTheSameBytes) {
  TempDir dir;
  for (const auto& path : fixture_files()) {
    SCOPED_TRACE(path.string());
    const auto f = SafetensorsFile::open(path);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& name : f.names()) tensors.emplace_back(name, f.view(name));
    save_safetensors(dir / "a.safetensors", tensors, f.metadata());
    save_safetensors(dir / "b.safetensors", tensors, f.metadata());
    const std::string ours = read_bytes(dir / "a.safetensors");
    EXPECT_EQ(ours, read_bytes(dir / "b.safetensors"));

    const auto again = SafetensorsFile::open(dir / "a.safetensors");
    EXPECT_EQ(again.names(), f.names());
    EXPECT_EQ(again.metadata(), f.metadata());
    for (const auto& name : f.names()) {
      SCOPED_TRACE(name);
      EXPECT_EQ(again.info(name).dtype, f.info(name).dtype);
      EXPECT_EQ(again.info(name).shape, f.info(name).shape);
      EXPECT_EQ(bytes_of(again.view(name)), bytes_of(f.view(name)));
    }
    // The fixtures come from the Python package; with at most one metadata key (it orders
    // several at random) our file is the very same.
    if (f.metadata().size() <= 1) {
      EXPECT_EQ(ours, read_bytes(path));
    }
  }
}

TEST(SafetensorsFixtures, ModelFoldersOpenAsModels) {
  std::set<fs::path> folders;
  for (const auto& path : fixture_files())
    if (path.filename() == SafetensorsModel::kSingleFile || fs::exists(path.parent_path() / SafetensorsModel::kIndexFile))
      folders.insert(path.parent_path());
  for (const auto& folder : folders) {
    SCOPED_TRACE(folder.string());
    const auto model = SafetensorsModel::open(folder);
    std::vector<std::string> names;
    for (const auto& file : model.files())
      for (const auto& name : file.names()) names.push_back(name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(model.names(), names);
    for (const auto& name : model.names()) {
      EXPECT_TRUE(model.has(name));
      EXPECT_EQ(bytes_of(model.load(name)), bytes_of(model.file_of(name).view(name)));
    }
  }
}

}  // namespace
