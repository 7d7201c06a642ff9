// The two reference points of the wasserstein evaluator: a uniform guess and the human
// bootstrap bound.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cells.hpp"
#include "w1.hpp"

namespace socrates::eval {

/// A discrete uniform guess over the integer levels of `scale`: ceil(lo), ..., floor(hi),
/// each with mass 1. Its two ends when no integer lies in it; kMaxUniformLevels equally
/// spaced points from lo to hi when it has more levels than that.
inline constexpr std::int64_t kMaxUniformLevels = 100001;
std::vector<Mass> uniform_levels(const Range& scale);

/// A seed for one cell, from the evaluator's seed and the cell's key only, so a cell's
/// bootstrap does not depend on which other cells are evaluated.
std::uint64_t cell_seed(std::uint64_t seed, const CellKey& key);

/// The human bootstrap bound of a cell: `replicates` times, draw n of the n human answers
/// with replacement and take W1(resample, humans) / width; the mean of those. 0 for a
/// zero-width range, NaN when `replicates` is 0. Deterministic in `seed`.
double bootstrap_w1(std::span<const double> humans, const Range& r, std::int64_t replicates, std::uint64_t seed);

}  // namespace socrates::eval
