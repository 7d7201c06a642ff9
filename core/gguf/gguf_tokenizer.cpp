#include "gguf/gguf_tokenizer.hpp"

#include <unordered_map>

#include <nlohmann/json.hpp>

namespace socrates::gguf {

using nlohmann::json;

namespace {

// llama_token_type of llama.cpp.
enum TokenType : std::int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

const char* const kHint = "; import with --skip-tokenizer and use the model's Hugging Face tokenizer.json";

// transformers' Split patterns for the pre-tokenizers llama.cpp names (llama-vocab.cpp).
const char* const kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char* const kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}
json split(const char* pattern) {
  return {{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}};
}

struct PreTokenizer {
  json normalizer = nullptr;
  json pre_tokenizer;
  bool ignore_merges = false;
};

PreTokenizer pre_tokenizer_for(const GgufFile& f, const std::string& pre) {
  PreTokenizer p;
  if (pre == "gpt-2") {
    p.pre_tokenizer = byte_level(true);
  } else if (pre == "smollm" || pre == "starcoder" || pre == "refact") {
    // llama.cpp: "\p{N}" then the GPT-2 pattern = transformers' Digits(individual) + ByteLevel.
    p.pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)}}};
  } else if (pre == "qwen2") {
    p.normalizer = {{"type", "NFC"}};
    p.pre_tokenizer = {{"type", "Sequence"}, {"pretokenizers", {split(kQwen2Pattern), byte_level(false)}}};
  } else if (pre == "llama-bpe") {
    p.pre_tokenizer = {{"type", "Sequence"}, {"pretokenizers", {split(kLlama3Pattern), byte_level(false)}}};
    p.ignore_merges = true;
  } else {
    f.fail("tokenizer.ggml.pre is \"" + pre + "\", a pre-tokenizer the import does not know (supported: " +
           supported_pre_tokenizers() + ")" + kHint);
  }
  return p;
}

}  // namespace

const char* supported_pre_tokenizers() { return "gpt-2, smollm, starcoder, refact, qwen2, llama-bpe"; }

TokenizerFiles hf_tokenizer(const GgufFile& f, std::int64_t context_length) {
  const auto model = f.get_string_or("tokenizer.ggml.model");
  if (!model) f.fail("metadata 'tokenizer.ggml.model' is missing: the file has no tokenizer" + std::string(kHint));
  if (*model != "gpt2")
    f.fail("tokenizer.ggml.model is \"" + *model + "\"; the import rebuilds byte-level BPE tokenizers (\"gpt2\") only" +
           kHint);
  const std::string pre = f.get_string_or("tokenizer.ggml.pre").value_or("gpt-2");
  const PreTokenizer p = pre_tokenizer_for(f, pre);

  const Array* tokens = f.get_array_or("tokenizer.ggml.tokens", ValueType::String);
  if (!tokens || tokens->items.empty()) f.fail("metadata 'tokenizer.ggml.tokens' is missing or empty" + std::string(kHint));
  const Array* merges = f.get_array_or("tokenizer.ggml.merges", ValueType::String);
  if (!merges) f.fail("metadata 'tokenizer.ggml.merges' is missing (a BPE tokenizer needs it)" + std::string(kHint));
  const Array* types = f.get_array_or("tokenizer.ggml.token_type", ValueType::Int32);
  if (types && types->items.size() != tokens->items.size())
    f.fail("tokenizer.ggml.token_type has " + std::to_string(types->items.size()) + " entries but tokenizer.ggml.tokens has " +
           std::to_string(tokens->items.size()));
  const auto n = static_cast<std::int64_t>(tokens->items.size());

  auto token_name = [&](const char* key) -> std::optional<std::string> {
    const auto id = f.get_int_or(std::string("tokenizer.ggml.") + key);
    if (!id) return std::nullopt;
    if (*id < 0 || *id >= n)
      f.fail(std::string("metadata 'tokenizer.ggml.") + key + "' is " + std::to_string(*id) + ", outside the " +
             std::to_string(n) + " tokens");
    return *tokens->items[static_cast<std::size_t>(*id)].to_string();
  };

  json vocab = json::object();
  json added = json::array();
  json added_decoder = json::object();
  std::unordered_map<std::string, std::int64_t> seen;
  for (std::int64_t id = 0; id < n; ++id) {
    const std::string& text = *tokens->items[static_cast<std::size_t>(id)].to_string();
    const std::int64_t type = types ? types->items[static_cast<std::size_t>(id)].to_int().value_or(kNormal) : kNormal;
    if (!seen.emplace(text, id).second) continue;  // a duplicate string keeps its first id, as HF's vocab does
    vocab[text] = id;
    if (type == kControl || type == kUnknown || type == kUserDefined) {
      const bool special = type != kUserDefined;
      json t = {{"id", id},          {"content", text}, {"single_word", false}, {"lstrip", false},
                {"rstrip", false},   {"normalized", false}, {"special", special}};
      added_decoder[std::to_string(id)] = {{"content", text},       {"lstrip", false},   {"normalized", false},
                                           {"rstrip", false},       {"single_word", false}, {"special", special}};
      added.push_back(std::move(t));
    }
  }

  json merge_list = json::array();
  for (std::size_t i = 0; i < merges->items.size(); ++i) {
    const std::string& m = *merges->items[i].to_string();
    const auto sp = m.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == m.size() || m.find(' ', sp + 1) != std::string::npos)
      f.fail("tokenizer.ggml.merges[" + std::to_string(i) + "] is \"" + m + "\", not two tokens separated by one space");
    merge_list.push_back({m.substr(0, sp), m.substr(sp + 1)});
  }

  const auto unk = token_name("unknown_token_id");
  json tok = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", p.normalizer},
      {"pre_tokenizer", p.pre_tokenizer},
      {"post_processor", nullptr},
      {"decoder", byte_level(true)},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", unk ? json(*unk) : json(nullptr)},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", p.ignore_merges},
        {"vocab", std::move(vocab)},
        {"merges", std::move(merge_list)}}},
  };

  json cfg = {
      {"add_bos_token", f.get_bool_or("tokenizer.ggml.add_bos_token", false)},
      {"add_eos_token", f.get_bool_or("tokenizer.ggml.add_eos_token", false)},
      {"added_tokens_decoder", added_decoder},
      {"clean_up_tokenization_spaces", false},
      {"model_max_length", context_length},
      {"tokenizer_class", "PreTrainedTokenizerFast"},
  };
  const std::pair<const char*, const char*> roles[] = {{"bos_token", "bos_token_id"},
                                                        {"eos_token", "eos_token_id"},
                                                        {"pad_token", "padding_token_id"},
                                                        {"unk_token", "unknown_token_id"}};
  for (const auto& [name, key] : roles)
    if (const auto t = token_name(key)) cfg[name] = *t;
  if (const auto tmpl = f.get_string_or("tokenizer.chat_template")) cfg["chat_template"] = *tmpl;

  TokenizerFiles out;
  try {
    out.tokenizer_json = tok.dump(2) + "\n";
    out.tokenizer_config_json = cfg.dump(2) + "\n";
  } catch (const json::type_error&) {
    f.fail("a token, merge or the chat template is not valid UTF-8; the file is corrupt" + std::string(kHint));
  }
  out.vocab = n;
  out.added_tokens = static_cast<std::int64_t>(added.size());
  out.pre = pre;
  return out;
}

}  // namespace socrates::gguf
