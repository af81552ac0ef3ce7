#include "pgdx/problem/laplacian_residual.hpp"

#include <stdexcept>

namespace pgdx::problem {

void LaplacianResidual::check(const Samples& s) {
  if (s.coefficients.rows() != 2 || s.coefficients.cols() != s.x.cols() || s.y.rows() != 1)
    throw std::invalid_argument("LaplacianResidual: needs 2 coefficient rows (value, Laplacian) and 1 target row "
                                "per sample");
}

void LaplacianResidual::residual(const Samples& s, Matrix& e) {
  check(s);
  laplacian_.evaluate(s.x, u_, lap_);
  e.resize(1, s.x.cols());
  for (std::size_t j = 0; j < e.cols(); ++j)
    e(0, j) = s.coefficients(0, j) * u_(0, j) + s.coefficients(1, j) * lap_(0, j) - s.y(0, j);
}

// Per-sample weights of u and Δu in Σ_i c_i e_i (c = 1 for Jacobian rows).
void LaplacianResidual::split_coefficients(const Samples& s, const Matrix* cotangent) {
  check(s);
  const std::size_t n = s.x.cols();
  value_weight_.resize(n);
  laplacian_weight_.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double c = cotangent ? (*cotangent)(0, j) : 1.0;
    value_weight_[j] = c * s.coefficients(0, j);
    laplacian_weight_[j] = c * s.coefficients(1, j);
  }
}

void LaplacianResidual::vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) {
  split_coefficients(s, &cotangent);
  laplacian_.vjp(s.x, value_weight_.data(), laplacian_weight_.data(), grad);
}

void LaplacianResidual::jacobian_transposed(const Samples& s, Matrix& jt) {
  split_coefficients(s, nullptr);
  laplacian_.jacobian_transposed(s.x, value_weight_.data(), laplacian_weight_.data(), jt);
}

}  // namespace pgdx::problem
