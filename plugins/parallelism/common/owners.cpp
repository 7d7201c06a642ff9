#include "owners.hpp"

#include <algorithm>
#include <numeric>

namespace socrates::dist {

std::vector<int> assign_owners(const std::vector<NamedTensor>& params, int world) {
  std::vector<std::size_t> order(params.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return params[a].second.numel() > params[b].second.numel(); });
  std::vector<std::int64_t> load(static_cast<std::size_t>(std::max(1, world)), 0);
  std::vector<int> owner(params.size(), 0);
  for (std::size_t i : order) {
    const auto least = std::min_element(load.begin(), load.end()) - load.begin();
    owner[i] = static_cast<int>(least);
    load[static_cast<std::size_t>(least)] += params[i].second.numel();
  }
  return owner;
}

std::vector<std::pair<std::size_t, std::size_t>> make_buckets(const std::vector<NamedTensor>& params,
                                                              std::int64_t bucket_bytes) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t first = 0;
  std::int64_t bytes = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::int64_t b = params[i].second.numel() * 4;
    if (i > first && bytes + b > bucket_bytes) {
      out.emplace_back(first, i);
      first = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (first < params.size()) out.emplace_back(first, params.size());
  return out;
}

}  // namespace socrates::dist
