#include "pgdx/optim/gauss_newton.hpp"

#include "pgdx/linalg/blas.hpp"
#include "pgdx/optim/gain_ratio.hpp"
#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {

GaussNewton::GaussNewton(const OptimizerOptions& options, std::unique_ptr<GramSolver> solver)
    : options_(options), solver_(std::move(solver)) {}

StepInfo GaussNewton::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.residual(e_);
  info.seconds.residual = watch.lap();
  problem.gram(k_);
  info.seconds.gram = watch.lap();
  const ProjectedSolution solution = solver_->solve_projected(k_, e_, options_.gn_cutoff, options_.gn_cutoff_mode);
  watch.lap();
  info.seconds.factorization = solution.factor_seconds;
  problem.jt_times(solution.z, delta_);
  info.seconds.solve = solution.solve_seconds + watch.lap();
  const double predicted = predicted_reduction(e_, solution.k_z, options_.lr);
  const double loss_before = half_squared_norm(e_);

  theta_ = problem.params();
  linalg::axpy(theta_.size(), -options_.lr, delta_.data(), theta_.data());
  problem.set_params(theta_);
  problem.residual(e_trial_);
  const double loss_after = half_squared_norm(e_trial_);
  info.seconds.update = watch.lap();

  info.lr = options_.lr;
  info.gn_rank = solution.kept;
  info.rho = (loss_before - loss_after) / predicted;
  return info;
}

}  // namespace pgdx::optim
