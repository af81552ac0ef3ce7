#pragma once
// The arithmetic of the kernel diagnostic (diag/kernel_diagnostic.hpp, docs/diagnostics.md) on
// plain matrices, so each piece is testable alone: K's eigenpairs in a canonical order and sign,
// the residual's projection and its energy per eigen-band, measured per-mode rates and the kernel–target
// alignment. (Kernel drift is diag::relative_distance of the matrices' entries.)
#include <cstddef>
#include <vector>

#include "pgdx/linalg/matrix.hpp"

namespace pgdx::diag {

// Eigen-bands by decades of λ/λ_max: band b < kKernelBands − 1 holds 10^−(b+1) < λ/λ_max ≤ 10^−b,
// the last band everything below (λ/λ_max ≤ 1e-7, zero and round-off negatives included).
constexpr std::size_t kKernelBands = 8;

struct KernelEigen {
  std::vector<double> lambda;  // descending (LAPACK gives ascending)
  linalg::Matrix u;            // M × M, column i belongs to lambda[i]
};

// Eigen-decomposition of the symmetric K (M × M, both triangles). Each eigenvector's sign is
// fixed so that its largest-magnitude entry (the first, on ties) is positive: LAPACK's sign is
// arbitrary, and a canonical one makes ê = Uᵀe comparable between runs and rank counts.
KernelEigen kernel_eigen(const linalg::Matrix& k);

// ê = Uᵀe.
void project(const linalg::Matrix& u, const std::vector<double>& e, std::vector<double>& projection);

// The band of λ (see kKernelBands); everything falls in the last band when λ_max ≤ 0.
std::size_t eigen_band(double lambda, double lambda_max);

// Σ ê_i² over the modes of each band (kKernelBands values; they add up to ‖e‖² as U is orthogonal).
std::vector<double> band_energy(const std::vector<double>& lambda, const std::vector<double>& projection);

// Per-step contraction of each mode over `steps` steps: (|after_i| / |before_i|)^(1/steps), the
// geometric mean of the per-step factors' magnitudes; NaN where before_i = 0. `before` and `after`
// are projections on the same basis (the earlier recording's).
std::vector<double> measured_rates(const std::vector<double>& before, const std::vector<double>& after, long steps);

// yᵀKy / (‖K‖_F ‖y‖²): 1 when K ∝ yyᵀ, the kernel–target alignment of a positive semi-definite K.
double kernel_target_alignment(const linalg::Matrix& k, const std::vector<double>& y);

}  // namespace pgdx::diag
