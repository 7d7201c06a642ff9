#include "targets.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "socrates/error.hpp"

namespace lora {

namespace {

bool ends_with_component(const std::string& name, const std::string& target) {
  return name == target ||
         (name.size() > target.size() && name.compare(name.size() - target.size(), target.size(), target) == 0 &&
          name[name.size() - target.size() - 1] == '.');
}

std::string leaf(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string regex_escape(const std::string& s) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : s) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string some_names(const std::vector<std::string>& names, std::size_t n = 8) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < n; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > n) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

std::vector<std::string> leaf_names(const std::vector<socrates::LinearSite*>& sites) {
  std::vector<std::string> out;
  for (const auto* s : sites) {
    std::string l = leaf(s->name());
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

}  // namespace

bool list_entry_matches(const std::string& target, const std::string& site_name) {
  return ends_with_component(site_name, target) || ends_with_component("model." + site_name, target);
}

std::vector<socrates::LinearSite*> select_sites(socrates::ModelView& model, const LoraOptions& opts,
                                                const socrates::ConfigSection& cfg) {
  const std::vector<socrates::LinearSite*> all = model.linear_sites();
  std::vector<socrates::LinearSite*> out;
  const std::string layers = "; the linear layers of this " + model.architecture() + " are named like " +
                             (all.empty() ? std::string("(none)") : all.front()->name()) +
                             ", with last components " + some_names(leaf_names(all));
  if (!opts.target_regex.empty()) {
    const std::regex re(opts.target_regex, std::regex::ECMAScript);
    for (auto* s : all)
      if (std::regex_match(s->name(), re) || std::regex_match("model." + s->name(), re)) out.push_back(s);
    if (out.empty()) throw cfg.error("target_regex", "\"" + opts.target_regex + "\" matches no linear layer" + layers);
    return out;
  }
  if (opts.target_modules.size() == 1 && opts.target_modules[0] == kAllLinear) {
    if (all.empty()) throw cfg.error("target_modules", "\"all-linear\" matches no linear layer" + layers);
    return all;
  }
  std::vector<std::string> unmatched;
  for (const std::string& t : opts.target_modules) {
    bool any = false;
    for (auto* s : all) any = any || list_entry_matches(t, s->name());
    if (!any) unmatched.push_back("\"" + t + "\"");
  }
  if (!unmatched.empty()) {
    throw cfg.error("target_modules", some_names(unmatched) + (unmatched.size() == 1 ? " matches" : " match") +
                                          " no linear layer" + layers);
  }
  for (auto* s : all) {
    for (const std::string& t : opts.target_modules) {
      if (list_entry_matches(t, s->name())) {
        out.push_back(s);
        break;
      }
    }
  }
  return out;
}

nlohmann::json peft_target_modules(const std::vector<std::string>& all, const std::vector<std::string>& chosen) {
  std::set<std::string> leaves;
  for (const std::string& n : chosen) leaves.insert(leaf(n));
  std::vector<std::string> by_leaf;
  for (const std::string& n : all)
    if (leaves.count(leaf(n))) by_leaf.push_back(n);
  if (by_leaf == chosen) return nlohmann::json(std::vector<std::string>(leaves.begin(), leaves.end()));
  std::string re;
  for (const std::string& n : chosen) re += (re.empty() ? "" : "|") + regex_escape("model." + n);
  return nlohmann::json(re);
}

std::vector<std::string> peft_selected(const nlohmann::json& target_modules, const std::vector<std::string>& all) {
  std::vector<std::string> out;
  if (target_modules.is_string()) {
    const std::string s = target_modules.get<std::string>();
    if (s == kAllLinear) return all;
    const std::regex re(s, std::regex::ECMAScript);
    for (const std::string& n : all)
      if (std::regex_match("model." + n, re) || std::regex_match(n, re)) out.push_back(n);
    return out;
  }
  std::vector<std::string> targets;
  if (target_modules.is_array())
    for (const auto& t : target_modules)
      if (t.is_string()) targets.push_back(t.get<std::string>());
  if (targets.size() == 1 && targets[0] == kAllLinear) return all;
  for (const std::string& n : all) {
    for (const std::string& t : targets) {
      if (list_entry_matches(t, n)) {
        out.push_back(n);
        break;
      }
    }
  }
  return out;
}

}  // namespace lora
