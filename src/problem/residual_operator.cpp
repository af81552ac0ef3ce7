#include "pgdx/problem/residual_operator.hpp"

#include <stdexcept>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/problem/laplacian_residual.hpp"
#include "pgdx/problem/output_minus_target.hpp"

namespace pgdx::problem {

void ResidualOperator::jvp(const Samples& s, const std::vector<double>& v, Matrix& jv) {
  Matrix jt;
  jacobian_transposed(s, jt);
  jv.resize(rows_per_sample(), s.x.cols());
  linalg::gemv(linalg::Op::transpose, 1.0, jt, v.data(), 0.0, jv.data());
}

std::unique_ptr<ResidualOperator> make_residual_operator(ResidualKind kind, model::Model& model, double scale) {
  if (kind == ResidualKind::laplacian) {
    auto* mlp = dynamic_cast<model::Mlp*>(&model);
    // The compatibility check asks the model's capabilities first; this is the library guard.
    if (!mlp) throw std::logic_error("a differential-operator residual needs an Mlp (input_derivatives capability)");
    return std::make_unique<LaplacianResidual>(*mlp);
  }
  return std::make_unique<OutputMinusTarget>(model, scale);
}

}  // namespace pgdx::problem
