#pragma once
// Mean squared error with an explicit reduction (DESIGN.md §3, EXPERIMENTS.md §0.3):
//   sum:  L = ½ Σᵢ ‖f(xᵢ) − yᵢ‖²      mean: L = (1/n) · ½ Σᵢ ‖f(xᵢ) − yᵢ‖²   (n = samples)
// The residual is e = f − y, sample-major.
#include <cstddef>
#include <optional>
#include <string>

namespace pgdx::loss {

enum class Reduction { sum, mean };

std::string to_string(Reduction r);
std::optional<Reduction> parse_reduction(const std::string& name);

// Factor c with L = c · ½‖e‖² for a batch of n samples.
inline double loss_scale(Reduction r, std::size_t n) {
  return r == Reduction::mean && n > 0 ? 1.0 / static_cast<double>(n) : 1.0;
}

// L from the squared residual norm ‖e‖² of n samples.
inline double mse_value(Reduction r, double squared_norm, std::size_t n) {
  return loss_scale(r, n) * 0.5 * squared_norm;
}

}  // namespace pgdx::loss
