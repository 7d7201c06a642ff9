// "Did you mean" lists for names that are not there.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace socrates {

/// Up to `count` of `candidates`, closest to `word` first (edit distance, then name).
std::vector<std::string> close_names(std::string_view word, const std::vector<std::string>& candidates,
                                     std::size_t count = 3);

/// "'a', 'b', 'c'".
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace socrates
