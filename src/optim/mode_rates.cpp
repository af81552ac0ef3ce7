#include "pgdx/optim/mode_rates.hpp"

#include <limits>

namespace pgdx::optim {

double linearized_mode_factor(const OptimizerOptions& optimizer, double lambda, const ModeRateScales& scales) {
  const double eta = scales.lr;
  switch (optimizer.method) {
    case Method::sgd:
      if (optimizer.weight_decay != 0.0) break;
      return 1.0 - eta * scales.loss_scale * lambda;
    case Method::lm:
      return 1.0 - eta * lambda / (scales.mu_sum + lambda);
    case Method::gn: {
      const double cut =
          optimizer.gn_cutoff_mode == CutoffMode::relative ? optimizer.gn_cutoff * scales.lambda_max : optimizer.gn_cutoff;
      return lambda > cut && lambda > 0.0 ? 1.0 - eta : 1.0;  // λ = cut is dropped (Lemma 3.3 keeps λ > ε)
    }
    case Method::adam:
    case Method::adamw:
    case Method::ggn:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace pgdx::optim
