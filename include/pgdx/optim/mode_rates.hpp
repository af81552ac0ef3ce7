#pragma once
// What one step of an optimizer does to the residual along an eigenvector u of K = J Jᵀ when the
// model is linear in θ (paper Lemmas 3.1–3.3, discrete; EXPERIMENTS.md §T): ê = uᵀe is multiplied
// by a factor that depends only on the eigenvalue λ. Written here, beside the update formulas, in
// exactly their conventions, so the kernel diagnostic's prediction (diag/kernel_diagnostic.hpp) and
// the optimizers cannot drift apart.
#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

// The quantities of one step the factor depends on besides λ.
struct ModeRateScales {
  double lr = 0.0;          // η the step used (/history/lr)
  double mu_sum = 0.0;      // LM: μ as added to K, i.e. on the sum scale (/history/mu: n·μ for mu_scale = mean)
  double loss_scale = 1.0;  // c of L = c·½‖e‖² on the batch: SGD's gradient is c·Jᵀe (loss::loss_scale)
  double lambda_max = 0.0;  // largest eigenvalue of the batch's K: GN's relative cut-off is ε·λ_max
};

// The per-step factor of ê for eigenvalue λ:
//   sgd  1 − η c λ                      (θ ← θ − η c Jᵀe, so e ← (I − η c K) e)
//   lm   1 − η λ / (μ_sum + λ)          (θ ← θ − η Jᵀ(K + μ_sum I)⁻¹e; the loss reduction does not enter)
//   gn   1 − η if λ > cut and λ > 0, else 1   (cut = ε·λ_max or ε: what DirectGramSolver keeps)
// NaN where no lemma applies: Adam, AdamW, GGN, SGD with weight decay (θ shrinks too).
double linearized_mode_factor(const OptimizerOptions& optimizer, double lambda, const ModeRateScales& scales);

}  // namespace pgdx::optim
