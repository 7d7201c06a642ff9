#include "references.hpp"

#include <cmath>
#include <limits>

namespace socrates::eval {
namespace {

// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and the same numbers on every platform,
// unlike the standard library's distributions.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
    std::uint64_t r;
    do r = next();
    while (r >= limit);
    return r % n;
  }
};

std::uint64_t fnv1a(const std::string& s, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::vector<Mass> uniform_levels(const Range& scale) {
  const double first = std::ceil(scale.lo), last = std::floor(scale.hi);
  std::vector<Mass> out;
  if (first > last) return {{scale.lo, 1.0}, {scale.hi, 1.0}};
  if (last - first + 1 > static_cast<double>(kMaxUniformLevels)) {
    for (std::int64_t i = 0; i < kMaxUniformLevels; ++i)
      out.push_back({scale.lo + scale.width() * static_cast<double>(i) / static_cast<double>(kMaxUniformLevels - 1), 1.0});
    return out;
  }
  for (double x = first; x <= last; x += 1.0) out.push_back({x, 1.0});
  return out;
}

std::uint64_t cell_seed(std::uint64_t seed, const CellKey& key) {
  std::uint64_t h = fnv1a(key.study_id);
  h = fnv1a(std::to_string(key.condition_num) + "/" + std::to_string(key.task_num), h ^ 0x2F);
  SplitMix64 mix{seed ^ h};
  return mix.next();
}

double bootstrap_w1(std::span<const double> humans, const Range& r, std::int64_t replicates, std::uint64_t seed) {
  if (replicates <= 0 || humans.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!(r.width() > 0)) return 0.0;
  SplitMix64 rng{seed};
  const std::uint64_t n = humans.size();
  std::vector<double> resample(n);
  long double sum = 0;
  for (std::int64_t b = 0; b < replicates; ++b) {
    for (double& x : resample) x = humans[rng.below(n)];
    sum += w1(std::span<const double>(resample), humans) / r.width();
  }
  return static_cast<double>(sum / static_cast<long double>(replicates));
}

}  // namespace socrates::eval
