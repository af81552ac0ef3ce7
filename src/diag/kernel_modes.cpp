#include "pgdx/diag/kernel_modes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::diag {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

KernelEigen kernel_eigen(const linalg::Matrix& k) {
  const std::size_t m = k.rows();
  linalg::Matrix vectors = k;
  std::vector<double> ascending;
  linalg::symmetric_eigen(vectors, ascending);
  KernelEigen out;
  out.lambda.assign(ascending.rbegin(), ascending.rend());
  out.u.resize(m, m);
  for (std::size_t i = 0; i < m; ++i) {
    const double* from = vectors.col(m - 1 - i);
    std::size_t largest = 0;
    for (std::size_t r = 1; r < m; ++r)
      if (std::abs(from[r]) > std::abs(from[largest])) largest = r;
    const double sign = from[largest] < 0.0 ? -1.0 : 1.0;
    double* to = out.u.col(i);
    for (std::size_t r = 0; r < m; ++r) to[r] = sign * from[r];
  }
  return out;
}

void project(const linalg::Matrix& u, const std::vector<double>& e, std::vector<double>& projection) {
  projection.assign(u.cols(), 0.0);
  linalg::gemv(linalg::Op::transpose, 1.0, u, e.data(), 0.0, projection.data());
}

std::size_t eigen_band(double lambda, double lambda_max) {
  const double ratio = lambda / lambda_max;
  if (!(lambda_max > 0.0) || !(ratio > 0.0)) return kKernelBands - 1;
  // (10^−(b+1), 10^−b] → b: λ = λ_max and λ = 0.1·λ_max are both band 0.
  const double decades = std::ceil(-std::log10(std::min(ratio, 1.0))) - 1.0;
  return static_cast<std::size_t>(std::clamp(decades, 0.0, static_cast<double>(kKernelBands - 1)));
}

std::vector<double> band_energy(const std::vector<double>& lambda, const std::vector<double>& projection) {
  std::vector<double> energy(kKernelBands, 0.0);
  const double lambda_max = lambda.empty() ? 0.0 : *std::max_element(lambda.begin(), lambda.end());
  for (std::size_t i = 0; i < lambda.size(); ++i) energy[eigen_band(lambda[i], lambda_max)] += projection[i] * projection[i];
  return energy;
}

std::vector<double> measured_rates(const std::vector<double>& before, const std::vector<double>& after, long steps) {
  std::vector<double> rates(before.size(), kNaN);
  if (steps < 1) return rates;
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != 0.0) rates[i] = std::pow(std::abs(after[i] / before[i]), 1.0 / static_cast<double>(steps));
  return rates;
}

double kernel_target_alignment(const linalg::Matrix& k, const std::vector<double>& y) {
  std::vector<double> ky(y.size(), 0.0);
  linalg::gemv(linalg::Op::none, 1.0, k, y.data(), 0.0, ky.data());
  const double k_norm = linalg::norm2(k.size(), k.data());
  const double y_squared = linalg::dot(y.size(), y.data(), y.data());
  return k_norm > 0.0 && y_squared > 0.0 ? linalg::dot(y.size(), y.data(), ky.data()) / (k_norm * y_squared) : kNaN;
}

}  // namespace pgdx::diag
