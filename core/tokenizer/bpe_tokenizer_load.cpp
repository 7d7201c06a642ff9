// BpeTokenizer::from_file / from_json_text: builds every component from tokenizer.json.
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/bpe_tokenizer_impl.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/tokenizer_file.hpp"

namespace socrates {

namespace {

using nlohmann::json;

std::atomic<std::uint64_t> g_next_instance{1};

constexpr const char* kFixHint =
    "; use a complete tokenizer.json as saved by Hugging Face tokenizers (see core/tokenizer/bpe_tokenizer.hpp for "
    "the supported components)";

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw Error("tokenizer " + source + ": " + what);
}

bool flag(const json& j, const char* key, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw std::invalid_argument(std::string("\"") + key + "\" must be a boolean");
  return j[key].get<bool>();
}

bool is_type(const json& j, const char* type) {
  return j.is_object() && j.contains("type") && j["type"].is_string() && j["type"].get<std::string>() == type;
}

// True for a ByteLevel decoder (alone or as the one entry of a Sequence), false for none.
bool parse_decoder(const json& d) {
  if (d.is_null()) return false;
  if (is_type(d, "ByteLevel")) return true;
  if (is_type(d, "Sequence") && d.contains("decoders") && d["decoders"].is_array() && d["decoders"].size() == 1 &&
      is_type(d["decoders"][0], "ByteLevel"))
    return true;
  const std::string type = d.is_object() && d.contains("type") && d["type"].is_string() ? d["type"].get<std::string>() : d.dump();
  throw std::invalid_argument("type \"" + type + "\" is not supported (supported: ByteLevel, null)");
}

std::vector<tok::AddedToken> parse_added_tokens(const json& root, const tok::BpeModel& model) {
  std::vector<tok::AddedToken> out;
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return out;
  const json& arr = root["added_tokens"];
  if (!arr.is_array()) throw std::invalid_argument("\"added_tokens\" must be an array");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const json& t = arr[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
      throw std::invalid_argument(where + " has no \"content\" string");
    tok::AddedToken a;
    a.content = t["content"].get<std::string>();
    if (a.content.empty()) continue;  // HF ignores empty added tokens
    try {
      a.special = flag(t, "special", false);
      a.normalized = flag(t, "normalized", !a.special);
      a.lstrip = flag(t, "lstrip", false);
      a.rstrip = flag(t, "rstrip", false);
      a.single_word = flag(t, "single_word", false);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
    // Ids as HF's AddedVocabulary::add_tokens assigns them (the "id" written in the file is
    // not used): an added or model token keeps its id, a new one gets the next free id
    // after the model's vocabulary.
    auto same = [&](const tok::AddedToken& b) { return b.content == a.content; };
    if (const auto it = std::find_if(out.begin(), out.end(), same); it != out.end()) {
      a.id = it->id;
      *it = a;  // a later entry for the same content replaces the earlier one
      continue;
    }
    if (const auto id = model.token_to_id(a.content)) {
      a.id = *id;
    } else {
      std::int64_t next = static_cast<std::int64_t>(model.size());
      for (const auto& b : out)
        if (b.id >= static_cast<std::int64_t>(model.size())) next = std::max<std::int64_t>(next, b.id + 1);
      a.id = static_cast<std::int32_t>(next);
    }
    out.push_back(std::move(a));
  }
  return out;
}

void build_added(BpeTokenizer::Impl& im) {
  std::vector<std::string> raw_patterns, norm_patterns;
  std::vector<const tok::AddedToken*> raw_tokens, norm_tokens;
  // HF orders the tries with the special tokens first, then the others.
  std::vector<const tok::AddedToken*> order;
  for (const auto& a : im.added)
    if (a.special) order.push_back(&a);
  for (const auto& a : im.added)
    if (!a.special) order.push_back(&a);
  for (const tok::AddedToken* a : order) {
    if (a->normalized) {
      std::string scratch;
      const std::string_view n = im.normalizer.empty() ? std::string_view(a->content) : im.normalizer.apply(a->content, scratch);
      norm_patterns.emplace_back(n);
      norm_tokens.push_back(a);
    } else {
      raw_patterns.push_back(a->content);
      raw_tokens.push_back(a);
    }
    im.added_ids[a->content] = a->id;
  }
  im.raw_matcher.build(std::move(raw_patterns), std::move(raw_tokens));
  im.normalized_matcher.build(std::move(norm_patterns), std::move(norm_tokens));
}

void build_decode_tables(BpeTokenizer::Impl& im) {
  std::int64_t max_id = im.model.max_id();
  for (const auto& a : im.added) max_id = std::max<std::int64_t>(max_id, a.id);
  im.vocab_size = static_cast<std::size_t>(max_id + 1);
  im.is_special.assign(im.vocab_size, 0);
  im.is_added.assign(im.vocab_size, 0);
  im.added_text.assign(im.vocab_size, std::string());
  tok::TokenIdMap special_contents;
  for (const auto& a : im.added) {
    const auto u = static_cast<std::size_t>(a.id);
    im.is_added[u] = 1;
    im.added_text[u] = a.content;
    if (a.special) {
      special_contents.emplace(a.content, a.id);
      im.special_ids.push_back(a.id);
    }
  }
  std::sort(im.special_ids.begin(), im.special_ids.end());
  im.special_ids.erase(std::unique(im.special_ids.begin(), im.special_ids.end()), im.special_ids.end());

  const auto& alpha = tok::ByteLevelAlphabet::get();
  im.decoded_off.assign(im.vocab_size + 1, 0);
  im.decoded.clear();
  std::string scratch;
  for (std::size_t id = 0; id < im.vocab_size; ++id) {
    im.decoded_off[id] = static_cast<std::uint32_t>(im.decoded.size());
    const std::string* stored = im.is_added[id] ? &im.added_text[id] : im.model.id_to_token(static_cast<std::int32_t>(id));
    if (!stored) continue;
    // HF decodes a normalized added token from its normalized form, and skips a token as
    // special when that text is the content of a special added token.
    std::string_view text = *stored;
    if (im.is_added[id] && !im.normalizer.empty()) {
      const auto it = std::find_if(im.added.begin(), im.added.end(), [&](const tok::AddedToken& a) { return a.id == static_cast<std::int32_t>(id); });
      if (it != im.added.end() && it->normalized) text = im.normalizer.apply(*stored, scratch);
    }
    im.is_special[id] = special_contents.count(text) ? 1 : 0;
    // ByteLevel decoder: the bytes a token stands for; a token with a character outside
    // the byte alphabet is kept as written (HF does the same).
    if (!im.byte_level_decoder || !alpha.decode(text, im.decoded)) im.decoded += text;
  }
  im.decoded_off[im.vocab_size] = static_cast<std::uint32_t>(im.decoded.size());
}

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::filesystem::path& path) {
  const std::filesystem::path file = tok::locate_tokenizer_json(path);
  const std::string bytes = tok::read_file_bytes(file);
  return from_json_text(bytes, file.string());
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_json_text(std::string_view text, const std::string& source) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    fail(source, std::string("not valid JSON (") + e.what() +
                     "); pass a Hugging Face tokenizer.json (re-download it or re-save it with tokenizers)");
  }
  if (!root.is_object()) fail(source, "the top level is not a JSON object; pass a Hugging Face tokenizer.json");
  if (!root.contains("model"))
    fail(source, "no \"model\" section; this is not a Hugging Face tokenizer.json (tokenizer_config.json or "
                 "vocab.json alone are not enough: pass the tokenizer.json next to them)");

  auto im = std::make_unique<Impl>();
  im->source = source;
  im->fingerprint = "sha256:" + tok::sha256_hex(text);
  im->instance_id = g_next_instance.fetch_add(1);
  std::string component = "normalizer";
  try {
    im->normalizer = tok::Normalizer::from_json(root.value("normalizer", json()));
    component = "pre_tokenizer";
    im->pre_tokenizer = tok::PreTokenizer::from_json(root.value("pre_tokenizer", json()));
    component = "model";
    im->model = tok::BpeModel::from_json(root["model"], im->pre_tokenizer.byte_level());
    component = "decoder";
    im->byte_level_decoder = parse_decoder(root.value("decoder", json()));
    component = "added_tokens";
    im->added = parse_added_tokens(root, im->model);
  } catch (const std::invalid_argument& e) {
    fail(source, component + ": " + e.what() + kFixHint);
  } catch (const json::exception& e) {
    fail(source, component + ": unexpected JSON shape (" + e.what() + ")" + kFixHint);
  }
  build_added(*im);
  build_decode_tables(*im);
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(std::move(im)));
}

}  // namespace socrates
