#pragma once
// The residual of a linear second-order PDE at collocation points (paper Fig. 4, EXPERIMENTS.md §3):
//   e_i = α_i u_θ(x_i) + β_i Δu_θ(x_i) − y_i,
// with (α_i, β_i) the two rows of the samples' coefficients. Poisson −Δu = f with u = g on the
// boundary is interior (0, 1, −f) and boundary (1, 0, g), which gives the paper's residual
// [Δu + f; u − g]. The Jacobian is exact (model::MlpLaplacian), so K = J Jᵀ takes the explicit
// Gram path.
#include "pgdx/problem/residual_operator.hpp"
#include "pgdx/model/mlp_laplacian.hpp"

namespace pgdx::problem {

class LaplacianResidual final : public ResidualOperator {
 public:
  explicit LaplacianResidual(model::Mlp& mlp) : mlp_(mlp), laplacian_(mlp) {}
  model::Model& model() override { return mlp_; }
  std::size_t rows_per_sample() const override { return 1; }
  void residual(const Samples& s, Matrix& e) override;
  void vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) override;
  void jacobian_transposed(const Samples& s, Matrix& jt) override;
  void forget_cached_forward() override { laplacian_.forget_cached_forward(); }

 private:
  static void check(const Samples& s);
  void split_coefficients(const Samples& s, const Matrix* cotangent);

  model::Mlp& mlp_;
  model::MlpLaplacian laplacian_;
  Matrix u_, lap_;
  std::vector<double> value_weight_, laplacian_weight_;
};

}  // namespace pgdx::problem
