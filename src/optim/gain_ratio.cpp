#include "pgdx/optim/gain_ratio.hpp"

#include "pgdx/linalg/blas.hpp"

namespace pgdx::optim {

double half_squared_norm(const std::vector<double>& e) {
  const double n = linalg::norm2(e.size(), e.data());
  return 0.5 * n * n;
}

double predicted_reduction(const std::vector<double>& e, const std::vector<double>& k_z, double lr) {
  const double along = linalg::dot(e.size(), e.data(), k_z.data());
  const double curvature = linalg::dot(k_z.size(), k_z.data(), k_z.data());
  return lr * along - 0.5 * lr * lr * curvature;
}

}  // namespace pgdx::optim
