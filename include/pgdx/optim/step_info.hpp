#pragma once
// One optimizer step, as it goes into /history (column meanings: docs/hdf5-layout.md).
#include <limits>

namespace pgdx::optim {

// Where a step's wall time went (seconds; 0 for phases a method does not have). Timed on each
// rank; `pgdx bench lm-step` reports rank 0's medians.
struct PhaseSeconds {
  double residual = 0.0;       // e(θ) (and the loss gradient for first-order methods)
  double gram = 0.0;           // K = J Jᵀ or JᵀJ (and the data a solve needs: gathered factors/rows)
  double factorization = 0.0;  // Cholesky or eigen-decomposition, with any damping retries
  double solve = 0.0;          // triangular solves and the products that map the solution to δ
  double update = 0.0;         // θ ← θ − ηδ and what judges it (trial residual, gain ratio)
  double total() const { return residual + gram + factorization + solve + update; }
};

struct StepInfo {
  bool accepted = true;          // θ changed
  double lr = 0.0;               // η used
  double mu = std::numeric_limits<double>::quiet_NaN();   // damping on the sum scale (LM)
  double rho = std::numeric_limits<double>::quiet_NaN();  // gain ratio of the last attempt
  int attempts = 1;              // solves tried (adaptive damping retries)
  int solve_fallbacks = 0;       // Cholesky failures handled (μ raised or eigen solve)
  int gn_rank = -1;              // GN: eigenvalues kept above the cut-off
  int parameter_space = -1;      // LM: 1 solved in the p × p space, 0 in the N × N space; −1 no system
  // GGN–CG (−1 / NaN for other steps): iterations, final ‖r‖/‖g‖, why CG stopped (0 converged,
  // 1 iteration limit, 2 non-positive curvature), the quadratic model's decrease gᵀh − ½hᵀGh at
  // η = 1, and the Armijo trials (loss evaluations) the step took.
  int cg_iterations = -1;
  double cg_residual = std::numeric_limits<double>::quiet_NaN();
  int cg_stop = -1;
  double model_decrease = std::numeric_limits<double>::quiet_NaN();
  int armijo_trials = -1;
  PhaseSeconds seconds;
};

}  // namespace pgdx::optim
