#include "tokenizer/bpe_tokenizer.hpp"

#include <algorithm>
#include <utility>

#include "tokenizer/bpe_tokenizer_impl.hpp"
#include "tokenizer/utf8.hpp"

namespace socrates {

BpeTokenizer::BpeTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTokenizer::~BpeTokenizer() = default;

tok::WordCache& BpeTokenizer::Impl::thread_cache() const {
  // A few caches per thread, one per tokenizer instance most recently used on it.
  struct Entry {
    std::uint64_t owner;
    std::unique_ptr<tok::WordCache> cache;
  };
  thread_local std::vector<Entry> caches;
  for (std::size_t i = 0; i < caches.size(); ++i)
    if (caches[i].owner == instance_id) {
      if (i != 0) std::swap(caches[i], caches[0]);  // keep the hot one first
      return *caches[0].cache;
    }
  constexpr std::size_t kMaxCaches = 4;
  if (caches.size() == kMaxCaches) caches.pop_back();
  caches.insert(caches.begin(), Entry{instance_id, std::make_unique<tok::WordCache>()});
  return *caches[0].cache;
}

void BpeTokenizer::Impl::encode_word(std::string_view word, tok::WordCache& cache,
                                     std::vector<std::int32_t>& out) const {
  if (word.size() == 1) {  // cheaper than a cache probe
    model.encode_word(word, out);
    return;
  }
  const std::uint64_t h = tok::hash_bytes(word);
  std::size_t count = 0;
  if (const std::int32_t* hit = cache.find(word, h, count)) {
    out.insert(out.end(), hit, hit + count);
    return;
  }
  const std::size_t before = out.size();
  model.encode_word(word, out);
  cache.insert(word, h, out.data() + before, out.size() - before);
}

void BpeTokenizer::encode_into(std::string_view text, std::vector<std::int32_t>& out) const {
  std::string repaired;
  if (!tok::utf8::is_valid(text)) {
    repaired = tok::utf8::lossy(text);
    text = repaired;
  }
  const Impl& im = *impl_;
  tok::WordCache& cache = im.thread_cache();
  auto on_word = [&](std::string_view word) { im.encode_word(word, cache, out); };
  auto on_normalized = [&](std::string_view piece, std::int32_t id) {
    if (id >= 0) out.push_back(id);
    else im.pre_tokenizer.run(piece, on_word);
  };
  std::string normalized;
  auto on_raw = [&](std::string_view piece, std::int32_t id) {
    if (id >= 0) {
      out.push_back(id);
      return;
    }
    const std::string_view norm = im.normalizer.empty() ? piece : im.normalizer.apply(piece, normalized);
    im.normalized_matcher.split(norm, on_normalized);
  };
  im.raw_matcher.split(text, on_raw);
}

std::vector<std::int32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3 + 8);
  encode_into(text, out);
  return out;
}

std::string BpeTokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special) const {
  const Impl& im = *impl_;
  std::string bytes;
  bool first = true;
  for (const std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) + 1 >= im.decoded_off.size()) continue;
    const auto u = static_cast<std::size_t>(id);
    if (!im.is_added[u] && !im.model.id_to_token(id)) continue;
    if (skip_special && im.is_special[u]) continue;
    if (!im.byte_level_decoder && !first) bytes += ' ';  // no decoder: HF joins tokens with spaces
    bytes.append(im.decoded, im.decoded_off[u], im.decoded_off[u + 1] - im.decoded_off[u]);
    first = false;
  }
  if (tok::utf8::is_valid(bytes)) return bytes;
  return tok::utf8::lossy(bytes);
}

std::optional<std::int32_t> BpeTokenizer::token_id(std::string_view token) const {
  if (const auto it = impl_->added_ids.find(token); it != impl_->added_ids.end()) return it->second;
  return impl_->model.token_to_id(token);
}

std::string BpeTokenizer::fingerprint() const { return impl_->fingerprint; }

std::size_t BpeTokenizer::vocab_size() const { return impl_->vocab_size; }

std::optional<std::string_view> BpeTokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= impl_->vocab_size) return std::nullopt;
  if (impl_->is_added[static_cast<std::size_t>(id)]) return std::string_view(impl_->added_text[static_cast<std::size_t>(id)]);
  if (const std::string* t = impl_->model.id_to_token(id)) return std::string_view(*t);
  return std::nullopt;
}

const std::vector<std::int32_t>& BpeTokenizer::special_ids() const { return impl_->special_ids; }

const std::string& BpeTokenizer::source() const { return impl_->source; }

}  // namespace socrates
