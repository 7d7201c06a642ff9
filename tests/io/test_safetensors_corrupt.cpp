// Broken safetensors files: each is refused on open, with its exact message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ops/arange.h>

#include "io/safetensors_dtype.hpp"
#include "io/safetensors_file.hpp"
#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

const std::string kFix = " Re-download the file or re-save it with safetensors.";

class SafetensorsCorrupt : public testing::Test {
 protected:
  // Writes `bytes` as a file and returns the error that opening it gives.
  std::string open_error(const std::string& bytes) {
    write_bytes(path_, bytes);
    return error_of([&] { SafetensorsFile::open(path_); });
  }
  std::string invalid(const std::string& what) { return path_.string() + ": not a valid safetensors file: " + what + "." + kFix; }

  TempDir dir_;
  fs::path path_ = dir_ / "bad.safetensors";
};

const std::string kF32x4 = R"("dtype":"F32","shape":[4])";

TEST_F(SafetensorsCorrupt, TooShortForTheHeaderLength) {
  EXPECT_EQ(open_error("abcde"), invalid("it has 5 bytes, fewer than the 8 that give the header's length"));
}

TEST_F(SafetensorsCorrupt, HeaderLongerThanTheFile) {
  EXPECT_EQ(open_error(raw_safetensors("{}", "", 1000)),
            invalid("the header's length (1000 bytes) exceeds the rest of the file (2 bytes)"));
}

TEST_F(SafetensorsCorrupt, HeaderOverTheLimit) {
  write_bytes(path_, raw_safetensors("", "", 100'000'001));
  fs::resize_file(path_, 8 + 100'000'016);  // sparse: no disk used
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(path_); }),
            invalid("the header's length (100000001 bytes) is over the limit of 100000000 bytes"));
}

TEST_F(SafetensorsCorrupt, HeaderNotJson) {
  EXPECT_EQ(open_error(raw_safetensors("{not json}")), invalid("the header is not valid JSON (error at byte 3 of 10)"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32")")),
            invalid("the header is not valid JSON (error at byte 19 of 19)"));
  EXPECT_EQ(open_error(raw_safetensors("[1, 2]")), invalid("the header is not a JSON object"));
  EXPECT_EQ(open_error(raw_safetensors("")), invalid("the header is not a JSON object"));
}

TEST_F(SafetensorsCorrupt, Truncated) {
  save_safetensors(path_, {{"a", at::arange(4, at::kFloat)}, {"b", at::arange(6, at::kFloat)}});
  fs::resize_file(path_, fs::file_size(path_) - 4);
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(path_); }),
            invalid("the file is truncated: tensor 'b' ends at byte 40 of the data section, but only 36 bytes of "
                    "data follow the header"));
}

TEST_F(SafetensorsCorrupt, OffsetsDoNotMatchShapeAndDtype) {
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", std::string(24, 'x'))),
            invalid("tensor 'x' has dtype F32 and shape [2, 3], which is 24 bytes, but its data_offsets [0, 20] span 20 bytes"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}})", std::string(4, 'x'))),
            invalid("tensor 'x' has dtype BF16 and shape [], which is 2 bytes, but its data_offsets [0, 4] span 4 bytes"));
}

TEST_F(SafetensorsCorrupt, OverlappingOffsets) {
  const std::string header = "{\"a\":{" + kF32x4 + R"(,"data_offsets":[0,16]},"b":{)" + kF32x4 +
                             R"(,"data_offsets":[8,24]}})";
  EXPECT_EQ(open_error(raw_safetensors(header, std::string(24, 'x'))),
            invalid("tensors 'a' (data_offsets [0, 16]) and 'b' (data_offsets [8, 24]) overlap"));
  // Contained in another one, listed first by name.
  const std::string inner = "{\"a\":{" + kF32x4 + R"(,"data_offsets":[4,20]},"z":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})";
  EXPECT_EQ(open_error(raw_safetensors(inner, std::string(32, 'x'))),
            invalid("tensors 'z' (data_offsets [0, 32]) and 'a' (data_offsets [4, 20]) overlap"));
}

TEST_F(SafetensorsCorrupt, GapsAndEmptyTensorsAreFine) {
  const std::string header = "{\"a\":{" + kF32x4 + R"(,"data_offsets":[0,16]},"b":{)" + kF32x4 +
                             R"(,"data_offsets":[24,40]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})";
  EXPECT_EQ(open_error(raw_safetensors(header, std::string(48, 'x'))), "");
}

TEST_F(SafetensorsCorrupt, UnknownDtype) {
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}})", "x")),
            path_.string() + ": not a valid safetensors file: tensor 'x' has unknown dtype 'F7' (known: " +
                supported_safetensors_dtypes() + "). Re-download the file, or re-save it with one of these dtypes.");
}

TEST_F(SafetensorsCorrupt, DtypeThatLibTorchCannotHold) {
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", "x")),
            path_.string() + ": tensor 'x' has dtype F4, which this build of LibTorch cannot represent (it can: " +
                supported_safetensors_dtypes() + "). Convert the tensor to one of these dtypes and re-save the file.");
}

TEST_F(SafetensorsCorrupt, MalformedEntries) {
  const std::string d = std::string(16, 'x');
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":[1]})", d)), invalid("tensor 'x' is not described by a JSON object"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"shape":[4],"data_offsets":[0,16]}})", d)), invalid("tensor 'x' has no \"dtype\""));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":7,"shape":[4],"data_offsets":[0,16]}})", d)),
            invalid("tensor 'x' has a \"dtype\" that is not a string"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","data_offsets":[0,16]}})", d)), invalid("tensor 'x' has no \"shape\""));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":4,"data_offsets":[0,16]}})", d)),
            invalid("tensor 'x' has a \"shape\" that is not a list of sizes"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", d)),
            invalid("tensor 'x' has a \"shape\" that is not a list of sizes (non-negative integers)"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", d)),
            invalid("tensor 'x' has a shape too large to address"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[4]}})", d)), invalid("tensor 'x' has no \"data_offsets\""));
  const std::string bad_offsets = "tensor 'x' has invalid \"data_offsets\" (they must be [begin, end] with 0 <= begin <= end)";
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", d)), invalid(bad_offsets));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16,32]}})", d)), invalid(bad_offsets));
  EXPECT_EQ(open_error(raw_safetensors(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0.0,16]}})", d)), invalid(bad_offsets));
}

TEST_F(SafetensorsCorrupt, BadMetadata) {
  EXPECT_EQ(open_error(raw_safetensors(R"({"__metadata__":{"format":"pt","n":1}})")),
            invalid("\"__metadata__\" entry 'n' is not a string"));
  EXPECT_EQ(open_error(raw_safetensors(R"({"__metadata__":"pt"})")),
            invalid("\"__metadata__\" is not a map of strings to strings"));
}

TEST_F(SafetensorsCorrupt, NameListedTwice) {
  const std::string e = "{" + kF32x4 + ",\"data_offsets\":[0,16]}";
  EXPECT_EQ(open_error(raw_safetensors("{\"x\":" + e + ",\"y\":" + e + ",\"x\":" + e + "}", std::string(16, 'x'))),
            invalid("'x' appears twice in the header"));
}

TEST_F(SafetensorsCorrupt, MissingTensorNamesTheClosestOnes) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const char* n : {"model.layers.0.weight", "model.layers.1.weight", "lm_head.weight", "model.norm.weight"})
    tensors.emplace_back(n, at::arange(2, at::kFloat));
  save_safetensors(path_, tensors);
  const auto f = SafetensorsFile::open(path_);
  const std::string expected = path_.string() +
                               ": no tensor named 'model.layers.0.weigth' (the file has 4 tensors; the closest names "
                               "are 'model.layers.0.weight', 'model.layers.1.weight', 'model.norm.weight'). Check the "
                               "name, and that this is the right file.";
  EXPECT_EQ(error_of([&] { f.view("model.layers.0.weigth"); }), expected);
  EXPECT_EQ(error_of([&] { f.load("model.layers.0.weigth"); }), expected);
  EXPECT_EQ(error_of([&] { f.info("model.layers.0.weigth"); }), expected);
  EXPECT_FALSE(f.has("model.layers.0.weigth"));

  save_safetensors(path_, {});
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(path_).view("x"); }),
            path_.string() + ": no tensor named 'x' (the file has no tensors). Check the name, and that this is the right file.");
}

TEST_F(SafetensorsCorrupt, NotAFile) {
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(dir_.path()); }), dir_.path().string() + ": is a folder, not a file.");
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(dir_ / "none.safetensors"); }),
            (dir_ / "none.safetensors").string() + ": cannot open: No such file or directory.");
}

}  // namespace
