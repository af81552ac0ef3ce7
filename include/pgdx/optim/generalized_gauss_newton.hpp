#pragma once
// Generalised Gauss–Newton (EXPERIMENTS.md §0.2), solved in the N × N sample space:
//   (μI + JᵀHJ) h = v,  v = ∇L + λθ (weight decay coupled into the gradient),  θ ← θ − η h.
// With S = H^{1/2} (block-diagonal, per sample) and K̃ = S J Jᵀ S, Sherman–Morrison–Woodbury gives
//   h = (1/μ) (v − Jᵀ S (μI + K̃)⁻¹ S J v),
// so the step needs K̃ (N × N), one J·v and one Jᵀ·w — never the p × p matrix. μ is used as
// written (H already carries the loss's 1/n); its schedule is optimizer.damping (constant or
// loglinear). For the squared loss H = c·I and the step is LM's with μ_LM = μ/c.
#include <memory>
#include <vector>

#include "pgdx/optim/damped_gram_optimizer.hpp"

namespace pgdx::optim {

class GeneralizedGaussNewton final : public DampedGramOptimizer {
 public:
  explicit GeneralizedGaussNewton(const OptimizerOptions& options,
                                  std::unique_ptr<GramSolver> solver = std::make_unique<DirectGramSolver>());
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return "ggn"; }

 private:
  std::vector<double> e_, v_, jv_, sjv_, sz_, back_, theta_;
};

}  // namespace pgdx::optim
