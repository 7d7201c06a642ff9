// SafetensorsModel: a sharded folder with model.safetensors.index.json, a single file, and
// every broken index with its exact message.
#include <gtest/gtest.h>

#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>

#include <nlohmann/json.hpp>

#include "io/safetensors_model.hpp"
#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

const std::string kShard1 = "model-00001-of-00002.safetensors";
const std::string kShard2 = "model-00002-of-00002.safetensors";

class SafetensorsModelTest : public testing::Test {
 protected:
  void SetUp() override {
    save_safetensors(dir_ / kShard1, {{"a", a_}, {"b", b_}}, {{"format", "pt"}});
    save_safetensors(dir_ / kShard2, {{"c", c_}, {"d", d_}, {"e", d_}}, {{"format", "pt"}});
    write_index({{"a", kShard1}, {"b", kShard1}, {"c", kShard2}, {"d", kShard2}, {"e", kShard2}});
  }
  void write_index(const nlohmann::json& weight_map) {
    write_bytes(index_, nlohmann::json{{"metadata", {{"total_size", 64}}}, {"weight_map", weight_map}}.dump(2));
  }
  std::string open_error(const fs::path& p) {
    return error_of([&] { SafetensorsModel::open(p); });
  }

  TempDir dir_;
  fs::path index_ = dir_ / SafetensorsModel::kIndexFile;
  at::Tensor a_ = at::arange(4, at::kFloat).reshape({2, 2});
  at::Tensor b_ = at::arange(3, at::kLong);
  at::Tensor c_ = at::arange(4, at::kFloat).to(at::kBFloat16);
  at::Tensor d_ = at::arange(1, at::kFloat).reshape({});
};

TEST_F(SafetensorsModelTest, ShardedFolder) {
  for (const fs::path& p : {dir_.path(), index_}) {
    const auto m = SafetensorsModel::open(p);
    EXPECT_EQ(m.path(), p);
    EXPECT_EQ(m.index(), index_);
    ASSERT_EQ(m.files().size(), 2u);
    EXPECT_EQ(m.names(), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(m.size(), 5u);
    EXPECT_TRUE(m.has("c"));
    EXPECT_FALSE(m.has("f"));
    EXPECT_EQ(m.shard_of("a"), dir_ / kShard1);
    EXPECT_EQ(m.shard_of("c"), dir_ / kShard2);
    EXPECT_EQ(m.info("c").dtype, at::kBFloat16);
    EXPECT_EQ(m.info("a").shape, (std::vector<std::int64_t>{2, 2}));
    EXPECT_TRUE(at::equal(m.load("a"), a_));
    EXPECT_TRUE(at::equal(m.load("b"), b_));
    EXPECT_TRUE(at::equal(m.view("c"), c_));
    EXPECT_TRUE(at::equal(m.load("c", c10::kCPU, at::kFloat), c_.to(at::kFloat)));
    EXPECT_TRUE(at::equal(m.load("d"), d_));
  }
}

TEST_F(SafetensorsModelTest, SingleFileFolderAndFile) {
  TempDir single;
  save_safetensors(single / "model.safetensors", {{"w", a_}});
  for (const fs::path& p : {single.path(), single / "model.safetensors"}) {
    const auto m = SafetensorsModel::open(p);
    EXPECT_FALSE(m.index().has_value());
    EXPECT_EQ(m.names(), std::vector<std::string>{"w"});
    EXPECT_EQ(m.shard_of("w"), single / "model.safetensors");
    EXPECT_TRUE(at::equal(m.load("w"), a_));
  }
  // The index wins over a stray single file.
  save_safetensors(dir_ / "model.safetensors", {{"w", a_}});
  EXPECT_EQ(SafetensorsModel::open(dir_.path()).size(), 5u);
}

TEST_F(SafetensorsModelTest, MissingTensor) {
  const auto m = SafetensorsModel::open(dir_.path());
  EXPECT_EQ(error_of([&] { m.load("f"); }),
            index_.string() + ": no tensor named 'f' (the model has 5 tensors; the closest names are 'a', 'b', 'c'). "
                              "Check the name, and that this is the right model.");
  EXPECT_EQ(error_of([&] { m.shard_of("f"); }), error_of([&] { m.info("f"); }));
}

TEST_F(SafetensorsModelTest, MissingShard) {
  fs::remove(dir_ / kShard2);
  EXPECT_EQ(open_error(dir_.path()), index_.string() + ": shard '" + kShard2 + "' (which holds 'c' and 2 more tensors) "
                                     "does not exist in " + dir_.path().string() +
                                     ". Re-download the model with all of its shards.");
}

TEST_F(SafetensorsModelTest, IndexNamesATensorNotInItsShard) {
  write_index({{"a", kShard1}, {"b", kShard1}, {"c", kShard1}, {"d", kShard2}});
  EXPECT_EQ(open_error(dir_.path()), index_.string() + ": tensor 'c' is mapped to shard '" + kShard1 +
                                     "', but that file has no such tensor. Re-download the model, or fix the index.");
}

TEST_F(SafetensorsModelTest, BrokenIndex) {
  const std::string bad = index_.string() + ": not a valid index file: ";
  write_bytes(index_, "{\"weight_map\": ");
  EXPECT_EQ(open_error(dir_.path()), bad + "it is not valid JSON (error at byte 15 of 15). Re-download the model.");
  write_bytes(index_, R"({"metadata": {}})");
  EXPECT_EQ(open_error(dir_.path()), bad + "it has no \"weight_map\" object. Re-download the model.");
  write_index(nlohmann::json::object());
  EXPECT_EQ(open_error(dir_.path()), bad + "its \"weight_map\" lists no tensors. Re-download the model.");
  write_index({{"a", 3}});
  EXPECT_EQ(open_error(dir_.path()), bad + "\"weight_map\" maps 'a' to something other than a file name. Re-download the model.");
  write_index({{"a", "../" + kShard1}});
  EXPECT_EQ(open_error(dir_.path()), bad + "tensor 'a' is mapped to '../" + kShard1 + "', which is not a file in " +
                                         dir_.path().string() + ". Re-download the model.");
}

TEST_F(SafetensorsModelTest, CorruptShardIsNamed) {
  fs::resize_file(dir_ / kShard2, fs::file_size(dir_ / kShard2) - 1);
  EXPECT_EQ(open_error(dir_.path()), (dir_ / kShard2).string() +
                                         ": not a valid safetensors file: the file is truncated: tensor 'c' ends at "
                                         "byte 16 of the data section, but only 15 bytes of data follow the header. "
                                         "Re-download the file or re-save it with safetensors.");
}

TEST_F(SafetensorsModelTest, NotAModel) {
  TempDir empty;
  save_safetensors(empty / "adapter_model.safetensors", {{"w", a_}});
  EXPECT_EQ(open_error(empty.path()),
            empty.path().string() + ": no model.safetensors.index.json or model.safetensors in this folder (it has "
                                    "'adapter_model.safetensors'). Point to a Hugging Face model folder or to a "
                                    ".safetensors file.");
  EXPECT_EQ(open_error(empty / "nothing"), (empty / "nothing").string() + ": no such file or folder.");
}

}  // namespace
