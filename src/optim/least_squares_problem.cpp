#include "pgdx/optim/least_squares_problem.hpp"

#include <cmath>

namespace pgdx::optim {

void LeastSquaresProblem::gradient(std::vector<double>& e, std::vector<double>& g) {
  residual(e);
  jt_times(e, g);
  const double c = loss_scale();
  if (c != 1.0)
    for (double& v : g) v *= c;
}

void LeastSquaresProblem::curvature_gram(parallel::DistMatrix& k) {
  gram(k);
  const double c = loss_scale();
  if (c != 1.0)
    for (int jl = 0; jl < k.local_cols(); ++jl)
      for (int il = 0; il < k.local_rows(); ++il) k.local(il, jl) *= c;
}

void LeastSquaresProblem::curvature_root_times(const std::vector<double>& w, std::vector<double>& out) {
  const double root = std::sqrt(loss_scale());
  out.resize(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) out[i] = root * w[i];
}

}  // namespace pgdx::optim
