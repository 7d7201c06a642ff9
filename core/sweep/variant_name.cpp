#include "sweep/variant_name.hpp"

#include <algorithm>
#include <map>

#include "config/toml_value.hpp"

namespace socrates::sweep {

namespace {

std::vector<std::string> segments(const std::string& key) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= key.size()) {
    std::size_t end = key.find('.', pos);
    if (end == std::string::npos) end = key.size();
    std::string seg = key.substr(pos, end - pos);
    if (auto lb = seg.find('['); lb != std::string::npos) seg = seg.substr(0, lb) + seg.substr(lb + 1, seg.size() - lb - 2);
    out.push_back(seg);
    pos = end + 1;
  }
  return out;
}

std::string abbreviate(const std::string& word) {
  static const std::map<std::string, std::string> short_names = {
      {"fraction", "frac"},          {"validation_fraction", "valfrac"}, {"learning_rate", "lr"},
      {"global_batch_size", "gbs"},  {"micro_batch_size", "mbs"},        {"max_steps", "steps"},
      {"epochs", "ep"},              {"dropout", "drop"},                {"weight_decay", "wd"},
      {"warmup_ratio", "warmup"},    {"max_seq_len", "seq"},             {"target_modules", "targets"},
      {"gradient_checkpointing", "gc"}, {"min_lr_ratio", "minlr"},       {"max_rows", "rows"},
  };
  auto it = short_names.find(word);
  return it == short_names.end() ? word : it->second;
}

// The label from the last `n` segments; `plugin` names its section instead.
std::string label_of(const std::string& key, std::size_t n) {
  auto seg = segments(key);
  if (seg.size() >= 2 && seg.back() == "plugin") seg.pop_back();
  n = std::min(n, seg.size());
  std::string out;
  for (std::size_t i = seg.size() - n; i < seg.size(); ++i) {
    out += (out.empty() ? "" : "_") + (i + 1 == seg.size() ? abbreviate(seg[i]) : seg[i]);
  }
  return out;
}

std::string clean(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '+' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace

std::string key_label(const std::string& key, const std::vector<std::string>& all_keys) {
  const std::size_t depth = segments(key).size();
  for (std::size_t n = 1; n <= depth; ++n) {
    const std::string mine = label_of(key, n);
    const bool unique = std::none_of(all_keys.begin(), all_keys.end(),
                                     [&](const std::string& k) { return k != key && label_of(k, n) == mine; });
    if (unique) return mine;
  }
  return label_of(key, depth);
}

std::string value_label(const Value& v) {
  if (v.is<std::string>()) return clean(v.as<std::string>());
  if (v.is<bool>()) return v.as<bool>() ? "true" : "false";
  if (v.is<Array>()) {
    std::string out;
    for (const Value& e : v.as<Array>()) out += (out.empty() ? "" : "+") + value_label(e);
    return out.empty() ? "none" : out;
  }
  std::string t = to_toml_value_text(v);  // 16, 0.1, 1e-05, 1.0
  if (v.is<double>() && t.size() > 2 && t.compare(t.size() - 2, 2, ".0") == 0) t.resize(t.size() - 2);
  return clean(t);
}

std::string derive_name(const std::vector<Override>& overrides, const std::vector<std::string>& all_keys) {
  std::string name;
  for (const Override& o : overrides) {
    const std::string label = clean(key_label(o.key, all_keys));
    const bool glued = o.value.is<std::int64_t>() || o.value.is<double>();
    const std::string part = glued ? label + value_label(o.value) : label + "-" + value_label(o.value);
    name += (name.empty() ? "" : "-") + part;
  }
  if (name.empty()) return "base";
  if (name.size() > 120) name.resize(120);
  return name;
}

}  // namespace socrates::sweep
