#include "data/inspect.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "socrates/error.hpp"

namespace socrates {

namespace {
std::string describe(const Example& ex) {
  return fmt::format("sample_id {} (study {}, condition {}, task {}, participant {})", ex.sample_id, ex.study_id,
                     ex.condition_num, ex.task_num, ex.participant);
}

std::string labelled_text(const TokenizedSet& set, std::size_t i, const Tokenizer& tok) {
  std::vector<std::int32_t> ids;
  for (std::int32_t l : set.labels(i))
    if (l != kIgnoreIndex) ids.push_back(l);
  return tok.decode(ids);
}

// A token's text with newlines and tabs made visible.
std::string piece(std::string s) {
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : std::string(1, c);
  return "'" + out + "'";
}

struct Quantiles {
  double mean = 0;
  std::int64_t p50 = 0, p95 = 0, max = 0;
};
Quantiles quantiles(std::vector<std::int64_t> v) {
  Quantiles q;
  if (v.empty()) return q;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  q.mean = sum / static_cast<double>(v.size());
  q.p50 = v[v.size() / 2];
  q.p95 = v[std::min(v.size() - 1, v.size() * 95 / 100)];
  q.max = v.back();
  return q;
}
}  // namespace

std::vector<std::string> check_examples(const Dataset& data, Partition part, const TokenizedSet& set,
                                        const PromptFormat& format, const Tokenizer& tok, std::size_t deep_limit) {
  const std::size_t n = set.size();
  if (n != data.size(part)) {
    throw Error(fmt::format("token cache {} has {} examples but the {} partition has {}; delete it and rerun",
                            set.file().string(), n, to_string(part), data.size(part)));
  }
  for (std::size_t i = 0; i < n; ++i) {
    bool any = false;
    for (std::int32_t l : set.labels(i)) any |= l != kIgnoreIndex;
    if (!any) {
      throw Error("example " + describe(data.get(part, i)) +
                  " has no tokens that carry loss (fully masked): check the prompt format and data.max_seq_len");
    }
  }
  std::set<std::string> responses;
  const std::size_t stride = std::max<std::size_t>(1, n / std::max<std::size_t>(1, deep_limit));
  for (std::size_t i = 0; i < n; i += stride) {
    const Example ex = data.get(part, i);
    if (!ex.response) throw Error("example " + describe(ex) + " has no response (the label)");
    const std::string want = format.render_response(ex);
    if (want.empty()) throw Error("example " + describe(ex) + ": the prompt format renders an empty response");
    const std::string got = labelled_text(set, i, tok);
    if (got.rfind(want, 0) != 0) {
      throw Error(fmt::format("example {}: the tokens that carry loss decode to \"{}\", but the response is \"{}\" "
                              "(is the loss on the wrong field?)",
                              describe(ex), got, want));
    }
    if (ex.scale_min && ex.scale_max &&
        (static_cast<double>(*ex.response) < *ex.scale_min || static_cast<double>(*ex.response) > *ex.scale_max)) {
      throw Error(fmt::format("example {}: response {} is outside the stated scale {}..{}", describe(ex),
                              *ex.response, *ex.scale_min, *ex.scale_max));
    }
    responses.insert(want);
  }
  std::vector<std::string> warnings;
  if (n > 20 && responses.size() == 1) {
    warnings.push_back("every checked example has the same response \"" + *responses.begin() +
                       "\": is the label column right?");
  }
  return warnings;
}

std::string render_example(const Dataset& data, Partition part, std::size_t i, const TokenizedSet& set,
                           const Tokenizer& tok) {
  const Example ex = data.get(part, i);
  std::ostringstream os;
  os << "── example " << i << ": " << describe(ex) << ", response "
     << (ex.response ? std::to_string(*ex.response) : "none") << (set.truncated(i) ? " [prompt truncated]" : "")
     << "\n";
  auto ids = set.ids(i);
  auto labels = set.labels(i);
  std::vector<std::int32_t> prompt_ids, loss_ids;
  for (std::size_t t = 0; t < ids.size(); ++t) (labels[t] == kIgnoreIndex ? prompt_ids : loss_ids).push_back(ids[t]);
  os << tok.decode(prompt_ids) << "⟦" << tok.decode(loss_ids) << "⟧\n";
  os << fmt::format("   {} tokens, {} carry loss (marked ⟦ ⟧): ", ids.size(), loss_ids.size());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (t == 6 && ids.size() > 12 && labels[t] == kIgnoreIndex) {
      std::size_t skip = t;
      while (skip < ids.size() && labels[skip] == kIgnoreIndex && skip + 4 < ids.size()) ++skip;
      os << "… ";
      t = skip - 1;
      continue;
    }
    const bool loss = labels[t] != kIgnoreIndex;
    os << (loss ? "⟦" : "") << ids[t] << ":" << piece(tok.decode({ids[t]})) << (loss ? "⟧ " : " ");
  }
  os << "\n";
  return os.str();
}

std::string dataset_stats(const Dataset& data, Partition part, const TokenizedSet& set, double padding_ratio) {
  std::set<std::string> studies;
  std::vector<std::int64_t> prompt_len, response_len;
  for (std::size_t i = 0; i < set.size(); ++i) {
    std::int64_t loss = 0;
    for (std::int32_t l : set.labels(i)) loss += l != kIgnoreIndex;
    response_len.push_back(loss);
    prompt_len.push_back(set.length(i) - loss);
  }
  for (std::size_t i = 0; i < data.size(part); ++i) studies.insert(data.get(part, i).study_id);
  const Quantiles p = quantiles(prompt_len), r = quantiles(response_len);
  return fmt::format(
      "{}: {} rows, {} studies; prompt tokens mean {:.1f} / p50 {} / p95 {} / max {}; response tokens mean {:.2f} / "
      "max {}; {} truncated; padding {:.1f}% of batch slots",
      to_string(part), set.size(), studies.size(), p.mean, p.p50, p.p95, p.max, r.mean, r.max,
      set.stats().truncated, 100.0 * padding_ratio);
}

}  // namespace socrates
