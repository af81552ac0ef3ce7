#include "pgdx/problem/least_squares_problem.hpp"

#include <cmath>

namespace pgdx::problem {

double LeastSquaresProblem::loss() {
  std::vector<double> e;
  residual(e);
  double sum = 0.0;
  for (double v : e) sum += v * v;
  return 0.5 * loss_scale() * sum;
}

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

void LeastSquaresProblem::curvature_times(const std::vector<double>& w, std::vector<double>& out) {
  const double c = loss_scale();
  out.resize(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) out[i] = c * w[i];
}

void LeastSquaresProblem::ggn_times(const std::vector<double>& v, std::vector<double>& out) {
  j_times(v, jv_);
  curvature_times(jv_, hjv_);
  jt_times(hjv_, out);
}

}  // namespace pgdx::problem
