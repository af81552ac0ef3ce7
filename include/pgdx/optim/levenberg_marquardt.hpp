#pragma once
// LM in the sample space (push-through identity, DESIGN.md §3):
//   δ = (JᵀJ + μ_sum I)⁻¹ Jᵀe = Jᵀ (K + μ_sum I)⁻¹ e,  K = J Jᵀ,  θ ← θ − η δ,
// μ_sum = μ (optimizer.mu_scale = "sum") or n·μ ("mean"). The loss reduction does not enter:
// an LM step is invariant to a common rescaling of J and e except through μ.
// ρ: optim/gain_ratio.hpp.
#include <memory>
#include <vector>

#include "pgdx/optim/damped_gram_optimizer.hpp"

namespace pgdx::optim {

class LevenbergMarquardt final : public DampedGramOptimizer {
 public:
  explicit LevenbergMarquardt(const OptimizerOptions& options,
                              std::unique_ptr<GramSolver> solver = std::make_unique<DirectGramSolver>());
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return "lm"; }

 private:
  // Whether to solve in the p × p space for this problem (decided once, at the first step).
  bool use_parameter_space(const LeastSquaresProblem& problem) const;

  std::vector<double> e_, e_trial_, delta_, k_z_, theta0_, theta_, gradient_;
};

}  // namespace pgdx::optim
