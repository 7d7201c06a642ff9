#include "tokenizer/pretokenizer.hpp"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tokenizer/utf8.hpp"

namespace socrates::tok {

namespace {

SplitBehavior parse_behavior(const std::string& b) {
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  throw std::invalid_argument("pre_tokenizer Split: unknown behavior \"" + b + "\"");
}

bool get_bool(const nlohmann::json& j, const char* key, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw std::invalid_argument(std::string("pre_tokenizer: \"") + key + "\" must be a boolean");
  return j[key].get<bool>();
}

struct Piece {
  std::size_t start, end;
  bool is_match;
};

// Onig-style find_iter over `text`: every match, plus the gaps between them (HF's
// Pattern::find_matches), with the invert flag applied.
void find_pieces(const Regex& re, std::string_view text, bool invert, std::vector<Piece>& out) {
  out.clear();
  if (text.empty()) {
    out.push_back({0, 0, invert});
    return;
  }
  std::size_t prev = 0, from = 0, s = 0, e = 0;
  while (from <= text.size() && re.find(text, from, s, e)) {
    if (prev != s) out.push_back({prev, s, invert});
    out.push_back({s, e, !invert});
    prev = e;
    if (e == s) {
      if (e >= text.size()) break;
      std::size_t next = e;
      utf8::next(text, next);
      from = next;
    } else {
      from = e;
    }
  }
  if (prev != text.size()) out.push_back({prev, text.size(), invert});
}

// Applies the split behavior in place: out holds (start, end) ranges afterwards.
void apply_behavior(SplitBehavior behavior, std::vector<Piece>& pieces) {
  std::vector<Piece> acc;
  acc.reserve(pieces.size());
  switch (behavior) {
    case SplitBehavior::Isolated:
      return;
    case SplitBehavior::Removed:
      for (const Piece& p : pieces)
        if (!p.is_match) acc.push_back(p);
      break;
    case SplitBehavior::Contiguous: {
      bool previous = false;
      for (const Piece& p : pieces) {
        if (p.is_match == previous && !acc.empty()) acc.back().end = p.end;
        else acc.push_back(p);
        previous = p.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous = false;
      for (const Piece& p : pieces) {
        if (p.is_match && !previous && !acc.empty()) acc.back().end = p.end;
        else acc.push_back(p);
        previous = p.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous = false;
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous && !acc.empty()) acc.back().start = it->start;
        else acc.push_back(*it);
        previous = it->is_match;
      }
      std::reverse(acc.begin(), acc.end());
      break;
    }
  }
  pieces.swap(acc);
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& j) {
  PreTokenizer p;
  p.add(j);
  return p;
}

void PreTokenizer::add(const nlohmann::json& j) {
  if (j.is_null()) return;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw std::invalid_argument("pre_tokenizer: expected an object with a \"type\"");
  const std::string type = j["type"].get<std::string>();
  if (byte_level_)
    throw std::invalid_argument("pre_tokenizer " + type +
                                " after ByteLevel is not supported (ByteLevel must be the last pre-tokenizer)");
  if (type == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
      throw std::invalid_argument("pre_tokenizer Sequence: missing \"pretokenizers\" array");
    for (const auto& sub : j["pretokenizers"]) add(sub);
  } else if (type == "Split") {
    if (!j.contains("pattern") || !j["pattern"].is_object())
      throw std::invalid_argument("pre_tokenizer Split: missing \"pattern\" object");
    const auto& pat = j["pattern"];
    Step s;
    if (pat.contains("Regex") && pat["Regex"].is_string()) {
      s.regex = std::make_shared<Regex>(pat["Regex"].get<std::string>(), false);
    } else if (pat.contains("String") && pat["String"].is_string()) {
      s.regex = std::make_shared<Regex>(pat["String"].get<std::string>(), true);
    } else {
      throw std::invalid_argument("pre_tokenizer Split: \"pattern\" must hold \"Regex\" or \"String\"");
    }
    s.behavior = parse_behavior(j.value("behavior", std::string("Isolated")));
    s.invert = get_bool(j, "invert", false);
    steps_.push_back(std::move(s));
  } else if (type == "ByteLevel") {
    if (get_bool(j, "add_prefix_space", true)) steps_.push_back(Step{Step::kPrefixSpace, nullptr, {}, false});
    if (get_bool(j, "use_regex", true))
      steps_.push_back(Step{Step::kSplit, std::make_shared<Regex>(kGpt2Pattern, false), SplitBehavior::Isolated, false});
    byte_level_ = true;
  } else if (type == "Digits") {
    const bool individual = get_bool(j, "individual_digits", false);
    steps_.push_back(Step{Step::kSplit, std::make_shared<Regex>(individual ? "\\p{N}" : "\\p{N}+", false),
                          SplitBehavior::Isolated, false});
  } else if (type == "WhitespaceSplit") {
    steps_.push_back(Step{Step::kSplit, std::make_shared<Regex>("\\s+", false), SplitBehavior::Removed, false});
  } else {
    throw std::invalid_argument("pre_tokenizer type \"" + type +
                                "\" is not supported (supported: Sequence, Split, ByteLevel, Digits, "
                                "WhitespaceSplit, null)");
  }
}

void PreTokenizer::run(std::string_view text, FunctionRef<void(std::string_view)> emit) const {
  if (text.empty()) return;
  run_step(0, text, emit);
}

void PreTokenizer::run_step(std::size_t step, std::string_view text, FunctionRef<void(std::string_view)> emit) const {
  if (step == steps_.size()) {
    emit(text);
    return;
  }
  const Step& st = steps_[step];
  if (st.kind == Step::kPrefixSpace) {
    if (text.front() == ' ') {
      run_step(step + 1, text, emit);
    } else {
      std::string spaced;
      spaced.reserve(text.size() + 1);
      spaced += ' ';
      spaced += text;
      run_step(step + 1, spaced, emit);
    }
    return;
  }
  if (st.behavior == SplitBehavior::Isolated && !st.invert) {
    // Hot path: stream gaps and matches without collecting them.
    std::size_t prev = 0, from = 0, s = 0, e = 0;
    while (from <= text.size() && st.regex->find(text, from, s, e)) {
      if (prev != s) run_step(step + 1, text.substr(prev, s - prev), emit);
      if (e != s) {
        run_step(step + 1, text.substr(s, e - s), emit);
        from = e;
      } else {
        if (e >= text.size()) break;
        std::size_t next = e;
        utf8::next(text, next);
        from = next;
      }
      prev = e;
    }
    if (prev != text.size()) run_step(step + 1, text.substr(prev), emit);
    return;
  }
  std::vector<Piece> pieces;
  find_pieces(*st.regex, text, st.invert, pieces);
  apply_behavior(st.behavior, pieces);
  for (const Piece& p : pieces)
    if (p.end > p.start) run_step(step + 1, text.substr(p.start, p.end - p.start), emit);
}

}  // namespace socrates::tok
