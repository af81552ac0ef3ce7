#pragma once
// One optimizer step, as it goes into /history (column meanings: docs/hdf5-layout.md).
#include <limits>

namespace pgdx::optim {

struct StepInfo {
  bool accepted = true;          // θ changed
  double lr = 0.0;               // η used
  double mu = std::numeric_limits<double>::quiet_NaN();   // damping on the sum scale (LM)
  double rho = std::numeric_limits<double>::quiet_NaN();  // gain ratio of the last attempt
  int attempts = 1;              // solves tried (adaptive damping retries)
  int solve_fallbacks = 0;       // Cholesky failures handled (μ raised or eigen solve)
  int gn_rank = -1;              // GN: eigenvalues kept above the cut-off
  int parameter_space = -1;      // LM: 1 solved in the p × p space, 0 in the N × N space; −1 no system
};

}  // namespace pgdx::optim
