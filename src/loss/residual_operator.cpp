#include "pgdx/loss/residual_operator.hpp"

#include "pgdx/loss/laplacian_residual.hpp"

namespace pgdx::loss {

void OutputMinusTarget::residual(const Samples& s, Matrix& e) {
  model_.forward(s.x, e);
  for (std::size_t i = 0; i < e.size(); ++i) e.data()[i] -= s.y.data()[i];
}

void OutputMinusTarget::vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) {
  model_.vjp(s.x, cotangent, grad);
}

void OutputMinusTarget::jacobian_transposed(const Samples& s, Matrix& jt) { model_.jacobian_transposed(s.x, jt); }

bool OutputMinusTarget::gram_factors(const Samples& s, model::GramFactors& out) {
  return model_.gram_factors(s.x, out);
}

std::unique_ptr<ResidualOperator> make_residual_operator(ResidualKind kind, model::Mlp& mlp) {
  if (kind == ResidualKind::laplacian) return std::make_unique<LaplacianResidual>(mlp);
  return std::make_unique<OutputMinusTarget>(mlp);
}

}  // namespace pgdx::loss
