// Bad input: each error names the tensor (and the file where one is given).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include <ATen/ATen.h>

#include "fixtures.hpp"
#include "quant/nf4.hpp"
#include "socrates/error.hpp"

using namespace socrates::quant;
using testing::HasSubstr;
using testing::ThrowsMessage;

namespace {

at::Tensor blob(const std::string& s) {
  at::Tensor t = at::empty({static_cast<std::int64_t>(s.size())}, at::kByte);
  std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

std::map<std::string, at::Tensor> good(bool nested = true) {
  at::manual_seed(0);
  QuantOptions opt;
  opt.double_quant = nested;
  return to_state_dict(quantize_4bit(at::randn({32, 40}), opt), "layer.q_proj.weight");
}

const std::string kName = "layer.q_proj.weight";
const std::string kState = kName + ".quant_state.bitsandbytes__nf4";

}  // namespace

TEST(Nf4Errors, CorruptJsonNamesTensorAndFile) {
  auto sd = good();
  sd[kState] = blob("{\"quant_type\": \"nf4\", \"blocksize\": 6");
  EXPECT_THAT([&] { from_state_dict(kName, sd, "shard-1.safetensors"); },
              ThrowsMessage<socrates::Error>(AllOf(HasSubstr("'layer.q_proj.weight'"), HasSubstr("corrupt quant_state JSON"),
                                                   HasSubstr("shard-1.safetensors"))));
  sd[kState] = blob("[1, 2]");
  EXPECT_THAT([&] { from_state_dict(kName, sd); }, ThrowsMessage<socrates::Error>(HasSubstr("not an object")));
}

TEST(Nf4Errors, WrongAbsmaxLength) {
  auto sd = good();
  sd[kName + ".absmax"] = sd[kName + ".absmax"].slice(0, 0, 3).clone();
  EXPECT_THAT([&] { from_state_dict(kName, sd, "model.safetensors"); },
              ThrowsMessage<socrates::Error>(AllOf(HasSubstr("'layer.q_proj.weight' in model.safetensors"),
                                                   HasSubstr("absmax has 3 values, expected 20"))));
  auto plain = good(false);
  plain[kName + ".absmax"] = at::zeros({21});
  EXPECT_THAT([&] { from_state_dict(kName, plain); }, ThrowsMessage<socrates::Error>(HasSubstr("absmax has 21 values")));
  plain[kName + ".absmax"] = at::zeros({20}, at::kByte);
  EXPECT_THAT([&] { from_state_dict(kName, plain); }, ThrowsMessage<socrates::Error>(HasSubstr("absmax must be float32")));
}

TEST(Nf4Errors, UnsupportedBlocksizeAndQuantType) {
  auto sd = good(false);
  sd[kState] = blob(R"({"quant_type": "nf4", "blocksize": 48, "dtype": "float32", "shape": [32, 40]})");
  EXPECT_THAT([&] { from_state_dict(kName, sd); },
              ThrowsMessage<socrates::Error>(AllOf(HasSubstr(kName), HasSubstr("unsupported blocksize 48"))));
  sd[kState] = blob(R"({"quant_type": "int3", "blocksize": 64, "dtype": "float32", "shape": [32, 40]})");
  EXPECT_THAT([&] { from_state_dict(kName, sd); },
              ThrowsMessage<socrates::Error>(AllOf(HasSubstr(kName), HasSubstr("unsupported quant_type 'int3'"))));
  sd[kState] = blob(R"({"quant_type": "nf4", "blocksize": 64, "dtype": "int8", "shape": [32, 40]})");
  EXPECT_THAT([&] { from_state_dict(kName, sd); }, ThrowsMessage<socrates::Error>(HasSubstr("unsupported dtype \"int8\"")));
}

TEST(Nf4Errors, UnsupportedPrequantisedType) {
  auto sd = good(false);
  sd[kName + ".quant_state.bitsandbytes__int8"] = sd[kState];
  sd.erase(kState);
  EXPECT_THAT([&] { from_state_dict(kName, sd, "model.safetensors"); },
              ThrowsMessage<socrates::Error>(AllOf(HasSubstr(kName), HasSubstr("unsupported quantisation 'bitsandbytes__int8'"),
                                                   HasSubstr("model.safetensors"))));
  EXPECT_TRUE(is_saved_4bit(kName, sd));
  EXPECT_FALSE(is_saved_4bit("layer.k_proj.weight", sd));
}

TEST(Nf4Errors, MissingOrInconsistentPieces) {
  auto sd = good();
  sd.erase(kName + ".nested_absmax");
  EXPECT_THAT([&] { from_state_dict(kName, sd); },
              ThrowsMessage<socrates::Error>(HasSubstr("nested_absmax or nested_quant_map is missing")));
  auto plain = good(false);
  plain.erase(kState);
  EXPECT_THAT([&] { from_state_dict(kName, plain); }, ThrowsMessage<socrates::Error>(HasSubstr("no quant_state tensor")));
  auto wrong = good(false);
  wrong[kName] = at::zeros({10, 1}, at::kByte);
  EXPECT_THAT([&] { from_state_dict(kName, wrong); },
              ThrowsMessage<socrates::Error>(HasSubstr("packed weight has 10 bytes, expected 640")));
  auto type_clash = good(false);
  type_clash[kName + ".quant_state.bitsandbytes__fp4"] = type_clash[kState];
  type_clash.erase(kState);
  EXPECT_THAT([&] { from_state_dict(kName, type_clash); }, ThrowsMessage<socrates::Error>(HasSubstr("key says 'fp4'")));
  auto extra = good();
  extra[kState] = blob(R"({"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": [32, 40], "foo": 1})");
  EXPECT_THAT([&] { from_state_dict(kName, extra); }, ThrowsMessage<socrates::Error>(HasSubstr("unknown key 'foo'")));
}

TEST(Nf4Errors, BadQuantiseAndDequantiseArguments) {
  EXPECT_THAT([] { quantize_4bit(at::ones({4, 4}, at::kInt)); }, ThrowsMessage<socrates::Error>(HasSubstr("unsupported dtype")));
  EXPECT_THAT([] { quantize_4bit(at::ones({0, 4})); }, ThrowsMessage<socrates::Error>(HasSubstr("empty tensor")));
  QuantOptions opt;
  opt.blocksize = 100;
  EXPECT_THAT([&] { quantize_4bit(at::ones({4, 4}), opt); }, ThrowsMessage<socrates::Error>(HasSubstr("unsupported blocksize 100")));
  const Nf4Tensor q = quantize_nf4(at::ones({4, 16}));
  EXPECT_THAT([&] { dequantize(q, at::kInt); }, ThrowsMessage<socrates::Error>(HasSubstr("unsupported output dtype")));
  EXPECT_THAT([&] { linear_4bit(at::ones({2, 3}), q); }, ThrowsMessage<socrates::Error>(HasSubstr("input has 3 features")));
  EXPECT_THAT([] { parse_quant_type("int8", "adapter.quant_type"); },
              ThrowsMessage<socrates::Error>(HasSubstr("'adapter.quant_type': unsupported quant_type 'int8'")));
}

TEST(Nf4Errors, PythonFloatFormatting) {
  // json.dumps uses repr(): shortest round-trip digits, exponent below 1e-4 or from 1e16.
  QuantStateInfo info;
  info.shape = {2, 3};
  info.nested = true;
  auto offset_text = [&](double v) {
    info.nested_offset = v;
    const std::string s = emit_quant_state(info);
    return s.substr(s.rfind(": ") + 2, s.size() - s.rfind(": ") - 3);
  };
  EXPECT_EQ(offset_text(0.5), "0.5");
  EXPECT_EQ(offset_text(2.0), "2.0");
  EXPECT_EQ(offset_text(0.0001220703125), "0.0001220703125");
  EXPECT_EQ(offset_text(1.52587890625e-05), "1.52587890625e-05");
  EXPECT_EQ(offset_text(static_cast<float>(0.1)), "0.10000000149011612");
  EXPECT_EQ(offset_text(1152921504606846976.0), "1.152921504606847e+18");
  EXPECT_EQ(offset_text(-3.0), "-3.0");
  EXPECT_EQ(emit_quant_state(QuantStateInfo{}).find("nested"), std::string::npos);
}
