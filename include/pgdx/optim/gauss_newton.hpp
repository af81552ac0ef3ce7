#pragma once
// GN with an eigenvalue cut-off (Lemma 3.3): δ = Jᵀ (J Jᵀ)^† e where † keeps only eigenvalues
// λ > ε·λ_max (relative, the default) or λ > ε (absolute); θ ← θ − η δ. Not a ridge.
#include <memory>
#include <vector>

#include "pgdx/optim/gram_solver.hpp"
#include "pgdx/optim/optimizer.hpp"

namespace pgdx::optim {

class GaussNewton final : public Optimizer {
 public:
  explicit GaussNewton(const OptimizerOptions& options,
                       std::unique_ptr<GramSolver> solver = std::make_unique<DirectGramSolver>());
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return "gn"; }

 private:
  OptimizerOptions options_;
  std::unique_ptr<GramSolver> solver_;
  parallel::DistMatrix k_;
  std::vector<double> e_, e_trial_, delta_, theta_;
};

}  // namespace pgdx::optim
