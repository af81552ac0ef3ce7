#include "pgdx/optim/ggn_conjugate_gradient.hpp"

#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {

GgnConjugateGradient::GgnConjugateGradient(const OptimizerOptions& options) : options_(options), damping_(options) {}

StepInfo GgnConjugateGradient::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.gradient(e_, g_);
  const double loss0 = problem.loss();
  theta_ = problem.params();
  const std::size_t p = theta_.size();
  for (std::size_t i = 0; i < p; ++i) g_[i] += options_.weight_decay * theta_[i];
  info.seconds.residual = watch.lap();

  const double mu = damping_.mu();
  const CgResult cg = conjugate_gradient(
      [&](const std::vector<double>& v, std::vector<double>& out) {
        problem.ggn_times(v, out);
        for (std::size_t i = 0; i < p; ++i) out[i] += mu * v[i];
      },
      g_, options_.cg_tolerance, options_.cg_max_iterations, h_);
  info.seconds.solve = watch.lap();

  // gᵀh and hᵀGh = hᵀ(μI + G)h − μ‖h‖² (CG's own curvature): the model m(−ηh) = L − ηgᵀh + ½η²hᵀGh.
  double gh = 0.0, hh = 0.0;
  for (std::size_t i = 0; i < p; ++i) {
    gh += g_[i] * h_[i];
    hh += h_[i] * h_[i];
  }
  info.model_decrease = gh - 0.5 * (cg.curvature - mu * hh);

  // Armijo backtracking on the same minibatch: L(θ − ηh) ≤ L(θ) − c η gᵀh.
  double eta = options_.lr;
  int trials = 0;
  bool passed = false;
  trial_.resize(p);
  while (trials < options_.armijo_max_trials) {
    for (std::size_t i = 0; i < p; ++i) trial_[i] = theta_[i] - eta * h_[i];
    problem.set_params(trial_);
    ++trials;
    const double loss = problem.loss();
    if (loss <= loss0 - options_.armijo_c * eta * gh) {
      passed = true;
      break;
    }
    if (trials < options_.armijo_max_trials) eta *= options_.armijo_shrink;
  }
  if (!passed && options_.armijo_failure == ArmijoFailure::skip) {
    problem.set_params(theta_);
    info.accepted = false;
  }
  // On failure with "smallest", θ stays at the last (smallest) trial, already set.
  damping_.finish_step();
  info.seconds.update = watch.lap();

  info.lr = info.accepted ? eta : 0.0;
  info.mu = mu;
  info.cg_iterations = cg.iterations;
  info.cg_residual = cg.relative_residual;
  info.cg_stop = static_cast<int>(cg.stop);
  info.armijo_trials = trials;
  info.attempts = trials;
  return info;
}

}  // namespace pgdx::optim
