#include "pgdx/optim/make_optimizer.hpp"

#include "pgdx/optim/first_order.hpp"
#include "pgdx/optim/gauss_newton.hpp"
#include "pgdx/optim/generalized_gauss_newton.hpp"
#include "pgdx/optim/ggn_conjugate_gradient.hpp"
#include "pgdx/optim/levenberg_marquardt.hpp"

namespace pgdx::optim {

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options) {
  switch (options.method) {
    case Method::sgd: return std::make_unique<Sgd>(options);
    case Method::adam:
    case Method::adamw: return std::make_unique<Adam>(options);
    case Method::lm: return std::make_unique<LevenbergMarquardt>(options);
    case Method::gn: return std::make_unique<GaussNewton>(options);
    case Method::ggn:
      if (options.solver == CurvatureSolver::cg) return std::make_unique<GgnConjugateGradient>(options);
      return std::make_unique<GeneralizedGaussNewton>(options);
  }
  return nullptr;
}

}  // namespace pgdx::optim
