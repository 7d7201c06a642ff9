// The variants of a sweep: the grid's Cartesian product times the zipped axes, then the
// explicit variants, each with its overrides and a name.
#pragma once

#include <string>
#include <vector>

#include "sweep/sweep_spec.hpp"

namespace socrates::sweep {

struct VariantPlan {
  std::string name;     // the run directory's name, unique in the sweep
  std::string origin;   // where the variant comes from (its [[sweep.variants]] entry or its axes)
  std::vector<Override> overrides;  // what differs from the base (after the common overrides)
};

/// Every key the sweep varies, in order: grid axes, zipped axes, then keys of explicit variants.
std::vector<std::string> swept_keys(const SweepSpec& spec);

/// Grid x zip (the first grid axis varies slowest; zipped axes count as one axis), then the
/// explicit variants. Names are derived from the overrides unless given; a derived name
/// that repeats gets "-2", "-3"; two explicit variants with the same name are an error.
std::vector<VariantPlan> expand_variants(const SweepSpec& spec);

}  // namespace socrates::sweep
