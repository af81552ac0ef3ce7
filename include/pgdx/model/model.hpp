#pragma once
// A differentiable model f(x; θ). Layout convention shared by every model:
//   X is d_in × n and F is C × n, column-major, one sample per column — so F's storage is the
//   sample-major residual order of DESIGN.md §3 (row r = i·C + c).
#include <cstddef>
#include <vector>

#include "pgdx/linalg/matrix.hpp"
#include "pgdx/model/gram_factors.hpp"

namespace pgdx::model {

using linalg::Matrix;

class Model {
 public:
  virtual ~Model() = default;

  virtual std::size_t input_dim() const = 0;
  virtual std::size_t output_dim() const = 0;
  virtual std::size_t num_params() const = 0;
  virtual const std::vector<double>& params() const = 0;
  virtual void set_params(const std::vector<double>& theta) = 0;

  virtual void forward(const Matrix& x, Matrix& f) = 0;
  // grad = Jᵀ r, with r (C × n) the cotangent of F. Overwrites grad (size p).
  virtual void vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) = 0;
  // jv = J v (C × n).
  virtual void jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) = 0;
  // Explicit Jacobian, transposed: jt is p × N, column r = i·C + c holds ∂f_c(x_i)/∂θ.
  // Transposed so that each residual row is contiguous (rows are what ranks shard).
  virtual void jacobian_transposed(const Matrix& x, Matrix& jt) = 0;
  // Models may cache the forward pass per input matrix; call this after changing an input's
  // contents in place (the cache cannot see that).
  virtual void forget_cached_forward() {}
  // Factors of K = J Jᵀ for the samples of x without forming J (gram_factors.hpp). Models whose
  // Jacobian has no such structure return false and are handled by the explicit path.
  virtual bool gram_factors(const Matrix& /*x*/, GramFactors& /*out*/) { return false; }
  // The parameter-space Gram matrix JᵀJ (p × p, both triangles) of the samples of x, when the
  // model can form it without J (one-hidden-layer MLPs); false otherwise. LM solves in this space
  // when p is much smaller than the N residual rows (Fig. 5: N = 10 948, p = 6 900).
  virtual bool parameter_gram(const Matrix& /*x*/, Matrix& /*g*/) { return false; }
};

}  // namespace pgdx::model
