#pragma once
// What "the residual" of a sample is. The least-squares problem of a batch (problem::ResidualProblem)
// stacks, sample by sample, C residual entries and needs their θ-Jacobian; an operator supplies
// both for one rank's share of the samples. Regression and classification use
//   e_i = f(x_i; θ) − y_i                                   (OutputMinusTarget),
// a PINN applies a differential operator to the model instead, e.g.
//   e_i = α_i u_θ(x_i) + β_i Δu_θ(x_i) − y_i               (LaplacianResidual).
// LM, GN and the first-order methods see only the stacked e, K = J Jᵀ and Jᵀz, so a new residual
// needs a new operator and nothing else.
#include <memory>
#include <vector>

#include "pgdx/linalg/matrix.hpp"
#include "pgdx/model/gram_factors.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/task/residual_kind.hpp"

namespace pgdx::problem {

using linalg::Matrix;
using task::ResidualKind;

// One rank's columns of a data set: inputs, targets and per-sample operator coefficients (rows
// of the task's choosing; empty for OutputMinusTarget).
struct Samples {
  const Matrix& x;             // d × n
  const Matrix& y;             // C × n
  const Matrix& coefficients;  // k × n
};

class ResidualOperator {
 public:
  virtual ~ResidualOperator() = default;
  virtual model::Model& model() = 0;
  virtual std::size_t rows_per_sample() const = 0;  // C
  virtual void residual(const Samples& s, Matrix& e) = 0;  // C × n
  // grad (p) = Jᵀ c for a cotangent c (C × n) of e.
  virtual void vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) = 0;
  // jt (p × N), column i·C + c = ∂e_c(sample i)/∂θ.
  virtual void jacobian_transposed(const Samples& s, Matrix& jt) = 0;
  // jv (C × n) = J v. The default goes through the explicit rows (N·p numbers); operators whose
  // model has a forward-mode product override it.
  virtual void jvp(const Samples& s, const std::vector<double>& v, Matrix& jv);
  // Factors of K without J (model/gram_factors.hpp), when the residual's Jacobian is the model's.
  virtual bool gram_factors(const Samples& /*s*/, model::GramFactors& /*out*/) { return false; }
  // JᵀJ (p × p, both triangles) of these samples without J, when the model can form it.
  virtual bool parameter_gram(const Samples& /*s*/, Matrix& /*g*/) { return false; }
  // Call after changing a sample matrix's contents in place (caches key on its address).
  virtual void forget_cached_forward() = 0;
};

// The operator a task's residual kind names; `scale` is loss.residual_scale γ (f − y residuals).
// Throws std::invalid_argument if the model lacks a capability the kind needs.
std::unique_ptr<ResidualOperator> make_residual_operator(ResidualKind kind, model::Model& model, double scale = 1.0);

}  // namespace pgdx::problem
