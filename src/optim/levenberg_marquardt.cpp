#include "pgdx/optim/levenberg_marquardt.hpp"

#include <cmath>
#include <stdexcept>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/optim/gain_ratio.hpp"
#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {
namespace {

void step_from(const std::vector<double>& theta0, double lr, const std::vector<double>& delta,
               std::vector<double>& theta) {
  theta = theta0;
  linalg::axpy(theta.size(), -lr, delta.data(), theta.data());
}

}  // namespace

LevenbergMarquardt::LevenbergMarquardt(const OptimizerOptions& options, std::unique_ptr<GramSolver> solver)
    : DampedGramOptimizer(options, std::move(solver)) {}

bool LevenbergMarquardt::use_parameter_space(const LeastSquaresProblem& problem) const {
  if (options_.solve_space == SolveSpace::parameter) return true;
  // Both systems cost a Cholesky of their size; the smaller one wins.
  return options_.solve_space == SolveSpace::automatic && problem.num_params() < problem.num_rows();
}

StepInfo LevenbergMarquardt::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.residual(e_);
  info.seconds.residual = watch.lap();
  // Parameter space: (μI + JᵀJ) h = Jᵀe = g, δ = h; the predicted decrease of ½‖e‖² along −ηh is
  // η gᵀh − ½η² hᵀJᵀJh with hᵀJᵀJh = gᵀh − μ‖h‖². Sample space: below.
  bool parameter_space = use_parameter_space(problem) && problem.parameter_gram(k_);
  // The config's compatibility check refuses this before a run; a library caller learns it here.
  if (options_.solve_space == SolveSpace::parameter && !parameter_space)
    throw std::logic_error("LevenbergMarquardt: solve_space = parameter, but the problem cannot form JᵀJ without J");
  if (parameter_space)
    problem.jt_times(e_, gradient_);
  else
    problem.gram(k_);
  info.seconds.gram = watch.lap();
  theta0_ = problem.params();
  const double loss_before = half_squared_norm(e_);
  const double to_sum_scale =
      options_.mu_scale == MuScale::mean ? static_cast<double>(problem.num_samples()) : 1.0;
  const bool adaptive = options_.damping == DampingKind::adaptive;
  const int max_attempts = adaptive ? options_.max_attempts : 1;

  info.lr = options_.lr;
  info.attempts = 0;
  info.accepted = false;
  info.parameter_space = parameter_space ? 1 : 0;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    info.attempts = attempt;
    const double mu_sum = damping_.mu() * to_sum_scale;
    DampedSolution solution = solver_->solve_damped(k_, parameter_space ? gradient_ : e_, mu_sum,
                                                    options_.cholesky_retries, options_.cholesky_raise);
    info.seconds.factorization += solution.factor_seconds;
    info.seconds.solve += solution.solve_seconds;
    watch.lap();
    info.solve_fallbacks += solution.fallbacks;
    if (solution.fallbacks > 0) damping_.raise(solution.mu_used / mu_sum);
    info.mu = solution.mu_used;

    double predicted = 0.0;
    if (parameter_space) {
      delta_ = solution.z;
      const double gh = linalg::dot(gradient_.size(), gradient_.data(), delta_.data());
      const double hh = linalg::dot(delta_.size(), delta_.data(), delta_.data());
      predicted = options_.lr * gh - 0.5 * options_.lr * options_.lr * (gh - solution.mu_used * hh);
    } else {
      problem.jt_times(solution.z, delta_);
      parallel::symmetric_multiply(k_, solution.z, k_z_);
      predicted = predicted_reduction(e_, k_z_, options_.lr);
    }
    info.seconds.solve += watch.lap();

    step_from(theta0_, options_.lr, delta_, theta_);
    problem.set_params(theta_);
    problem.residual(e_trial_);
    const double loss_after = half_squared_norm(e_trial_);
    info.rho = (loss_before - loss_after) / predicted;

    // A fixed-μ run always takes its step (the paper's runs); adaptive damping takes it only if
    // the loss decreased, otherwise θ is reverted and μ raised.
    info.seconds.update += watch.lap();
    if (!adaptive || (std::isfinite(loss_after) && info.rho > 0.0)) {
      info.accepted = true;
      damping_.accepted(info.rho);
      break;
    }
    problem.set_params(theta0_);
    damping_.rejected();
  }
  damping_.finish_step();
  return info;
}

}  // namespace pgdx::optim
