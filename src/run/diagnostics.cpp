#include "pgdx/run/diagnostics.hpp"

#include "pgdx/diag/weights.hpp"

namespace pgdx::run {

void WeightDiagnostic::measure(const Evaluation& state, Record& record) {
  record.reals.emplace_back("weight_norm", diag::weight_norm(state.theta));
  record.reals.emplace_back("dist_from_init", diag::relative_distance(state.theta, state.theta0));
}

void SpectralErrorDiagnostic::measure(const Evaluation& state, Record& record) {
  r_.resize(state.train_residual.size());
  for (std::size_t j = 0; j < r_.size(); ++j) r_[j] = -state.train_residual[j];  // u − f
  fft_.mode_errors(r_.data(), e_);
  record.rows.emplace_back("spectral/fft_error", e_);
}

}  // namespace pgdx::run
