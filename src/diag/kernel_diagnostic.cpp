#include "pgdx/diag/kernel_diagnostic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "pgdx/diag/weights.hpp"
#include "pgdx/linalg/blas.hpp"
#include "pgdx/optim/mode_rates.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::diag {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::int64_t> as_int64(const std::vector<std::size_t>& v) { return {v.begin(), v.end()}; }

// The probe's K is never distributed: its eigen-decomposition is LAPACK's on every rank.
problem::ProblemOptions whole_kernel(problem::ProblemOptions options) {
  options.gram_distributed_min_rows = std::numeric_limits<long>::max();
  return options;
}
}  // namespace

std::vector<std::size_t> kernel_probe_samples(std::size_t train_size, std::size_t probe, std::uint64_t seed) {
  std::vector<std::size_t> samples(train_size);
  std::iota(samples.begin(), samples.end(), std::size_t{0});
  if (train_size <= probe) return samples;
  Rng rng(seed, Stream::kernel_probe);
  rng.shuffle(samples);
  samples.resize(probe);
  std::sort(samples.begin(), samples.end());
  return samples;
}

KernelDiagnostic::KernelDiagnostic(problem::ResidualOperator& residual, const task::Dataset& train, parallel::Comm comm,
                                   const KernelDiagnosticOptions& options)
    : options_(options),
      probe_(kernel_probe_samples(train.size(), options.probe_samples, options.seed)),
      predicts_(options.full_batch && options.squared_loss && probe_.size() == train.size()),
      problem_(residual, comm, options.reduction, whole_kernel(options.problem)) {
  problem_.set_batch(train, probe_);
  const std::size_t c = train.y.rows();
  targets_.resize(probe_.size() * c);
  for (std::size_t j = 0; j < probe_.size(); ++j) std::copy(train.y.col(probe_[j]), train.y.col(probe_[j]) + c, &targets_[j * c]);
}

void KernelDiagnostic::axes(std::vector<Axis>& out) const {
  out.push_back({"/ntk/probe_samples", as_int64(probe_)});
  std::vector<std::int64_t> bands(kKernelBands);
  std::iota(bands.begin(), bands.end(), std::int64_t{0});
  out.push_back({"/ntk/bands", bands});
}

bool KernelDiagnostic::due(const Evaluation& state) const {
  if (state.step == 0 || state.step == options_.last_step) return true;
  // The first record step at or past each multiple of `every`: every multiple when records are
  // every step; the log schedule records more sparsely late in a run. Decided by the run's record
  // steps alone, so a resumed run records where the uninterrupted one does.
  return state.step / options_.every > state.previous_record_step / options_.every;
}

void KernelDiagnostic::measure_kernel(std::vector<double>& e) {
  problem_.gram(k_whole_);
  const std::size_t m = static_cast<std::size_t>(k_whole_.rows());
  k_.resize(m, m);
  k_.storage() = parallel::gather(k_whole_);
  for (std::size_t j = 0; j < m; ++j)  // the problem fills the lower triangle only
    for (std::size_t i = 0; i < j; ++i) k_(i, j) = k_(j, i);
  problem_.residual(e);
}

void KernelDiagnostic::measure_reference(const Evaluation& state) {
  if (state.theta == state.theta0) {
    k0_ = k_;
    e0_ = e_;
    keep_reference_jacobian();
  } else {  // a resumed run: K₀ and e₀ are functions of θ₀, which the run file keeps
    theta_now_ = state.theta;
    const linalg::Matrix k_now = k_;
    problem_.set_params(state.theta0);
    measure_kernel(e0_);
    keep_reference_jacobian();
    k0_ = k_;
    k_ = k_now;
    problem_.set_params(theta_now_);
  }
  have_reference_ = true;
}

void KernelDiagnostic::keep_reference_jacobian() {
  const std::size_t m = e0_.size(), p = problem_.num_params();
  if (m * p > kReferenceJacobianMaxValues) return;
  jt0_.resize(p, m);
  std::vector<double> unit(m, 0.0), column;
  for (std::size_t r = 0; r < m; ++r) {  // from the factors gram() just gathered: no forward pass
    unit[r] = 1.0;
    problem_.jt_times(unit, column);
    std::copy(column.begin(), column.end(), jt0_.col(r));
    unit[r] = 0.0;
  }
}

std::vector<double> KernelDiagnostic::predicted_rates(const Evaluation& state, const Record& record) {
  std::vector<double> rates(previous_.lambda.size(), kNaN);
  if (!predicts_ || previous_step_ + 1 < state.phase_first_step) return rates;  // a switch inside the interval
  optim::ModeRateScales scales;
  scales.lr = record.real("lr");
  scales.mu_sum = record.real("mu");
  scales.loss_scale = problem_.loss_scale();  // the probe is the full batch: the same c
  scales.lambda_max = previous_.lambda.empty() ? 0.0 : previous_.lambda.front();
  for (std::size_t i = 0; i < rates.size(); ++i)
    rates[i] = std::abs(optim::linearized_mode_factor(options_.phase_optimizers.at(state.phase), previous_.lambda[i], scales));
  return rates;
}

double KernelDiagnostic::linearization_gap(const Evaluation& state) {
  step_.resize(state.theta.size());
  for (std::size_t i = 0; i < step_.size(); ++i) step_[i] = state.theta[i] - state.theta0[i];
  if (std::all_of(step_.begin(), step_.end(), [](double v) { return v == 0.0; })) return kNaN;
  std::vector<double> j0_step(e_.size());
  if (jt0_.cols() == e_.size()) {
    linalg::gemv(linalg::Op::transpose, 1.0, jt0_, step_.data(), 0.0, j0_step.data());
  } else {  // J₀ too large to keep: a jvp at θ₀, two forward passes
    theta_now_ = state.theta;  // `state.theta` is the model's own vector: it changes below
    problem_.set_params(state.theta0);
    problem_.j_times(step_, j0_step);
    problem_.set_params(theta_now_);
  }
  double gap = 0.0, moved = 0.0;
  for (std::size_t r = 0; r < e_.size(); ++r) {
    const double linear = e0_[r] + j0_step[r];
    gap += (linear - e_[r]) * (linear - e_[r]);
    moved += (e_[r] - e0_[r]) * (e_[r] - e0_[r]);
  }
  return moved > 0.0 ? std::sqrt(gap / moved) : kNaN;
}

void KernelDiagnostic::record_nothing(std::size_t modes, Record& record) const {
  const std::vector<double> none(modes, kNaN);
  for (const char* name : {"ntk/eigenvalues", "ntk/projection", "ntk/rate_measured", "ntk/rate_predicted"})
    record.rows.emplace_back(name, none);
  record.rows.emplace_back("ntk/band_energy", std::vector<double>(kKernelBands, kNaN));
  for (const char* name : {"lazy/dist_from_init", "lazy/kernel_drift", "lazy/kernel_alignment", "lazy/linearization_gap"})
    record.scalars.emplace_back(name, kNaN);
}

void KernelDiagnostic::measure(const Evaluation& state, Record& record) {
  if (!due(state)) return;
  // θ changed under the probe problem (the optimizer set it through the batch problem): tell it, so
  // it does not reuse the Jacobian factors it gathered at the previous recording.
  problem_.params_changed_elsewhere();
  measure_kernel(e_);
  const auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  if (!finite(k_.storage()) || !finite(e_)) {  // a diverging run's last record: LAPACK must not see NaN
    record_nothing(e_.size(), record);
    return;
  }
  if (!have_reference_) measure_reference(state);
  KernelEigen eigen = kernel_eigen(k_);
  project(eigen.u, e_, projection_);
  record.rows.emplace_back("ntk/eigenvalues", eigen.lambda);
  record.rows.emplace_back("ntk/projection", projection_);
  record.rows.emplace_back("ntk/band_energy", band_energy(eigen.lambda, projection_));
  const std::vector<double> none(eigen.lambda.size(), kNaN);
  if (previous_step_ >= 0) project(previous_.u, e_, carried_);  // now, in the earlier recording's eigenbasis
  record.rows.emplace_back("ntk/rate_measured", previous_step_ < 0 ? none
                                                : measured_rates(previous_projection_, carried_, state.step - previous_step_));
  record.rows.emplace_back("ntk/rate_predicted", previous_step_ < 0 ? none : predicted_rates(state, record));
  record.scalars.emplace_back("lazy/dist_from_init", relative_distance(state.theta, state.theta0));
  record.scalars.emplace_back("lazy/kernel_drift", relative_distance(k_.storage(), k0_.storage()));
  record.scalars.emplace_back("lazy/kernel_alignment", kernel_target_alignment(k_, targets_));
  record.scalars.emplace_back("lazy/linearization_gap", linearization_gap(state));
  previous_ = std::move(eigen);
  previous_projection_ = projection_;
  previous_step_ = state.step;
}

void KernelDiagnostic::save(DiagnosticState& out) const {
  if (previous_step_ < 0) return;
  out.emplace_back("kernel_previous_step", std::vector<double>{static_cast<double>(previous_step_)});
  out.emplace_back("kernel_eigenvalues", previous_.lambda);
  out.emplace_back("kernel_eigenvectors", previous_.u.storage());
  out.emplace_back("kernel_projection", previous_projection_);
}

void KernelDiagnostic::restore(const DiagnosticState& in) {
  const auto find = [&](const char* name) -> const std::vector<double>* {
    for (const auto& [key, values] : in)
      if (key == name) return &values;
    return nullptr;
  };
  const std::vector<double>* step = find("kernel_previous_step");
  const std::vector<double>* lambda = find("kernel_eigenvalues");
  const std::vector<double>* u = find("kernel_eigenvectors");
  const std::vector<double>* projection = find("kernel_projection");
  if (!step || !lambda || !u || !projection) return;  // nothing recorded before the checkpoint
  const std::size_t m = lambda->size();
  if (step->size() != 1 || u->size() != m * m || projection->size() != m)
    throw std::invalid_argument("the checkpoint's kernel diagnostic state does not fit a " + std::to_string(m) +
                                "-row kernel");
  previous_step_ = static_cast<long>((*step)[0]);
  previous_.lambda = *lambda;
  previous_.u.resize(m, m);
  previous_.u.storage() = *u;
  previous_projection_ = *projection;
}

}  // namespace pgdx::diag
