// Turning one demographic attribute's raw values into groups: the values themselves, or
// quantile bins ("18-29") for a numeric attribute with many values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace socrates::eval {

/// One row's value of the attribute; `human` when the row carries a human answer.
struct AttributeValue {
  std::string value;
  bool human = false;
};

struct AttributeGroups {
  std::vector<std::string> groups;             // in order: sorted values, or bins low to high
  std::map<std::string, std::string> group_of;  // raw value -> group
  bool binned = false;
  std::string skipped;  // why the attribute cannot be grouped; empty when it can
};

/// Groups `values` (every non-missing value of the attribute, one per row). At most
/// `max_groups` distinct values: each is its own group. More: if every value is a number,
/// `numeric_bins` quantile bins of the human rows' values (see bin_numeric); else skipped.
AttributeGroups group_attribute(const std::vector<AttributeValue>& values, std::int64_t max_groups,
                                std::int64_t numeric_bins);

/// The number a value spells ("34", " 2.5 "), if it is one and finite.
std::optional<double> parse_number(const std::string& s);

/// Cut points c_1 <= ... of `bins` quantile bins of `sorted` (ascending, non-empty):
/// c_k = sorted[ceil(k n / bins) - 1], duplicates removed. Bin 0 is (-inf, c_1], bin k is
/// (c_k, c_k+1], the last is (c_last, inf).
std::vector<double> quantile_cuts(const std::vector<double>& sorted, std::int64_t bins);

/// "29", "2.5": the shortest plain spelling of a bin end.
std::string format_number(double x);

}  // namespace socrates::eval
