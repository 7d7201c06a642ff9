// Exact Wasserstein-1 distance between one-dimensional discrete distributions.
#pragma once

#include <span>
#include <vector>

namespace socrates::eval {

/// One support point of a discrete distribution: a value and its (unnormalised) mass.
struct Mass {
  double value = 0;
  double weight = 0;
};

/// W1 between two empirical samples, each answer weighing 1/n: the integral of |F_u - F_v|
/// over the merged sorted support, as scipy.stats.wasserstein_distance(u, v) computes it.
/// Throws socrates::Error if a sample is empty or holds a non-finite value.
double w1(std::span<const double> u, std::span<const double> v);

/// W1 between two weighted discrete distributions; each side's weights are normalised to
/// sum 1 (scipy's u_weights / v_weights). Throws socrates::Error for an empty side, a
/// non-finite value, a negative or non-finite weight, or a side whose weights sum to 0.
double w1(std::span<const Mass> u, std::span<const Mass> v);

/// Each sample value as a point of mass 1.
std::vector<Mass> as_masses(std::span<const double> samples);

}  // namespace socrates::eval
