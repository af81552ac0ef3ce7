#include "pgdx/optim/gram_solver.hpp"

#include <algorithm>
#include <cmath>

#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {
namespace {

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace

DampedSolution DirectGramSolver::solve_damped(const parallel::DistMatrix& k, const std::vector<double>& e, double mu,
                                              int retries, double raise) {
  DampedSolution s;
  s.mu_used = mu;
  Stopwatch watch;
  for (int attempt = 0; attempt <= retries; ++attempt) {
    work_ = k;
    work_.add_to_diagonal(s.mu_used);
    const int info = parallel::cholesky_factor(work_);
    s.factor_seconds += watch.lap();
    if (info == 0) {
      s.z = e;
      parallel::cholesky_solve(work_, s.z);
      s.solve_seconds += watch.lap();
      if (all_finite(s.z)) return s;
    }
    ++s.fallbacks;
    if (attempt < retries) s.mu_used *= raise;
  }
  // Eigen fallback: z = U diag(1/(max(λ,0) + μ)) Uᵀ e. K is symmetric PSD in exact arithmetic;
  // round-off negatives are clamped so the step stays a descent direction.
  s.eigen_fallback = true;
  work_ = k;
  parallel::symmetric_eigen(work_, vectors_, eigenvalues_);
  s.factor_seconds += watch.lap();
  std::vector<double> w;
  parallel::multiply(vectors_, /*transpose=*/true, e, w);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] /= std::max(eigenvalues_[i], 0.0) + s.mu_used;
  parallel::multiply(vectors_, /*transpose=*/false, w, s.z);
  s.solve_seconds += watch.lap();
  return s;
}

ProjectedSolution DirectGramSolver::solve_projected(const parallel::DistMatrix& k, const std::vector<double>& e,
                                                    double cutoff, CutoffMode mode) {
  ProjectedSolution s;
  Stopwatch watch;
  work_ = k;
  parallel::symmetric_eigen(work_, vectors_, eigenvalues_);  // ascending
  s.factor_seconds = watch.lap();
  s.lambda_max = eigenvalues_.empty() ? 0.0 : eigenvalues_.back();
  const double cut = mode == CutoffMode::relative ? cutoff * s.lambda_max : cutoff;
  std::vector<double> w;
  parallel::multiply(vectors_, /*transpose=*/true, e, w);
  std::vector<double> projected(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    // Lemma 3.3 keeps λ > ε (λ = ε is dropped).
    const bool keep = eigenvalues_[i] > cut && eigenvalues_[i] > 0.0;
    s.kept += keep ? 1 : 0;
    projected[i] = keep ? w[i] : 0.0;
    w[i] = keep ? w[i] / eigenvalues_[i] : 0.0;
  }
  parallel::multiply(vectors_, /*transpose=*/false, w, s.z);
  parallel::multiply(vectors_, /*transpose=*/false, projected, s.k_z);
  s.solve_seconds = watch.lap();
  return s;
}

}  // namespace pgdx::optim
