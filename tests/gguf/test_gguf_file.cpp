// The GGUF reader: v2/v3 headers, metadata of every type (nested arrays too), alignment,
// tensor infos and where their bytes lie.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "gguf/gguf_file.hpp"
#include "gguf_test_util.hpp"
#include "gguf_writer.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using namespace socrates::testing;
using socrates::gguf::GgufFile;
using socrates::gguf::ValueType;

namespace {

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

}  // namespace

TEST(GgufFile, ReadsMetadataOfEveryType) {
  for (std::uint32_t version : {2u, 3u}) {
    GgufWriter w;
    w.version = version;
    w.add("u8", gguf_u8(200));
    w.add("i8", gguf_i8(-100));
    w.add("u16", gguf_u16(60000));
    w.add("i16", gguf_i16(-30000));
    w.add("u32", gguf_u32(4000000000u));
    w.add("i32", gguf_i32(-2000000000));
    w.add("u64", gguf_u64(1ull << 40));
    w.add("i64", gguf_i64(-(1ll << 40)));
    w.add("f32", gguf_f32(0.25f));
    w.add("f64", gguf_f64(1e-300));
    w.add("yes", gguf_bool(true));
    w.add("no", gguf_bool(false));
    w.add("text", gguf_str("héllo"));
    w.add("empty", gguf_str(""));
    w.add("strings", gguf_strings({"a", "", "ccc"}));
    w.add("ints", gguf_i32s({1, -2, 3}));
    w.add("nested", gguf_array(9, {gguf_array(4, {gguf_u32(7)}), gguf_array(4, {})}));
    w.add("huge", gguf_u64(~0ull));
    const auto dir = gguf_test::fresh_dir("types");
    w.write(dir / "m.gguf");
    const GgufFile f = GgufFile::open(dir / "m.gguf");
    EXPECT_EQ(f.version(), version);
    ASSERT_EQ(f.metadata().size(), 18u);
    EXPECT_EQ(f.metadata()[0].first, "u8");  // file order
    EXPECT_EQ(f.get_int("u8"), 200);
    EXPECT_EQ(f.get_int("i8"), -100);
    EXPECT_EQ(f.get_int("u16"), 60000);
    EXPECT_EQ(f.get_int("i16"), -30000);
    EXPECT_EQ(f.get_int("u32"), 4000000000ll);
    EXPECT_EQ(f.get_int("i32"), -2000000000);
    EXPECT_EQ(f.get_int("u64"), 1ll << 40);
    EXPECT_EQ(f.get_int("i64"), -(1ll << 40));
    EXPECT_EQ(f.get_number("f32"), 0.25);
    EXPECT_EQ(f.get_number("f64"), 1e-300);
    EXPECT_EQ(f.get_number("u32"), 4e9);  // integers are numbers too
    EXPECT_TRUE(f.get_bool_or("yes", false));
    EXPECT_FALSE(f.get_bool_or("no", true));
    EXPECT_TRUE(f.get_bool_or("absent", true));
    EXPECT_EQ(f.get_string("text"), "héllo");
    EXPECT_EQ(f.get_string("empty"), "");
    EXPECT_EQ(f.find("u8")->type(), static_cast<std::uint32_t>(ValueType::UInt8));
    const gguf::Array* s = f.get_array_or("strings", ValueType::String);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->items.size(), 3u);
    EXPECT_EQ(*s->items[2].to_string(), "ccc");
    const gguf::Array* i = f.get_array_or("ints", ValueType::Int32);
    EXPECT_EQ(i->items[1].to_int(), -2);
    const gguf::Array* n = f.get_array_or("nested", ValueType::Array);
    ASSERT_EQ(n->items.size(), 2u);
    EXPECT_EQ(n->items[0].to_array()->items[0].to_int(), 7);
    EXPECT_TRUE(n->items[1].to_array()->items.empty());
    EXPECT_EQ(f.get_array_or("absent", ValueType::String), nullptr);
    EXPECT_EQ(f.get_string_or("absent"), std::nullopt);
    // Wrong types and missing keys name the file and the key.
    EXPECT_THAT([&] { f.get_int("text"); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                                               "m.gguf: metadata 'text' must be an integer, got string")));
    EXPECT_THAT([&] { f.get_int("huge"); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("'huge' must be an integer")));
    EXPECT_THAT([&] { f.get_string("missing"); },
                ::testing::ThrowsMessage<Error>(::testing::HasSubstr("metadata 'missing' is missing")));
    EXPECT_THAT([&] { f.get_array_or("ints", ValueType::String); },
                ::testing::ThrowsMessage<Error>(::testing::HasSubstr("must be an array of string, got an array of int32")));
  }
}

TEST(GgufFile, TensorInfosOffsetsAndAlignment) {
  for (std::uint64_t alignment : {32ull, 64ull, 8ull}) {
    GgufWriter w;
    w.alignment = alignment;
    if (alignment != 32) w.add("general.alignment", gguf_u32(static_cast<std::uint32_t>(alignment)));
    w.add("general.architecture", gguf_str("llama"));
    w.add_tensor("a", {3}, 0, floats({1, 2, 3}));
    w.add_tensor("b", {2, 2}, 0, floats({4, 5, 6, 7}));
    w.add_tensor("c", {32, 2}, 8, std::string(2 * 34, '\0'));  // Q8_0: 2 blocks of 34 bytes
    const auto dir = gguf_test::fresh_dir("align");
    w.write(dir / "m.gguf");
    const GgufFile f = GgufFile::open(dir / "m.gguf");
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.data_offset() % alignment, 0u);
    ASSERT_EQ(f.tensors().size(), 3u);
    const gguf::TensorInfo* b = f.tensor("b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->shape(), (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(b->nbytes, 16u);
    EXPECT_EQ(b->offset % alignment, 0u);
    float v[4];
    std::memcpy(v, f.tensor_data(*b), 16);
    EXPECT_EQ(v[0], 4.0f);
    EXPECT_EQ(v[3], 7.0f);
    EXPECT_EQ(f.tensor("c")->nbytes, 68u);
    EXPECT_EQ(f.tensor("c")->shape(), (std::vector<std::int64_t>{2, 32}));
    EXPECT_EQ(f.tensor("absent"), nullptr);
  }
}
