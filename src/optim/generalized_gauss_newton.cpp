#include "pgdx/optim/generalized_gauss_newton.hpp"

#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {

GeneralizedGaussNewton::GeneralizedGaussNewton(const OptimizerOptions& options, std::unique_ptr<GramSolver> solver)
    : DampedGramOptimizer(options, std::move(solver)) {}

StepInfo GeneralizedGaussNewton::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.gradient(e_, v_);
  info.seconds.residual = watch.lap();
  theta_ = problem.params();
  for (std::size_t i = 0; i < v_.size(); ++i) v_[i] += options_.weight_decay * theta_[i];
  problem.curvature_gram(k_);
  info.seconds.gram = watch.lap();
  problem.j_times(v_, jv_);
  problem.curvature_root_times(jv_, sjv_);

  const double mu = damping_.mu();
  const DampedSolution solution =
      solver_->solve_damped(k_, sjv_, mu, options_.cholesky_retries, options_.cholesky_raise);
  const double solve_call = watch.lap();
  problem.curvature_root_times(solution.z, sz_);
  problem.jt_times(sz_, back_);
  info.seconds.factorization = solution.factor_seconds;
  // J v and S J v before the solve, S z and Jᵀ S z after it: the products around the solve.
  info.seconds.solve = solve_call - solution.factor_seconds + watch.lap();
  // μ_used > μ only after failed Cholesky factorisations: the step then uses the raised μ throughout.
  const double mu_used = solution.mu_used;
  for (std::size_t i = 0; i < theta_.size(); ++i) theta_[i] -= options_.lr * (v_[i] - back_[i]) / mu_used;
  problem.set_params(theta_);
  damping_.finish_step();
  info.seconds.update = watch.lap();

  info.lr = options_.lr;
  info.mu = mu_used;
  info.solve_fallbacks = solution.fallbacks;
  info.parameter_space = 0;
  return info;
}

}  // namespace pgdx::optim
