#include "pgdx/optim/gram_solver.hpp"

#include <algorithm>
#include <cmath>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::optim {
namespace {

using linalg::Matrix;
using linalg::Op;

void copy_with_shift(const Matrix& k, double mu, Matrix& out) {
  out = k;
  for (std::size_t i = 0; i < k.rows(); ++i) out(i, i) += mu;
}

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace

DampedSolution DenseGramSolver::solve_damped(const Matrix& k, const std::vector<double>& e, double mu, int retries,
                                             double raise) {
  DampedSolution s;
  s.mu_used = mu;
  for (int attempt = 0; attempt <= retries; ++attempt) {
    copy_with_shift(k, s.mu_used, work_);
    if (linalg::cholesky_factor(work_) == 0) {
      s.z = e;
      linalg::cholesky_solve(work_, s.z);
      if (all_finite(s.z)) return s;
    }
    ++s.fallbacks;
    if (attempt < retries) s.mu_used *= raise;
  }
  // Eigen fallback: z = U diag(1/(max(λ,0) + μ)) Uᵀ e. K is symmetric PSD in exact arithmetic;
  // round-off negatives are clamped so the step stays a descent direction.
  s.eigen_fallback = true;
  work_ = k;
  linalg::symmetric_eigen(work_, eigenvalues_);
  std::vector<double> w(e.size());
  linalg::gemv(Op::transpose, 1.0, work_, e.data(), 0.0, w.data());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] /= std::max(eigenvalues_[i], 0.0) + s.mu_used;
  s.z.assign(e.size(), 0.0);
  linalg::gemv(Op::none, 1.0, work_, w.data(), 0.0, s.z.data());
  return s;
}

ProjectedSolution DenseGramSolver::solve_projected(const Matrix& k, const std::vector<double>& e, double cutoff,
                                                   CutoffMode mode) {
  ProjectedSolution s;
  work_ = k;
  linalg::symmetric_eigen(work_, eigenvalues_);  // ascending
  s.lambda_max = eigenvalues_.empty() ? 0.0 : eigenvalues_.back();
  const double cut = mode == CutoffMode::relative ? cutoff * s.lambda_max : cutoff;
  std::vector<double> w(e.size());
  linalg::gemv(Op::transpose, 1.0, work_, e.data(), 0.0, w.data());
  std::vector<double> projected(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    // Lemma 3.3 keeps λ > ε (λ = ε is dropped).
    const bool keep = eigenvalues_[i] > cut && eigenvalues_[i] > 0.0;
    s.kept += keep ? 1 : 0;
    projected[i] = keep ? w[i] : 0.0;
    w[i] = keep ? w[i] / eigenvalues_[i] : 0.0;
  }
  s.z.assign(e.size(), 0.0);
  s.k_z.assign(e.size(), 0.0);
  linalg::gemv(Op::none, 1.0, work_, w.data(), 0.0, s.z.data());
  linalg::gemv(Op::none, 1.0, work_, projected.data(), 0.0, s.k_z.data());
  return s;
}

}  // namespace pgdx::optim
