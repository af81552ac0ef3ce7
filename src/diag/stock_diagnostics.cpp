#include "pgdx/diag/stock_diagnostics.hpp"

#include <cmath>
#include <numeric>

#include "pgdx/diag/weights.hpp"

namespace pgdx::diag {

namespace {
std::vector<std::int64_t> count_from_zero(std::size_t n) {
  std::vector<std::int64_t> v(n);
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

void negate(const std::vector<double>& e, std::vector<double>& r) {
  r.resize(e.size());
  for (std::size_t j = 0; j < r.size(); ++j) r[j] = -e[j];  // u − f
}
}  // namespace

void WeightDiagnostic::measure(const Evaluation& state, Record& record) {
  record.reals.emplace_back("weight_norm", weight_norm(state.theta));
  record.reals.emplace_back("dist_from_init", relative_distance(state.theta, state.theta0));
}

void SpectralErrorDiagnostic::measure(const Evaluation& state, Record& record) {
  negate(state.train_residual, r_);
  fft_.mode_errors(r_.data(), e_);
  record.rows.emplace_back("spectral/fft_error", e_);
}

void SpectralErrorDiagnostic::axes(std::vector<Axis>& out) const {
  out.push_back({"/spectral/modes", count_from_zero(fft_.num_modes())});
}

void Spectrum2dDiagnostic::measure(const Evaluation& state, Record& record) {
  negate(state.train_residual, r_);
  fft_.spectrum(r_.data(), e_);
  fft_.shell_means(e_, shells_);
  record.rows.emplace_back("spectral/fft_error_2d", shells_);
  if (state.step % full_every_ == 0 || state.step == last_step_) record.rows.emplace_back("spectral_full/fft_error_2d", e_);
}

void Spectrum2dDiagnostic::axes(std::vector<Axis>& out) const {
  out.push_back({"/spectral/shells", count_from_zero(fft_.num_shells())});
  out.push_back({"/spectral/grid_shape", {static_cast<std::int64_t>(fft_.nx()), static_cast<std::int64_t>(fft_.ny())}});
}

void SolutionErrorDiagnostic::measure(const Evaluation&, Record& record) {
  model_.forward(reference_.x, u_);
  double error = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < u_.size(); ++i) {
    const double exact = reference_.y.data()[i];
    error += (u_.data()[i] - exact) * (u_.data()[i] - exact);
    norm += exact * exact;
  }
  record.reals.emplace_back("l2_error", std::sqrt(error / norm));
}

SubspaceSpectrumDiagnostic::SubspaceSpectrumDiagnostic(model::Model& model, const std::vector<task::SubspaceRay>& rays)
    : model_(model), rays_(rays), fft_(rays.front().points.size()) {}

void SubspaceSpectrumDiagnostic::measure(const Evaluation&, Record& record) {
  for (const task::SubspaceRay& ray : rays_) {
    model_.forward(ray.points.x, g_);
    r_.resize(g_.size());
    for (std::size_t j = 0; j < r_.size(); ++j) r_[j] = ray.points.y.data()[j] - g_.data()[j];
    fft_.mode_errors(r_.data(), e_);
    record.rows.emplace_back("subspace/fft_error_" + ray.name, e_);
  }
}

void SubspaceSpectrumDiagnostic::axes(std::vector<Axis>& out) const {
  out.push_back({"/subspace/modes", count_from_zero(fft_.num_modes())});
}

std::vector<std::unique_ptr<Diagnostic>> make_diagnostics(const task::Task& task, model::Model& model,
                                                         const DiagnosticOptions& options) {
  std::vector<std::unique_ptr<Diagnostic>> out;
  out.push_back(std::make_unique<WeightDiagnostic>());
  const std::vector<std::size_t> grid = task.train_grid_shape();
  if (grid.size() == 1) out.push_back(std::make_unique<SpectralErrorDiagnostic>(grid[0]));
  if (grid.size() == 2)
    out.push_back(std::make_unique<Spectrum2dDiagnostic>(grid[0], grid[1], options.full_spectrum_every,
                                                         options.last_step));
  if (const task::Dataset* reference = task.reference_solution())
    out.push_back(std::make_unique<SolutionErrorDiagnostic>(model, *reference));
  if (!task.subspace_rays().empty())
    out.push_back(std::make_unique<SubspaceSpectrumDiagnostic>(model, task.subspace_rays()));
  return out;
}

}  // namespace pgdx::diag
