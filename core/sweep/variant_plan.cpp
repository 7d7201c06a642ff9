#include "sweep/variant_plan.hpp"

#include <algorithm>
#include <map>

#include "socrates/error.hpp"
#include "sweep/variant_name.hpp"

namespace socrates::sweep {

std::vector<std::string> swept_keys(const SweepSpec& spec) {
  std::vector<std::string> keys;
  auto add = [&](const std::string& k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (const Axis& a : spec.grid) add(a.key);
  for (const Axis& a : spec.zip) add(a.key);
  for (const ExplicitVariant& v : spec.variants)
    for (const Override& o : v.overrides) add(o.key);
  return keys;
}

std::vector<VariantPlan> expand_variants(const SweepSpec& spec) {
  const std::vector<std::string> keys = swept_keys(spec);
  std::vector<VariantPlan> out;
  if (!spec.grid.empty() || !spec.zip.empty()) {
    // Mixed-radix counter over the grid axes (last fastest) and the zip group.
    std::vector<std::size_t> radix;
    for (const Axis& a : spec.grid) radix.push_back(a.values.size());
    if (!spec.zip.empty()) radix.push_back(spec.zip.front().values.size());
    std::vector<std::size_t> digit(radix.size(), 0);
    for (bool more = true; more;) {
      VariantPlan v;
      std::string origin;
      for (std::size_t i = 0; i < spec.grid.size(); ++i) {
        const Axis& a = spec.grid[i];
        v.overrides.push_back(Override{a.key, a.values[digit[i]], a.origin, a.dir});
      }
      if (!spec.zip.empty()) {
        for (const Axis& a : spec.zip) v.overrides.push_back(Override{a.key, a.values[digit.back()], a.origin, a.dir});
      }
      for (const Override& o : v.overrides) origin += (origin.empty() ? "" : ", ") + o.text();
      v.origin = origin;
      v.name = derive_name(v.overrides, keys);
      out.push_back(std::move(v));
      more = false;
      for (std::size_t i = radix.size(); i-- > 0;) {
        if (++digit[i] < radix[i]) {
          more = true;
          break;
        }
        digit[i] = 0;
      }
    }
  }
  std::map<std::string, std::string> explicit_names;
  for (const ExplicitVariant& e : spec.variants) {
    VariantPlan v{e.name.empty() ? derive_name(e.overrides, keys) : e.name, e.origin, e.overrides};
    if (!e.name.empty()) {
      if (auto [it, fresh] = explicit_names.emplace(e.name, e.origin); !fresh) {
        throw ConfigError(e.origin + ": two variants are named '" + e.name + "' (the other at " + it->second + ")");
      }
    }
    out.push_back(std::move(v));
  }
  // Derived names that repeat (or clash with an explicit one) get a suffix.
  std::map<std::string, int> seen;
  for (const VariantPlan& v : out) seen[v.name] = 0;
  std::map<std::string, int> count;
  for (VariantPlan& v : out) {
    if (++count[v.name] == 1) continue;
    const bool is_explicit = explicit_names.count(v.name) &&
                             std::any_of(spec.variants.begin(), spec.variants.end(),
                                         [&](const ExplicitVariant& e) { return e.name == v.name && e.origin == v.origin; });
    if (is_explicit) {
      throw ConfigError(v.origin + ": the variant name '" + v.name + "' is also derived for another variant; choose "
                        "another name");
    }
    std::string candidate;
    for (int k = count[v.name];; ++k) {
      candidate = v.name + "-" + std::to_string(k);
      if (!seen.count(candidate)) break;
    }
    seen[candidate] = 0;
    v.name = candidate;
  }
  return out;
}

}  // namespace socrates::sweep
