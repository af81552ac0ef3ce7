#pragma once
// Mean squared error with an explicit reduction (DESIGN.md §3, EXPERIMENTS.md §0.3):
//   sum:              L = ½ Σᵢ ‖f(xᵢ) − yᵢ‖²
//   mean:             L = (1/n) · ½ Σᵢ ‖f(xᵢ) − yᵢ‖²          (n = samples)
//   elementwise_mean: L = (1/(n·C)) · Σᵢ ‖f(xᵢ) − yᵢ‖²        (PyTorch's MSELoss: every entry, no ½)
// The residual is e = f − y (or a task's operator), sample-major, C entries per sample.
#include <cstddef>
#include <optional>
#include <string>

namespace pgdx::loss {

enum class Reduction { sum, mean, elementwise_mean };

std::string to_string(Reduction r);
std::optional<Reduction> parse_reduction(const std::string& name);

// Factor c with L = c · ½‖e‖² for a batch of n samples of C entries each.
inline double loss_scale(Reduction r, std::size_t n, std::size_t entries_per_sample) {
  if (n == 0 || r == Reduction::sum) return 1.0;
  if (r == Reduction::mean) return 1.0 / static_cast<double>(n);
  return 2.0 / static_cast<double>(n * entries_per_sample);
}

// L from the squared residual norm ‖e‖² of n samples of C entries each.
inline double mse_value(Reduction r, double squared_norm, std::size_t n, std::size_t entries_per_sample) {
  return loss_scale(r, n, entries_per_sample) * 0.5 * squared_norm;
}

}  // namespace pgdx::loss
