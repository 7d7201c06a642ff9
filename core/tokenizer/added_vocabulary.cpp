#include "tokenizer/added_vocabulary.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "tokenizer/utf8.hpp"

namespace socrates::tok {

namespace {

// HF's checks use Rust regex ^\w, \w$, ^\s*, \s*$ (Unicode).
bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  std::size_t j = i;
  return utf8::is_word_char(utf8::next(s, j));
}

bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = 0;
  return utf8::is_word_char(utf8::next(s, i));
}

// Start of the run of white space that ends `s`.
std::size_t space_leftmost_at_end(std::string_view s) {
  std::size_t start = s.size();
  while (start > 0) {
    std::size_t i = start - 1;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    std::size_t j = i;
    if (!utf8::is_white_space(utf8::next(s, j))) break;
    start = i;
  }
  return start;
}

// Length of the run of white space that starts `s`.
std::size_t space_rightmost_at_start(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    if (!utf8::is_white_space(utf8::next(s, j))) break;
    i = j;
  }
  return i;
}

}  // namespace

void AddedTokenMatcher::build(std::vector<std::string> patterns, std::vector<const AddedToken*> tokens) {
  tokens_ = std::move(tokens);
  first_byte_.fill(false);
  // Build a byte trie with sorted, contiguous edge lists (map-based first, then flattened).
  std::vector<std::map<unsigned char, std::int32_t>> children(1);
  std::vector<std::int32_t> ends(1, -1);
  for (std::size_t t = 0; t < patterns.size(); ++t) {
    const std::string& p = patterns[t];
    if (p.empty()) continue;
    first_byte_[static_cast<unsigned char>(p[0])] = true;
    std::int32_t node = 0;
    for (const char ch : p) {
      const auto b = static_cast<unsigned char>(ch);
      auto it = children[node].find(b);
      if (it == children[node].end()) {
        const auto next = static_cast<std::int32_t>(children.size());
        children[node].emplace(b, next);
        children.emplace_back();
        ends.push_back(-1);
        node = next;
      } else {
        node = it->second;
      }
    }
    if (ends[node] < 0) ends[node] = static_cast<std::int32_t>(t);  // first pattern wins on duplicates
  }
  nodes_.assign(children.size(), Node{});
  edges_.clear();
  for (std::size_t n = 0; n < children.size(); ++n) {
    nodes_[n].first_child = static_cast<std::int32_t>(edges_.size());
    nodes_[n].edge_count = static_cast<std::int32_t>(children[n].size());
    nodes_[n].token = ends[n];
    for (const auto& [b, child] : children[n]) edges_.push_back({b, child});
  }
}

std::int32_t AddedTokenMatcher::longest_at(std::string_view text, std::size_t pos, std::size_t& len) const {
  std::int32_t node = 0, best = -1;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    const Node& n = nodes_[node];
    const Edge* first = edges_.data() + n.first_child;
    const Edge* last = first + n.edge_count;
    const Edge* e = std::lower_bound(first, last, b, [](const Edge& x, unsigned char v) { return x.byte < v; });
    if (e == last || e->byte != b) break;
    node = e->node;
    if (nodes_[node].token >= 0) {
      best = nodes_[node].token;
      len = i + 1 - pos;
    }
  }
  return best;
}

void AddedTokenMatcher::split(std::string_view text,
                              FunctionRef<void(std::string_view piece, std::int32_t id)> emit) const {
  if (tokens_.empty()) {
    if (!text.empty()) emit(text, -1);
    return;
  }
  std::size_t start_offset = 0;  // end of the last emitted piece
  std::size_t pos = 0;           // where the search for the next match resumes
  while (pos < text.size()) {
    // Leftmost match; at that position the longest pattern (aho-corasick LeftmostLongest).
    std::size_t len = 0;
    std::int32_t t = -1;
    for (; pos < text.size(); ++pos) {
      if (!first_byte_[static_cast<unsigned char>(text[pos])]) continue;
      t = longest_at(text, pos, len);
      if (t >= 0) break;
    }
    if (t < 0) break;
    std::size_t start = pos, stop = pos + len;
    pos = stop;  // non-overlapping, as find_iter
    const AddedToken& tok = *tokens_[t];
    if (tok.single_word) {
      const bool start_space = start == 0 || !ends_with_word(text.substr(0, start));
      const bool stop_space = stop == text.size() || !starts_with_word(text.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) start = std::max(space_leftmost_at_end(text.substr(0, start)), start_offset);
    if (tok.rstrip) stop += space_rightmost_at_start(text.substr(stop));
    if (start_offset < start) emit(text.substr(start_offset, start - start_offset), -1);
    emit(text.substr(start, stop - start), tok.id);
    start_offset = stop;
    pos = std::max(pos, stop);
  }
  if (start_offset < text.size()) emit(text.substr(start_offset), -1);
}

}  // namespace socrates::tok
