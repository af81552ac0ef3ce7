#pragma once
// What every optimizer sees: a least-squares problem on the current batch,
//   L(θ) = c · ½‖e(θ)‖²,  e ∈ R^N (N = n·C, sample-major),  J = ∂e/∂θ,
// with c = 1 (sum) or 1/n (mean) — or, for losses that are not least squares (cross-entropy), any
// L(f) of the outputs f = e + y, seen by first-order methods through gradient() and by the
// generalised Gauss–Newton method through the curvature calls (loss/output_loss.hpp).
// Distribution across ranks is hidden behind it: every call returns the same values on every rank.
// This is the boundary that lets a task supply its own residual (e = f − y for regression; a PDE
// residual for a PINN) without touching optimizers. Two ways to use J: assembled (gram(),
// parameter_gram(): direct solvers) or matrix-free (j_times, jt_times, curvature_times and their
// composition ggn_times: iterative solvers such as CG, for models whose Gram matrix cannot be
// formed).
#include <cstddef>
#include <vector>

#include "pgdx/parallel/dist_matrix.hpp"

namespace pgdx::problem {

class LeastSquaresProblem {
 public:
  virtual ~LeastSquaresProblem() = default;

  virtual std::size_t num_params() const = 0;
  virtual const std::vector<double>& params() const = 0;
  virtual void set_params(const std::vector<double>& theta) = 0;

  virtual std::size_t num_samples() const = 0;  // n of the current batch (the mean-scale divisor)
  virtual double loss_scale() const = 0;        // c above

  virtual void residual(std::vector<double>& e) = 0;                                  // e(θ), N entries
  // L(θ) on the current batch (a line search's trial). Default: c·½‖e‖².
  virtual double loss();
  // K = J Jᵀ (N × N): its lower triangle, block-cyclic on the problem's process grid (whole on one
  // rank). The problem (re)shapes k as needed.
  virtual void gram(parallel::DistMatrix& k) = 0;
  virtual void jt_times(const std::vector<double>& z, std::vector<double>& out) = 0;  // Jᵀ z, p entries
  // The parameter-space alternative to gram(): G = JᵀJ (p × p, lower triangle), when the problem
  // can form it without J; false otherwise (then nothing is written). After it, jt_times at the
  // same θ and batch uses the same whole-batch data on every rank.
  virtual bool parameter_gram(parallel::DistMatrix& /*g*/) { return false; }
  virtual std::size_t num_rows() const { return 0; }  // N of the current batch

  virtual void j_times(const std::vector<double>& v, std::vector<double>& out) = 0;  // J v, N entries
  // ∇L(θ) (p entries), with the residual e it was computed from. Default: c·Jᵀe.
  virtual void gradient(std::vector<double>& e, std::vector<double>& g);
  // The loss's curvature in the outputs, H = ∂²L/∂f² (block-diagonal), through S = H^{1/2}:
  // the GGN matrix is JᵀHJ = (SJ)ᵀ(SJ). Defaults are the least-squares H = c·I.
  // K̃ = S J Jᵀ S, lower triangle, laid out as gram() lays out K.
  virtual void curvature_gram(parallel::DistMatrix& k);
  // out = S w (N entries) at the current θ and batch.
  virtual void curvature_root_times(const std::vector<double>& w, std::vector<double>& out);
  // out = H w (N entries) at the current θ and batch, without forming H. Default c·w.
  virtual void curvature_times(const std::vector<double>& w, std::vector<double>& out);
  // out = Jᵀ H J v (p entries): the generalised Gauss–Newton product, one jvp, one H product and
  // one vjp — no matrix is formed.
  void ggn_times(const std::vector<double>& v, std::vector<double>& out);

 private:
  std::vector<double> jv_, hjv_;  // ggn_times work vectors
};

}  // namespace pgdx::problem
