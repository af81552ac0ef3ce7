#include "pgdx/diag/weights.hpp"

#include <cmath>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::diag {

double weight_norm(const std::vector<double>& theta) { return linalg::norm2(theta.size(), theta.data()); }

double relative_distance(const std::vector<double>& theta, const std::vector<double>& theta0) {
  double diff = 0.0;
  for (std::size_t i = 0; i < theta.size(); ++i) diff += (theta[i] - theta0[i]) * (theta[i] - theta0[i]);
  const double base = weight_norm(theta0);
  return base > 0.0 ? std::sqrt(diff) / base : std::sqrt(diff);
}

}  // namespace pgdx::diag
