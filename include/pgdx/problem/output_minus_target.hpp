#pragma once
// e = γ (f(x; θ) − y), γ = loss.residual_scale (1 unless a study rescales, e.g. 1/s for the modular
// MLP of Fig. 5): J is γ times the model's Jacobian, so the structured Gram paths apply.
#include "pgdx/problem/residual_operator.hpp"

namespace pgdx::problem {

class OutputMinusTarget final : public ResidualOperator {
 public:
  explicit OutputMinusTarget(model::Model& model, double scale = 1.0) : model_(model), scale_(scale) {}
  double scale() const { return scale_; }
  model::Model& model() override { return model_; }
  std::size_t rows_per_sample() const override { return model_.output_dim(); }
  void residual(const Samples& s, Matrix& e) override;
  void vjp(const Samples& s, const Matrix& cotangent, std::vector<double>& grad) override;
  void jacobian_transposed(const Samples& s, Matrix& jt) override;
  void jvp(const Samples& s, const std::vector<double>& v, Matrix& jv) override;
  bool gram_factors(const Samples& s, model::GramFactors& out) override;
  bool parameter_gram(const Samples& s, Matrix& g) override;
  void forget_cached_forward() override { model_.forget_cached_forward(); }

 private:
  model::Model& model_;
  double scale_;
  Matrix scaled_;
};

}  // namespace pgdx::problem
