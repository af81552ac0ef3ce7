#pragma once
// Solves in the N × N sample ("Gram") space, K = J Jᵀ, given as the lower triangle of a DistMatrix.
// DirectGramSolver factorises (Cholesky / eigen): LAPACK on one rank, ScaLAPACK on several — the
// choice is made in parallel/, so this code has one path. The interface leaves room for an iterative
// (CG) solver. Vectors (e, z) are whole on every rank.
#include <vector>

#include "pgdx/parallel/dist_matrix.hpp"
#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

struct DampedSolution {
  std::vector<double> z;   // (K + μ I)⁻¹ e
  double mu_used = 0.0;    // μ after any raises (sum scale)
  int fallbacks = 0;       // Cholesky failures
  bool eigen_fallback = false;
  double factor_seconds = 0.0;  // Cholesky (all attempts) or eigen-decomposition
  double solve_seconds = 0.0;   // triangular solves or eigenvector products
};

struct ProjectedSolution {
  std::vector<double> z;   // U diag(1/λᵢ · 𝟙[λᵢ > cut]) Uᵀ e
  std::vector<double> k_z; // K z = projection of e onto the kept eigenvectors
  int kept = 0;
  double lambda_max = 0.0;
  double factor_seconds = 0.0;  // eigen-decomposition
  double solve_seconds = 0.0;   // eigenvector products
};

class GramSolver {
 public:
  virtual ~GramSolver() = default;
  // Cholesky of K + μI; a failed factorisation raises μ by `raise` up to `retries` times, then
  // solves by eigen-decomposition with eigenvalues clamped at 0. Never throws for numerics.
  virtual DampedSolution solve_damped(const parallel::DistMatrix& k, const std::vector<double>& e, double mu, int retries,
                                      double raise) = 0;
  // Pseudo-inverse solve dropping eigenvalues λ ≤ cut, cut = cutoff·λ_max (relative) or cutoff.
  virtual ProjectedSolution solve_projected(const parallel::DistMatrix& k, const std::vector<double>& e, double cutoff,
                                            CutoffMode mode) = 0;
};

class DirectGramSolver final : public GramSolver {
 public:
  DampedSolution solve_damped(const parallel::DistMatrix& k, const std::vector<double>& e, double mu, int retries,
                              double raise) override;
  ProjectedSolution solve_projected(const parallel::DistMatrix& k, const std::vector<double>& e, double cutoff,
                                    CutoffMode mode) override;

 private:
  parallel::DistMatrix work_, vectors_;
  std::vector<double> eigenvalues_;
};

}  // namespace pgdx::optim
