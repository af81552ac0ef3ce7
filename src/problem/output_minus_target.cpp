#include "pgdx/problem/output_minus_target.hpp"

namespace pgdx::problem {
namespace {

void scale_all(double factor, Matrix& m) {
  if (factor != 1.0)
    for (double& v : m.storage()) v *= factor;
}

}  // namespace

void OutputMinusTarget::jvp(const Samples& s, const std::vector<double>& v, Matrix& jv) {
  model_.jvp(s.x, v, jv);
  scale_all(scale_, jv);
}

void OutputMinusTarget::residual(const Samples& s, Matrix& e) {
  model_.forward(s.x, e);
  for (std::size_t i = 0; i < e.size(); ++i) e.data()[i] = scale_ * (e.data()[i] - s.y.data()[i]);
}

void OutputMinusTarget::vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) {
  if (scale_ == 1.0) return model_.vjp(s.x, cotangent, grad);
  scaled_ = cotangent;
  scale_all(scale_, scaled_);
  model_.vjp(s.x, scaled_, grad);
}

void OutputMinusTarget::jacobian_transposed(const Samples& s, Matrix& jt) {
  model_.jacobian_transposed(s.x, jt);
  scale_all(scale_, jt);
}

bool OutputMinusTarget::gram_factors(const Samples& s, model::GramFactors& out) {
  if (!model_.gram_factors(s.x, out)) return false;
  for (Matrix& g : out.signals) scale_all(scale_, g);  // K = Σ (AᵀA + β) ⊙ (GᵀG): γ² K
  return true;
}

bool OutputMinusTarget::parameter_gram(const Samples& s, Matrix& g) {
  if (!model_.parameter_gram(s.x, g)) return false;
  scale_all(scale_ * scale_, g);
  return true;
}

}  // namespace pgdx::problem
