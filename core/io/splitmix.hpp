// SplitMix64: one step of the generator (Steele, Lea, Flood 2014), a well-mixed 64-bit hash of
// x that is the same on every platform. Seeds derived from (seed, index, ...) chain it.
#pragma once

#include <cstdint>

namespace socrates {

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace socrates
