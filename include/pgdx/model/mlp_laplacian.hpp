#pragma once
// Input derivatives of a scalar-output Mlp up to second order and their θ-derivatives, for
// residuals built from differential operators (the PINN of paper Fig. 4):
//   u(x) = f(x; θ),   Δu(x) = Σ_k ∂²u/∂x_k².
// Forward: every layer carries z, ∂z/∂x_k and ∂²z/∂x_k² for each input axis k (a second-order
// Taylor propagation along the axes). Reverse: the adjoint of that propagation gives
// Σ_i (α_i ∂u_i/∂θ + β_i ∂Δu_i/∂θ) — a vjp — or, sample by sample, Jacobian rows. Exact to
// round-off for any depth; activations tanh, quadratic, identity (ReLU has no second derivative).
#include <cstdint>
#include <vector>

#include "pgdx/model/mlp.hpp"

namespace pgdx::model {

class MlpLaplacian {
 public:
  // Throws std::invalid_argument unless the model has one output and a twice-differentiable
  // activation. Keeps a reference: the Mlp must outlive this object.
  explicit MlpLaplacian(const Mlp& mlp);

  // u and Δu (each 1 × n) at the columns of x (d × n).
  void evaluate(const Matrix& x, Matrix& u, Matrix& laplacian);
  // grad (p) = Σ_i (value_weight[i] ∂u(x_i)/∂θ + laplacian_weight[i] ∂Δu(x_i)/∂θ).
  void vjp(const Matrix& x, const double* value_weight, const double* laplacian_weight, std::vector<double>& grad);
  // jt (p × n): column i = value_weight[i] ∂u(x_i)/∂θ + laplacian_weight[i] ∂Δu(x_i)/∂θ.
  void jacobian_transposed(const Matrix& x, const double* value_weight, const double* laplacian_weight,
                           Matrix& jt);
  void forget_cached_forward() { cached_x_ = nullptr; }

 private:
  struct Layer {
    Matrix z;                       // pre-activation (out × n)
    std::vector<Matrix> dz, ddz;    // ∂z/∂x_k, ∂²z/∂x_k² per input axis k
    Matrix a, s1, s2, s3;           // hidden layers: σ(z), σ'(z), σ''(z), σ'''(z)
    std::vector<Matrix> da, dda;    // ∂a/∂x_k, ∂²a/∂x_k²
  };
  struct Adjoint {
    Matrix z;
    std::vector<Matrix> dz, ddz;
  };

  void ensure_forward(const Matrix& x);
  // Runs the reverse sweep for per-sample weights; with `jt` it writes per-sample Jacobian
  // columns, otherwise it accumulates the weighted sum into `grad`.
  void reverse(const Matrix& x, const double* value_weight, const double* laplacian_weight,
               std::vector<double>* grad, Matrix* jt);

  const Mlp& mlp_;
  std::vector<Layer> layers_;
  Adjoint adjoint_, previous_;
  const double* cached_x_ = nullptr;
  std::size_t cached_cols_ = 0;
  std::uint64_t cached_version_ = 0;
};

}  // namespace pgdx::model
