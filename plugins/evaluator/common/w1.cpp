#include "w1.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "socrates/error.hpp"

namespace socrates::eval {
namespace {

// Sorts by value and sums the weights (long double, so the CDFs are exact to ~1e-19).
long double sorted_total(std::vector<Mass>& m, const char* side) {
  if (m.empty()) throw Error(std::string("wasserstein: the ") + side + " distribution is empty");
  long double total = 0;
  for (const Mass& p : m) {
    if (!std::isfinite(p.value)) throw Error(std::string("wasserstein: non-finite value in the ") + side + " distribution");
    if (!std::isfinite(p.weight) || p.weight < 0)
      throw Error(std::string("wasserstein: negative or non-finite weight in the ") + side + " distribution");
    total += p.weight;
  }
  if (!(total > 0)) throw Error(std::string("wasserstein: the weights of the ") + side + " distribution sum to 0");
  std::stable_sort(m.begin(), m.end(), [](const Mass& a, const Mass& b) { return a.value < b.value; });
  return total;
}

}  // namespace

double w1(std::span<const Mass> u_in, std::span<const Mass> v_in) {
  std::vector<Mass> u(u_in.begin(), u_in.end()), v(v_in.begin(), v_in.end());
  const long double tu = sorted_total(u, "first"), tv = sorted_total(v, "second");
  constexpr double inf = std::numeric_limits<double>::infinity();
  // Walk the distinct support points in order; between x and the next point both CDFs are flat.
  std::size_t i = 0, j = 0;
  long double cu = 0, cv = 0, area = 0;
  double x = std::min(u[0].value, v[0].value);
  while (true) {
    while (i < u.size() && u[i].value == x) cu += u[i++].weight;
    while (j < v.size() && v[j].value == x) cv += v[j++].weight;
    if (i == u.size() && j == v.size()) break;
    const double next = std::min(i < u.size() ? u[i].value : inf, j < v.size() ? v[j].value : inf);
    area += std::fabs(cu / tu - cv / tv) * (static_cast<long double>(next) - static_cast<long double>(x));
    x = next;
  }
  return static_cast<double>(area);
}

double w1(std::span<const double> u, std::span<const double> v) {
  const std::vector<Mass> mu = as_masses(u), mv = as_masses(v);
  return w1(std::span<const Mass>(mu), std::span<const Mass>(mv));
}

std::vector<Mass> as_masses(std::span<const double> samples) {
  std::vector<Mass> out;
  out.reserve(samples.size());
  for (double x : samples) out.push_back({x, 1.0});
  return out;
}

}  // namespace socrates::eval
