// Byte-exact compatibility with the Python safetensors package: tests/io/data/python holds
// files it wrote (see make_python_golden.py there); we must read them and write them again
// byte for byte.
#include <gtest/gtest.h>

#include <algorithm>

#include "io/safetensors_file.hpp"
#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

std::vector<fs::path> golden_files() { return safetensors_files_under(SOCRATES_PYTHON_GOLDEN_DIR); }

TEST(SafetensorsPython, GoldenFilesArePresent) {
  EXPECT_GE(golden_files().size(), 4u) << "expected the files of make_python_golden.py in " << SOCRATES_PYTHON_GOLDEN_DIR;
}

TEST(SafetensorsPython, ReadsWhatPythonWrote) {
  for (const auto& path : golden_files()) {
    SCOPED_TRACE(path.string());
    const auto f = SafetensorsFile::open(path);
    for (const auto& name : f.names()) {
      SCOPED_TRACE(name);
      const TensorInfo& info = f.info(name);
      EXPECT_EQ(bytes_of(f.view(name)), bytes_of(pattern(info.dtype, info.shape)));
    }
  }
}

TEST(SafetensorsPython, WritesWhatPythonWrites) {
  TempDir dir;
  for (const auto& path : golden_files()) {
    SCOPED_TRACE(path.string());
    const auto f = SafetensorsFile::open(path);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& name : f.names()) tensors.emplace_back(name, f.view(name));
    std::reverse(tensors.begin(), tensors.end());  // the order given must not matter
    const fs::path out = dir / path.filename().string();
    save_safetensors(out, tensors, f.metadata());
    EXPECT_EQ(read_bytes(out), read_bytes(path));
  }
}

}  // namespace
